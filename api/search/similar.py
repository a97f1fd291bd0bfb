"""What makes a film "like X" to a viewer, besides text and co-viewing: the same series,
X's main genres, the same era, the same people. Pure functions over catalog records.

- series: "Toy Story 2" and "Toy Story", "The Godfather: Part II" and "The Godfather"
  share a series key (the first two significant words of the title before its subtitle,
  without a sequel number);
- main genres: X's genres without Drama and Comedy when it has others (Heat's are Action,
  Crime, Thriller; a drama that is only a drama keeps Drama);
- era: 1 for the same year, falling linearly to 0 at 20 years apart, so the year is a
  soft closeness rather than the words "(1995)" in two embedded texts;
- people: 1 for the same director, else the share of X's lead cast (top 5) in the film.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from omega.titles import normalize_title, person_key

BROAD_GENRES = frozenset({"Drama", "Comedy"})
ERA_SPAN_YEARS = 20
LEAD_CAST = 5
_SUBTITLE = re.compile(r"\s*(?::|\s-\s|\(|,\s*(?:the|a|an)$)", re.IGNORECASE)
# MovieLens writes the article last: 'Godfather: Part II, The', 'Heat, The (Xi yan)'
_ARTICLE_LAST = re.compile(r"^(?P<rest>.+?),\s*(?P<article>the|a|an)(?P<tail>\s*\(.*\))?$",
                           re.IGNORECASE)
_SEQUEL = re.compile(r"(?:\s+(?:part|chapter|episode))?\s+(?:\d{1,2}|[ivx]{1,4})$")
_STOP = frozenset({"the", "a", "an", "of", "to", "and", "in", "on", "at", "for", "with",
                   "part", "episode", "chapter"})


def series_key(title: str) -> str | None:
    """The key a film shares with its sequels and prequels, or None for a title too
    plain to tell ('Up', 'Ran': one word under four letters). A one-word title keeps its
    article: 'The Heat' is no sequel of 'Heat', while 'Rocky III' is one of 'Rocky'."""
    moved = _ARTICLE_LAST.match(title.strip())
    if moved:
        title = f"{moved['article']} {moved['rest']}{moved['tail'] or ''}"
    head = _SUBTITLE.split(title, maxsplit=1)[0] or title
    stem = _SEQUEL.sub("", normalize_title(head))
    words = [w for w in stem.split() if w not in _STOP]
    if not words or (len(words) == 1 and len(words[0]) < 4):
        return None
    if len(words) == 1 and stem.split()[0] in ("the", "a", "an"):
        return f"{stem.split()[0]} {words[0]}"
    return " ".join(words[:2])


def main_genres(genres: Iterable[str]) -> set[str]:
    genres = set(genres)
    narrow = genres - BROAD_GENRES
    return narrow or genres


def main_genre_share(genres: Iterable[str], anchor_main: set[str]) -> float:
    """The share of the anchor's main genres the film has."""
    return len(set(genres) & anchor_main) / len(anchor_main) if anchor_main else 0.0


def era_closeness(year: int | None, anchor_year: int | None) -> float:
    if year is None or anchor_year is None:
        return 0.0
    return max(0.0, 1.0 - abs(year - anchor_year) / ERA_SPAN_YEARS)


def people_overlap(record: dict[str, Any], anchor: dict[str, Any]) -> float:
    """1 for the same director; else the share of the anchor's lead cast in the film."""
    director = anchor.get("director")
    if director and record.get("director") and person_key(director) == person_key(
            record["director"]):
        return 1.0
    lead = {person_key(n) for n in (anchor.get("cast") or [])[:LEAD_CAST]}
    if not lead:
        return 0.0
    theirs = {person_key(n) for n in (record.get("cast") or [])[:LEAD_CAST]}
    return len(lead & theirs) / len(lead)


def shared_people(record: dict[str, Any], anchor: dict[str, Any]) -> str | None:
    if anchor.get("director") and record.get("director") and person_key(
            anchor["director"]) == person_key(record["director"]):
        return f"Also directed by {record['director']}"
    lead = {person_key(n): n for n in (anchor.get("cast") or [])[:LEAD_CAST]}
    shared = [lead[k] for k in (person_key(n) for n in (record.get("cast") or [])[:LEAD_CAST])
              if k in lead]
    return f"Also starring {', '.join(shared[:2])}" if shared else None
