"""Catalog title helpers shared by producers, streams and the API (public data only)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omega.kafka.avro import AvroCodec
    from omega.settings import Settings

_ARTICLE = re.compile(r"^(?P<rest>.*), (?P<article>the|a|an)$")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize_title(title: str) -> str:
    """Match key: 'Matrix, The' and 'The Matrix!' both become 'the matrix'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    text = text.strip()
    moved = _ARTICLE.match(text)
    if moved:
        text = f"{moved['article']} {moved['rest']}"
    return _NON_WORD.sub(" ", text).strip()


_PARENTHESES = re.compile(r"\s*\(([^()]*)\)\s*$")
_AKA = re.compile(r"^a\.?\s?k\.?\s?a\.?\s+", re.IGNORECASE)
# MovieLens writes foreign articles last too: 'Decameron, Il', 'Avventura, L''
_ANY_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>[^\W\d_]{1,3}'?)$")
_SUBTITLE = re.compile(r":\s|\s-\s")
_POSSESSIVE_CREDIT = re.compile(r"^(?:\S+\s){0,2}\S+['’]s\s+(?=\S)")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s(?=\S)")
_AKA_PARENTHESES = re.compile(r"\s*\(a\.?\s?k\.?\s?a\.?\s[^()]*\)", re.IGNORECASE)
# the rules of title_variants, surest first
TITLE_RULES = ("alternative title", "leading article", "possessive credit", "subtitle")


def _names(title: str) -> list[str]:
    """A title and the alternative titles it gives in trailing parentheses:
    'Independence Day (a.k.a. ID4)', 'Wedding Banquet, The (Xi yan)'."""
    names, main = [], title.strip()
    while (alt := _PARENTHESES.search(main)) and alt.start() > 0:
        names.append(_AKA.sub("", alt[1]).strip())
        main = main[:alt.start()]
    names.insert(0, main)
    return [n for n in names if n]


def _article_first(name: str) -> str:
    moved = _ANY_ARTICLE.match(name.strip())
    return f"{moved['article']} {moved['rest']}" if moved else name


def title_fullness(title: str) -> int:
    """How many words a title names its film with, an 'a.k.a.' and a leading article
    aside: of two titles of one film, the fuller is shown ('Seven Samurai (Shichinin no
    samurai)' over 'Shichinin no samurai', 'Independence Day' over its '(a.k.a. ID4)')."""
    name = normalize_title(_AKA_PARENTHESES.sub("", title))
    return len(_LEADING_ARTICLE.sub("", name).split())


def title_variants(title: str) -> list[tuple[str, list[str]]]:
    """Match keys by which one film goes under several titles, surest first: its alternative
    titles ('X (a.k.a. Y)', the original title in parentheses, an article written last in
    any language), then a name without its leading article ('The Life of Brian'), without
    a possessive credit ("Monty Python's Life of Brian") or without its subtitle
    ('X2: X-Men United'). Each rule's keys leave out the title's own normalised key."""
    listed = _names(title)
    names = [_article_first(n) for n in listed]
    keys: dict[str, str] = {}  # a name → its normalised key, each normalised once

    def key(name: str) -> str:
        if name not in keys:
            keys[name] = normalize_title(name)
        return keys[name]

    full = [key(n) for n in (*listed, *names)]
    rules = [("alternative title", full),
             ("leading article", [_LEADING_ARTICLE.sub("", k) for k in full]),
             ("possessive credit", [key(_POSSESSIVE_CREDIT.sub("", n)) for n in names]),
             ("subtitle", [key(_SUBTITLE.split(n, maxsplit=1)[0]) for n in names])]
    seen = {key(title), ""}
    out = []
    for rule, found in rules:
        fresh = [k for k in dict.fromkeys(found) if k not in seen]
        seen.update(fresh)
        if fresh:
            out.append((rule, fresh))
    return out


def title_text(record: dict[str, Any]) -> str:
    """What gets embedded: 'Heat (1995) Action|Crime|Drama', the reference's format, then
    what the enrichment sources know: director, cast, awards, creative type, overview
    and keywords ('… Directed by Michael Mann.'). A title without them embeds as before."""
    year = f" ({record['year']})" if record.get("year") else ""
    genres = f" {'|'.join(record['genres'])}" if record.get("genres") else ""
    text = f"{record['title']}{year}{genres}"
    extra = []
    if record.get("director"):
        extra.append(f"Directed by {record['director']}.")
    if record.get("cast"):
        extra.append(f"Starring {', '.join(record['cast'][:5])}.")
    if record.get("awards"):
        extra.append(oscar_text(record))
    if record.get("creative_type"):
        extra.append(f"{record['creative_type']}.")
    if record.get("keywords"):
        extra.append(f"{', '.join(record['keywords'][:8])}.")
    if record.get("overview"):
        extra.append(str(record["overview"]))
    return " ".join([text, *extra])


