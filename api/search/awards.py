"""Award words in a query → the index's award tags (omega.titles.award_tags).

"Best Picture winners" → won:best picture; "Oscar-nominated dramas" → oscar-nominated;
"won Best Director" → won:best director; "Oscar-winning performances" → won:acting;
"Best Picture nominees from the 90s" → nominated:best picture. A category named without
"nominated" means its winners. Pure: the caller removes nothing else from the text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from omega.titles import ACTING_CATEGORIES

# Query phrase → the catalog's category (omega/data/catalog_people.py normalises the Academy's).
CATEGORIES: dict[str, str] = {
    "best picture": "Best Picture", "best film": "Best Picture",
    "best director": "Best Director", "best directing": "Best Director",
    "best actor": "Best Actor", "best leading actor": "Best Actor",
    "best actress": "Best Actress", "best leading actress": "Best Actress",
    "best supporting actor": "Best Supporting Actor",
    "best supporting actress": "Best Supporting Actress",
    "best original screenplay": "Best Original Screenplay",
    "best adapted screenplay": "Best Adapted Screenplay",
    "best screenplay": "Best Original Screenplay",
    "best animated feature": "Best Animated Feature",
    "best animated film": "Best Animated Feature",
    "best foreign language film": "Best International Feature Film",
    "best foreign film": "Best International Feature Film",
    "best international feature": "Best International Feature Film",
    "best international feature film": "Best International Feature Film",
    "best documentary": "Best Documentary Feature",
    "best documentary feature": "Best Documentary Feature",
    "best cinematography": "Best Cinematography",
    "best original score": "Best Original Score", "best score": "Best Original Score",
    "best original song": "Best Original Song", "best song": "Best Original Song",
    "best visual effects": "Best Visual Effects", "best special effects": "Best Visual Effects",
    "best film editing": "Best Film Editing", "best editing": "Best Film Editing",
    "best costume design": "Best Costume Design", "best costumes": "Best Costume Design",
    "best production design": "Best Production Design",
    "best makeup": "Best Makeup and Hairstyling", "best sound": "Best Sound",
}
PERFORMANCE = ("oscar-winning performances", "oscar winning performances",
               "oscar-winning performance", "oscar winning performance",
               "academy award winning performances", "academy award-winning performances",
               "award-winning performances", "award winning performances")
NOMINATED = ("oscar-nominated", "oscar nominated", "oscar nominees", "oscar nominee",
             "academy award nominated", "academy award-nominated",
             "academy award nominees", "nominated for an oscar", "nominated for oscars",
             "nominated for an academy award", "oscar nominations", "oscar nomination")
WON = ("academy award winning", "academy award-winning", "academy award winners",
       "academy award winner", "oscar-winning", "oscar winning", "oscar winners",
       "oscar winner", "won an oscar", "won oscars", "won the oscar", "won an academy award",
       "oscars", "oscar", "academy awards", "academy award")
_NOMINEE_WORDS = re.compile(r"\b(?:nominated|nominees?|nominations?)\b")
_WIN_WORDS = re.compile(r"\b(?:won|wins|winners?|winning|awarded)\b")
_AT_THE_OSCARS = re.compile(r"\b(?:at the |an? )?(?:oscars?|academy awards?)\b(?:\s+for)?")


@functools.cache
def _pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


def category_tag(category: str, won: bool) -> str:
    """The index tag of a category, won or nominated ('won:best picture')."""
    return f"{'won' if won else 'nominated'}:{category.casefold()}"


def take_awards(text: str) -> tuple[str, list[str], list[str]]:
    """(text without its award words, tags every result must carry, labels to show)."""
    tags: list[str] = []
    labels: list[str] = []
    nominated = _NOMINEE_WORDS.search(text) is not None
    for phrase in sorted(CATEGORIES, key=len, reverse=True):
        pattern = _pattern(phrase)
        if pattern.search(text) is None:
            continue
        text = pattern.sub(" ", text)
        category = CATEGORIES[phrase]
        tag = category_tag(category, not nominated)
        if tag not in tags:
            tags.append(tag)
            labels.append(f"{category} ({'nominated' if nominated else 'won'})")
    generic: list[tuple[tuple[str, ...], str, str]] = [
        (PERFORMANCE, "won:acting", "an Oscar-winning performance"),
        (NOMINATED, "oscar-nominated", "an Oscar nomination"),
        (WON, "oscar", "an Oscar win")]
    for phrases, tag, label in generic:
        for phrase in phrases:
            pattern = _pattern(phrase)
            if pattern.search(text) is None:
                continue
            text = pattern.sub(" ", text)
            if not tags:  # a named category already says more
                tags.append(tag)
                labels.append(label)
    if tags:
        text = _AT_THE_OSCARS.sub(" ", _NOMINEE_WORDS.sub(" ", _WIN_WORDS.sub(" ", text)))
    return text, tags, labels


def award_reasons(tags: Sequence[str], awards: Sequence[str]) -> list[str]:
    """The title's award line that answers the query's award tags: 'Oscar, Best Picture
    (1973)' for "Best Picture winners", its first acting line for "Oscar-winning
    performances", its first win (or nomination) for "Oscar winners" ("-nominated")."""
    for tag in tags:
        status, _, category = tag.partition(":")
        wins = [a for a in awards if a.startswith("Oscar,")]
        lines = wins if status in ("won", "oscar") else list(awards)
        if category == "acting":
            lines = [a for a in lines if any(f", {c}:" in a or f", {c} (" in a
                                             for c in ACTING_CATEGORIES)]
        elif category:
            lines = [a for a in lines if category in a.casefold()]
        if lines:
            return [lines[0]]
    return []
