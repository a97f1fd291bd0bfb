"""Query understanding: natural language → filters, mood words and the text to embed.

Pure and deterministic: "sci-fi from the 90s" → genres {Sci-Fi}, years 1990–1999;
"feel-good movies like Amelie after 2000" → mood feel-good (soft: Comedy), like-title
Amelie (resolved by the caller's catalog), years 2001–; "Hitchcock thriller from the
50s" → person Alfred Hitchcock (the caller's people index: directors and cast the
sources know), Thriller, 1950s; "Best Picture winners", "Oscar-nominated" → award tags
(api/search/awards.py); "recent" → the last few years
of the catalog. What is recognised is removed from the text; what is left is embedded
(or, if nothing is left, the genre words are). A person the query names after "directed
by", "starring" or "with" whom no source knows is reported in `unresolved`, never
dropped in silence. Genre names are the catalog's (MovieLens and ggplot2movies).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.search.awards import take_awards

# Phrase → catalog genres. Explicit genre words filter; see MOODS for soft ones.
GENRE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "science fiction": ("Sci-Fi",), "sci-fi": ("Sci-Fi",), "sci fi": ("Sci-Fi",),
    "scifi": ("Sci-Fi",), "space": ("Sci-Fi",),
    "cyberpunk": ("Sci-Fi",), "dystopian": ("Sci-Fi",), "aliens": ("Sci-Fi",),
    "robots": ("Sci-Fi",), "time travel": ("Sci-Fi",),
    "romantic comedy": ("Romance", "Comedy"), "rom-com": ("Romance", "Comedy"),
    "romcom": ("Romance", "Comedy"), "rom com": ("Romance", "Comedy"),
    "romance": ("Romance",), "romantic": ("Romance",), "love story": ("Romance",),
    "comedy": ("Comedy",), "comedies": ("Comedy",), "funny": ("Comedy",),
    "hilarious": ("Comedy",), "humor": ("Comedy",), "humour": ("Comedy",),
    "horror": ("Horror",), "slasher": ("Horror",), "zombie": ("Horror",),
    "zombies": ("Horror",), "vampire": ("Horror",), "haunted": ("Horror",),
    "thriller": ("Thriller",), "thrillers": ("Thriller",), "suspense": ("Thriller",),
    "crime": ("Crime",), "heist": ("Crime",), "gangster": ("Crime",), "mafia": ("Crime",),
    "mob": ("Crime",), "detective": ("Crime", "Mystery"), "noir": ("Film-Noir",),
    "film noir": ("Film-Noir",), "film-noir": ("Film-Noir",),
    "mystery": ("Mystery",), "whodunit": ("Mystery",),
    "action": ("Action",), "martial arts": ("Action",), "kung fu": ("Action",),
    "adventure": ("Adventure",), "adventures": ("Adventure",), "quest": ("Adventure",),
    "animated": ("Animation",), "animation": ("Animation",), "cartoon": ("Animation",),
    "cartoons": ("Animation",), "anime": ("Animation",),
    "kids": ("Children",), "children": ("Children",), "family": ("Children",),
    "family-friendly": ("Children",), "family friendly": ("Children",),
    "documentary": ("Documentary",), "documentaries": ("Documentary",),
    "docs": ("Documentary",), "drama": ("Drama",), "dramas": ("Drama",),
    "fantasy": ("Fantasy",), "magic": ("Fantasy",), "wizards": ("Fantasy",),
    "dragons": ("Fantasy",), "fairy tale": ("Fantasy",),
    "musical": ("Musical",), "musicals": ("Musical",),
    "war": ("War",), "world war": ("War",), "wwii": ("War",), "ww2": ("War",),
    "military": ("War",), "western": ("Western",), "westerns": ("Western",),
    "cowboy": ("Western",), "cowboys": ("Western",), "wild west": ("Western",),
    "short film": ("Short",), "short films": ("Short",), "imax": ("IMAX",),
}

# Mood phrase → (mood word shown to the user, genres it leans to). Soft: ranks, never filters.
MOODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "feel-good": ("feel-good", ("Comedy", "Romance")),
    "feel good": ("feel-good", ("Comedy", "Romance")),
    "uplifting": ("uplifting", ("Comedy", "Drama")),
    "heartwarming": ("heartwarming", ("Drama", "Children")),
    "lighthearted": ("lighthearted", ("Comedy",)),
    "light-hearted": ("lighthearted", ("Comedy",)),
    "cheerful": ("cheerful", ("Comedy",)), "happy": ("happy", ("Comedy",)),
    "scary": ("scary", ("Horror", "Thriller")), "spooky": ("spooky", ("Horror",)),
    "creepy": ("creepy", ("Horror", "Thriller")),
    "terrifying": ("terrifying", ("Horror",)), "frightening": ("frightening", ("Horror",)),
    "tense": ("tense", ("Thriller",)), "suspenseful": ("suspenseful", ("Thriller",)),
    "gritty": ("gritty", ("Crime", "Drama")), "dark": ("dark", ("Thriller", "Crime")),
    "sad": ("sad", ("Drama",)), "tearjerker": ("tearjerker", ("Drama", "Romance")),
    "emotional": ("emotional", ("Drama",)), "thought-provoking": ("thought-provoking",
                                                                  ("Drama", "Sci-Fi")),
    "mind-bending": ("mind-bending", ("Sci-Fi", "Thriller")),
    "exciting": ("exciting", ("Action", "Adventure")),
    "epic": ("epic", ("Adventure", "War")), "cozy": ("cozy", ("Comedy", "Romance")),
    "date night": ("date night", ("Romance", "Comedy")),
    "wholesome": ("wholesome", ("Children",)), "quirky": ("quirky", ("Comedy",)),
}

DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950,
                "sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
HIGHLY_RATED = ("critically acclaimed", "highly rated", "highly-rated", "top rated",
                "top-rated", "acclaimed", "award winning", "award-winning", "masterpiece",
                "best rated", "well reviewed")
HIGH_RATING = 7.5  # of 10, the catalog's public rating scale
SHORT_MAX_MIN, LONG_MIN_MIN = 95, 150
FILLER = {"a", "an", "the", "some", "any", "movie", "movies", "film", "films", "show", "me",
          "find", "i", "want", "to", "watch", "something", "anything", "with", "from", "in",
          "of", "and", "or", "for", "that", "is", "are", "good", "great", "please", "title",
          "titles", "recommend", "ones", "one", "by", "made", "released", "set", "about",
          "like", "similar", "year", "years", "era", "s"}

_LIKE = re.compile(r"\b(?:like|similar to|in the vein of|reminiscent of|such as)\s+(?P<rest>.+)$")
_BETWEEN = re.compile(r"\bbetween\s+(?P<a>(?:19|20)\d\d)\s+(?:and|-)\s+(?P<b>(?:19|20)\d\d)\b")
_AFTER = re.compile(r"\b(?P<op>after|since|post-?|newer than)\s*(?P<y>(?:19|20)\d\d)\b")
_BEFORE = re.compile(r"\b(?P<op>before|pre-?|older than|until)\s*(?P<y>(?:19|20)\d\d)\b")
_DECADE = re.compile(r"(?<![\w'])'?(?P<century>19|20)?(?P<d>\d)0'?s\b")
_YEAR = re.compile(r"\b(?P<y>(?:19|20)\d\d)\b")
_WORD = re.compile(r"[\w'-]+")

RECENT_YEARS = 5  # "recent": the catalog's last RECENT_YEARS years, its latest included
_RECENT = re.compile(r"\b(?:recent|newest|latest|new releases?"
                     r"|new(?= (?:[\w-]+ )?(?:movies|films|releases)\b))\b")
# A person named after a cue: up to three words (a name is not a filler or genre word).
_PERSON_CUE = re.compile(r"\b(?P<cue>directed by|director|starring|featuring|with|by)\s+"
                         r"(?P<name>[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){0,2})")
_STRONG_CUES = {"directed by", "director", "starring", "featuring"}
_NAME_THEN_FILMS = re.compile(r"^(?P<name>[a-z][\w.'-]*(?:\s+[a-z][\w.'-]*){1,2})'?s?\s+"
                              r"(?:films|movies)$")

Resolver = Callable[[str], tuple[int, str] | None]
# (person phrase, role the query's cue asks for or None) → (key, display name, role:
# "director" | "cast"), or None
PersonFinder = Callable[[str, str | None], tuple[str, str, str] | None]
_CUE_ROLE = {"directed by": "director", "director": "director", "by": "director",
             "starring": "cast", "featuring": "cast", "with": "cast"}


@dataclass
class QueryIntent:
    """What a search query asks for."""

    raw: str
    text: str = ""
    genres: list[str] = field(default_factory=list)
    mood_genres: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    period: str | None = None
    min_rating: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    length: str | None = None
    like_title_id: int | None = None
    like_title: str | None = None
    people: list[tuple[str, str, str]] = field(default_factory=list)  # (key, name, role)
    awards: list[str] = field(default_factory=list)  # index tags (api/search/awards.py)
    award_labels: list[str] = field(default_factory=list)
    recent: bool = False
    unresolved: list[str] = field(default_factory=list)
    named_title_id: int | None = None  # the whole query is a title's name ("Heat")

    def metadata(self) -> dict[str, Any]:
        """What we understood, as the API reports it."""
        return {"detectedGenres": self.genres, "moods": self.moods, "period": self.period,
                "yearFrom": self.year_from, "yearTo": self.year_to,
                "minRating": self.min_rating, "length": self.length,
                "likeTitle": self.like_title, "likeTitleId": self.like_title_id,
                "directors": [n for _, n, role in self.people if role == "director"],
                "cast": [n for _, n, role in self.people if role == "cast"],
                "awards": self.award_labels, "recent": self.recent,
                "unresolved": self.unresolved, "semanticText": self.text}


@functools.cache
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])")


def _take(text: str, phrase: str) -> tuple[str, bool]:
    if phrase not in text:  # most of the 100+ phrases: no regex needed
        return text, False
    pattern = _phrase_pattern(phrase)
    if pattern.search(text) is None:
        return text, False
    return pattern.sub(" ", text), True


def _add(target: list[str], values: tuple[str, ...]) -> None:
    for value in values:
        if value not in target:
            target.append(value)


def _resolve_like(rest: str, resolve: Resolver | None) -> tuple[tuple[int, str] | None, str]:
    """The longest prefix of `rest` that names a catalog title, and what follows it."""
    if resolve is None:
        return None, rest
    words = rest.split()
    for end in range(len(words), 0, -1):
        found = resolve(" ".join(words[:end]))
        if found is not None:
            return found, " ".join(words[end:])
    return None, rest


def _years(text: str, intent: QueryIntent) -> str:
    if (m := _BETWEEN.search(text)) is not None:
        a, b = sorted((int(m["a"]), int(m["b"])))
        intent.year_from, intent.year_to, intent.period = a, b, f"{a}–{b}"
        return text[:m.start()] + " " + text[m.end():]
    for word, start in DECADE_WORDS.items():
        text, found = _take(text, word)
        if found:
            intent.year_from, intent.year_to, intent.period = start, start + 9, f"{start}s"
            return text
    if (m := _DECADE.search(text)) is not None:
        start = int(m["century"] or "19") * 100 + int(m["d"]) * 10
        if m["century"] is None and int(m["d"]) < 2:
            start += 100  # "00s" and "10s" mean this century; "20s" the 1920s
        intent.year_from, intent.year_to, intent.period = start, start + 9, f"{start}s"
        return text[:m.start()] + " " + text[m.end():]
    if (m := _AFTER.search(text)) is not None:
        year = int(m["y"])
        intent.year_from = year if m["op"] == "since" else year + 1
        intent.period = f"{intent.year_from} or later"
        return text[:m.start()] + " " + text[m.end():]
    if (m := _BEFORE.search(text)) is not None:
        intent.year_to = int(m["y"]) - (0 if m["op"] == "until" else 1)
        intent.period = f"{intent.year_to} or earlier"
        return text[:m.start()] + " " + text[m.end():]
    if (m := _YEAR.search(text)) is not None:
        intent.year_from = intent.year_to = int(m["y"])
        intent.period = m["y"]
        return text[:m.start()] + " " + text[m.end():]
    return text


_VOCABULARY = (set(FILLER) | {w for p in [*GENRE_SYNONYMS, *MOODS] for w in p.split()}
               | set(DECADE_WORDS) | {"short", "long", "quick", "recent", "new", "oscar",
                                      "oscars", "winners", "winning", "classic", "classics",
                                      "old", "best", "top", "rated", "directed", "starring"})


def _name_words(name: str) -> list[str]:
    """The leading words of `name` that could be part of a person's name."""
    words = []
    for word in name.split():
        if word.strip("'s") in _VOCABULARY or word in _VOCABULARY or _YEAR.fullmatch(word):
            break
        words.append(word)
    return words