def oscar_text(record: dict[str, Any]) -> str:
    """'Oscar winner: Best Picture, Best Director.' or 'Oscar-nominated.' (a record of the
    v2 catalog, with awards but no `oscars`: 'Oscar-winning performance.', all it had)."""
    if not record.get("oscars"):
        return "Oscar-winning performance."
    won = list(dict.fromkeys(o["category"] for o in record["oscars"] if o["won"]))
    return f"Oscar winner: {', '.join(won[:3])}." if won else "Oscar-nominated."


ACTING_CATEGORIES = ("Best Actor", "Best Actress", "Best Supporting Actor",
                     "Best Supporting Actress")


def award_tags(record: dict[str, Any]) -> list[str]:
    """What the index filters awards by: 'oscar' (won any), 'oscar-nominated' (any
    nomination, won or not), 'won:best picture' and 'nominated:best picture' (each
    category's key, omega.titles.normalize_title; nominated includes won), and
    'won:acting', 'nominated:acting' for any of the four acting categories."""
    oscars = record.get("oscars")
    if not oscars:  # a v2 record's awards were wins; a v3 record's come from `oscars`
        return ["oscar"] if record.get("awards") else []
    tags = {"oscar-nominated"}
    for entry in oscars:
        categories = [normalize_title(entry["category"])]
        if entry["category"] in ACTING_CATEGORIES:
            categories.append("acting")
        for category in categories:
            tags.add(f"nominated:{category}")
            if entry["won"]:
                tags.update(("oscar", f"won:{category}"))
    return sorted(tags)


def person_key(name: str) -> str:
    """Match key of a person's name: 'Steven  Spielberg' and 'steven spielberg' agree."""
    return normalize_title(name)


def title_people(record: dict[str, Any]) -> dict[str, list[str]]:
    """Person keys of a title's director and cast, for the index's filters."""
    people = {"directors": [person_key(record["director"])] if record.get("director") else [],
              "cast": sorted({person_key(n) for n in record.get("cast") or () if n})}
    return {field: keys for field, keys in people.items() if keys}


# IMDb votes one MovieLens rating stands for, where a film has no IMDb votes: the median
# ratio over the 1,138 films with both and ≥ 20 ratings
VOTES_PER_MOVIELENS_RATING = 350


# dslabs/movielens' ratings run from January 1995 to October 2016: a film released in
# 2015 had under two years to gather the ratings a 1990 film gathered over 22.
MOVIELENS_FIRST, MOVIELENS_LAST = 1995.0, 2016.8
RECENT_BOOST_CAP = 4.0
IMDB_LAST_YEAR = 2011  # the newest films with IMDb votes here (vega-datasets')


def known_votes(record: dict[str, Any]) -> int:
    """How well known a film is, in IMDb votes. Where IMDb has none, MovieLens ratings
    converted; for a film newer than the IMDb counts (2011), per year it could be rated
    there, scaled to the data set's whole span (at most fourfold): without this every
    newer film looked unknown ("recent comedies" found none anyone recognises)."""
    if record.get("votes"):
        return int(record["votes"])
    ratings = record.get("movielens_ratings") or 0
    year = record.get("year") or 0
    if year <= IMDB_LAST_YEAR:  # IMDb could have counted it: no votes means few viewers
        return int(ratings * VOTES_PER_MOVIELENS_RATING)
    span = MOVIELENS_LAST - MOVIELENS_FIRST
    boost = min(RECENT_BOOST_CAP, span / max(MOVIELENS_LAST - year, 0.5))
    return int(ratings * VOTES_PER_MOVIELENS_RATING * boost)


def title_payload(record: dict[str, Any]) -> dict[str, Any]:
    """What the index stores with a vector: the fields search filters on."""
    keep = ("title", "year", "genres", "rating", "votes", "runtime_min", "mpaa")
    payload = {k: record[k] for k in keep if record.get(k) is not None}
    payload["known_votes"] = known_votes(record)
    payload.update(title_people(record))
    tags = award_tags(record)
    if tags:
        payload["awards"] = tags
    return payload


def display_title(record: dict[str, Any]) -> str:
    """'Heat (1995)', or the title alone when the year is unknown."""
    return f"{record['title']} ({record['year']})" if record.get("year") else record["title"]


def read_catalog(settings: Settings, codec: AvroCodec) -> list[dict[str, Any]]:
    """The catalog as its compacted topic holds it now (the last record per title id; a
    tombstone deletes its id's title), ordered by id; empty before any catalog is
    published."""
    from omega.kafka.clients import ensure_topics, read_to_end
    from omega.kafka.topics import CATALOG_TITLES, topic_catalog

    ensure_topics(settings, [topic_catalog(settings)[CATALOG_TITLES]])
    titles: dict[int, dict[str, Any]] = {}
    for msg in read_to_end(settings, [settings.topic(CATALOG_TITLES)]):
        value = msg.value()
        if value is not None:
            record = codec.decode(value, "omega.CatalogTitle")
            titles[record["title_id"]] = record
        elif key := msg.key():
            titles.pop(int(key), None)  # a retired id (omega/data/twins.py)
    return [titles[t] for t in sorted(titles)]
