"""Catalog title helpers shared by producers, streams and the API (public data only)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omega.avro import AvroCodec
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
        extra.append("Oscar-winning performance.")
    if record.get("creative_type"):
        extra.append(f"{record['creative_type']}.")
    if record.get("keywords"):
        extra.append(f"{', '.join(record['keywords'][:8])}.")
    if record.get("overview"):
        extra.append(str(record["overview"]))
    return " ".join([text, *extra])


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


def known_votes(record: dict[str, Any]) -> int:
    """How well known a film is, in IMDb votes (MovieLens ratings converted)."""
    return int(record.get("votes") or (record.get("movielens_ratings") or 0)
               * VOTES_PER_MOVIELENS_RATING)


def title_payload(record: dict[str, Any]) -> dict[str, Any]:
    """What the index stores with a vector: the fields search filters on."""
    keep = ("title", "year", "genres", "rating", "votes", "runtime_min", "mpaa")
    payload = {k: record[k] for k in keep if record.get(k) is not None}
    payload["known_votes"] = known_votes(record)
    payload.update(title_people(record))
    if record.get("awards"):
        payload["awards"] = ["oscar"]
    return payload


def display_title(record: dict[str, Any]) -> str:
    """'Heat (1995)', or the title alone when the year is unknown."""
    return f"{record['title']} ({record['year']})" if record.get("year") else record["title"]


def read_catalog(settings: Settings, codec: AvroCodec) -> list[dict[str, Any]]:
    """The catalog as its compacted topic holds it now (the last record per title id),
    ordered by id; empty before any catalog is published."""
    from omega.kafka import ensure_topics, read_to_end
    from omega.topics import CATALOG_TITLES, topic_catalog

    ensure_topics(settings, [topic_catalog(settings)[CATALOG_TITLES]])
    titles: dict[int, dict[str, Any]] = {}
    for msg in read_to_end(settings, [settings.topic(CATALOG_TITLES)]):
        value = msg.value()
        if value is not None:
            record = codec.decode(value, "omega.CatalogTitle")
            titles[record["title_id"]] = record
    return [titles[t] for t in sorted(titles)]