def _add_person(intent: QueryIntent, found: tuple[str, str, str]) -> None:
    if found[0] not in {key for key, _, _ in intent.people}:
        intent.people.append(found)


def _people(text: str, intent: QueryIntent, find: PersonFinder) -> str:
    """Take the people `text` names: after a cue ("directed by Hitchcock", "starring Tom
    Hanks", "films with Tom Hanks"), then anywhere ("Spielberg films")."""
    for m in list(_PERSON_CUE.finditer(text)):
        words = _name_words(m["name"])
        found = None
        for end in range(len(words), 0, -1):
            if (found := find(" ".join(words[:end]), _CUE_ROLE[m["cue"]])) is not None:
                words = words[:end]
                break
        if found is not None:
            _add_person(intent, found)
        elif words and (m["cue"] in _STRONG_CUES or len(words) >= 2):
            role = "director" if m["cue"] in {"directed by", "director"} else "person"
            intent.unresolved.append(f"{role} \"{' '.join(words)}\": no source knows them")
        else:
            continue
        text = text.replace(f"{m['cue']} {' '.join(words)}", " ", 1)
    words = text.split()
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i:i + size])
            if len(words[i:i + size]) == size and not set(words[i:i + size]) <= _VOCABULARY \
                    and (found := find(phrase.removesuffix("'s"), None)):
                _add_person(intent, found)
                del words[i:i + size]
                break
        else:
            i += 1
    text = " ".join(words)
    named = _NAME_THEN_FILMS.match(text)
    if not intent.people and named is not None:
        name = _name_words(named["name"])
        if len(name) >= 2 and len(name) == len(named["name"].split()):
            intent.unresolved.append(f"person \"{' '.join(name)}\": no source knows them")
            text = ""
    return text


def parse_query(query: str, resolve: Resolver | None = None,
                find_person: PersonFinder | None = None,
                latest_year: int | None = None) -> QueryIntent:
    """Understand `query`; `resolve` maps a title phrase to (title id, display title),
    `find_person` a name to a person the catalog knows, `latest_year` is the catalog's."""
    intent = QueryIntent(raw=query)
    text = " ".join(query.casefold().split())
    if resolve is not None and (named := resolve(text)) is not None:
        intent.text = query.strip()  # a title by name: search for it, read nothing into it
        intent.named_title_id = named[0]
        return intent
    if (m := _LIKE.search(text)) is not None:
        like, after = _resolve_like(m["rest"], resolve)
        if like is not None:
            intent.like_title_id, intent.like_title = like
            text = text[:m.start()] + " " + after
    text, intent.awards, intent.award_labels = take_awards(text)
    text = _years(text, intent)
    if (m := _RECENT.search(text)) is not None:
        intent.recent = True
        text = text[:m.start()] + " " + text[m.end():]
        if latest_year is not None and intent.year_from is None:
            intent.year_from, intent.year_to = latest_year - RECENT_YEARS + 1, latest_year
            intent.period = f"recent: {intent.year_from}–{latest_year}"
    if find_person is not None:
        text = _people(text, intent, find_person)
    for phrase in HIGHLY_RATED:
        text, found = _take(text, phrase)
        if found:
            intent.min_rating = HIGH_RATING
    for phrase in sorted(GENRE_SYNONYMS, key=len, reverse=True):
        text, found = _take(text, phrase)
        if found:
            _add(intent.genres, GENRE_SYNONYMS[phrase])
    for phrase in sorted(MOODS, key=len, reverse=True):
        text, found = _take(text, phrase)
        if found:
            mood, leans = MOODS[phrase]
            _add(intent.moods, (mood,))
            _add(intent.mood_genres, leans)
    for phrase, bound in (("short", "max"), ("quick", "max"), ("long", "min")):
        text, found = _take(text, phrase)
        if found:
            if bound == "max":
                intent.runtime_max, intent.length = SHORT_MAX_MIN, f"under {SHORT_MAX_MIN} min"
            else:
                intent.runtime_min, intent.length = LONG_MIN_MIN, f"over {LONG_MIN_MIN} min"
    words = [w for w in _WORD.findall(text) if w.strip("'-") and w.strip("'-") not in FILLER]
    intent.text = " ".join(words)
    return intent


def embedding_text(intent: QueryIntent) -> str:
    """What to embed: the leftover words, else the genre and mood words, else the query."""
    if intent.text:
        return intent.text
    hints = intent.genres + intent.moods + intent.mood_genres
    return " ".join(hints) if hints else intent.raw
