"""The merged catalog: matching across sources, stable ids, and the real data's shape."""

from __future__ import annotations

from typing import Any

import pytest

from omega.data.catalog import build_catalog, catalog_sources, coverage, load_catalog
from omega.data.twins import LISTINGS, MergeReport
from omega.kafka.avro import AvroCodec
from omega.titles import normalize_title, title_variants

Catalog = tuple[list[dict[str, Any]], MergeReport]


@pytest.fixture(scope="module")
def real() -> Catalog:
    """The real catalog, built once for this module's tests (it takes seconds)."""
    report = MergeReport()
    return load_catalog(report), report


def film(title: str, year: int, votes: int = 10, **flags: int) -> dict[str, object]:
    row: dict[str, object] = {"title": title, "year": year, "length": 100, "rating": 7.0,
                              "votes": votes, "mpaa": "R"}
    row.update(flags)
    return row


def test_normalize_title_moves_articles_and_drops_punctuation() -> None:
    assert normalize_title("Matrix, The") == normalize_title("The Matrix!") == "the matrix"
    assert normalize_title("Amélie") == "amelie"


def test_a_film_in_both_sources_appears_once_with_both_sources_fields() -> None:
    movies = [film("Heat", 1995, Action=1, Drama=1), film("Alien", 1979)]
    movielens = [{"movieId": 6, "title": "Heat", "year": 1995, "genres": "Action|Crime|Thriller"},
                 {"movieId": 9, "title": "Toy Story", "year": 1995, "genres": "Animation"}]
    catalog = build_catalog(movies, movielens)
    heat = next(r for r in catalog if r["title"] == "Heat")
    assert heat["sources"] == ["ggplot2movies", "movielens"]
    assert heat["genres"] == ["Action", "Crime", "Drama", "Thriller"]
    assert heat["runtime_min"] == 100 and heat["movielens_id"] == 6 and heat["mpaa"] == "R"
    assert [r["title_id"] for r in catalog] == [1, 2, 3]
    assert build_catalog(movies, movielens) == catalog, "same data, same ids"


def test_two_movielens_films_with_one_title_keep_their_own_ids() -> None:
    movielens = [{"movieId": 1, "title": "Hamlet", "year": 2000, "genres": "Drama"},
                 {"movieId": 2, "title": "Hamlet", "year": 2000, "genres": "Drama"}]
    catalog = build_catalog([film("Hamlet", 2000)], movielens)
    assert sorted(r["movielens_id"] for r in catalog) == [1, 2]
    assert sorted(len(r["sources"]) for r in catalog) == [1, 2]


def test_duplicates_within_a_source_keep_the_most_voted() -> None:
    catalog = build_catalog([film("Heat", 1995, votes=5), film("Heat", 1995, votes=500)], [])
    assert len(catalog) == 1 and catalog[0]["votes"] == 500


def test_the_real_catalog_merges_and_encodes(codec: AvroCodec, real: Catalog) -> None:
    catalog = real[0]
    listed_by = [set(r["sources"]) & set(LISTINGS) for r in catalog]  # Wikipedia's and the
    both = [r for r, s in zip(catalog, listed_by, strict=True) if len(s) == 2]  # Oscars' aside
    only_lens = [r for r, s in zip(catalog, listed_by, strict=True) if s == {"movielens"}]
    assert 58_000 < len(catalog) < 58_788 + 9_066
    assert len(both) > 3_000 and only_lens
    assert len({r["title_id"] for r in catalog}) == len(catalog)
    lens_ids = [r["movielens_id"] for r in catalog if r["movielens_id"]]
    # every MovieLens film with a title has one record (5 lost their title in dslabs)
    assert len(lens_ids) == len(set(lens_ids)) == 9_066 - 5
    heat = [r for r in both if r["title"] == "Heat" and r["year"] == 1995]
    assert heat and "Crime" in heat[0]["genres"]
    for record in catalog[:: len(catalog) // 50]:
        assert codec.decode(codec.encode("omega.CatalogTitle", record),
                            "omega.CatalogTitle") == record


def vega_row(title: object, date: str, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {"Title": title, "Release Date": date, "Director": None,
                              "Major Genre": None, "Creative Type": None,
                              "Rotten Tomatoes Rating": None, "IMDB Rating": None,
                              "IMDB Votes": None, "Running Time min": None,
                              "MPAA Rating": None}
    row.update(fields)
    return row


def test_vega_fields_merge_by_title_and_year_or_one_off() -> None:
    movies = [film("Jaws", 1975, Drama=1), film("Heat", 1995)]
    vega = [vega_row("Jaws", "Jun 20 1975", Director="Steven Spielberg",
                     **{"Major Genre": "Thriller/Suspense", "Rotten Tomatoes Rating": 100}),
            # released the year after IMDb's year: still the same film
            vega_row("Heat", "Jan 05 1996", Director="Michael Mann",
                     **{"Creative Type": "Contemporary Fiction"}),
            # in no other source: a new film with vega's IMDb figures
            vega_row(1941, "Dec 14 1979", Director="Steven Spielberg",
                     **{"IMDB Votes": 20_000, "IMDB Rating": 5.8, "Major Genre": "Comedy"})]
    catalog = {r["title"]: r for r in build_catalog(movies, [], vega)}
    assert catalog["Jaws"]["director"] == "Steven Spielberg"
    assert catalog["Jaws"]["genres"] == ["Drama", "Thriller"]
    assert catalog["Jaws"]["rt_rating"] == 100 and catalog["Jaws"]["votes"] == 10
    assert catalog["Jaws"]["sources"] == ["ggplot2movies", "vega-datasets"]
    assert catalog["Heat"]["director"] == "Michael Mann" and catalog["Heat"]["year"] == 1995
    assert catalog["1941"]["votes"] == 20_000 and catalog["1941"]["sources"] == ["vega-datasets"]
    assert len(catalog) == 3


def test_movielens_rating_counts_and_coverage() -> None:
    movielens = [{"movieId": 6, "title": "Heat", "year": 1995, "genres": "Action"}]
    catalog = build_catalog([film("Heat", 1995)], movielens, rating_counts={6: 104})
    assert catalog[0]["movielens_ratings"] == 104
    assert coverage(catalog)["movielens_ratings"] == 1 and coverage(catalog)["director"] == 0


def test_the_real_catalog_is_enriched(real: Catalog) -> None:
    catalog = real[0]
    cover = coverage(catalog)
    assert cover["director"] >= 15_000 and cover["rt_rating"] >= 2_000
    assert cover["cast"] >= 18_000 and cover["awards"] == cover["oscars"] >= 3_400
    gump = [r for r in catalog if r["title"] == "Forrest Gump"]
    assert gump[0]["director"] == "Robert Zemeckis" and gump[0]["cast"][0] == "Tom Hanks"
    assert gump[0]["movielens_ratings"] > 300
    assert gump[0]["awards"][:2] == ["Oscar, Best Picture (1995)",
                                     "Oscar, Best Director: Robert Zemeckis (1995)"]


def one(catalog: list[dict[str, Any]], title: str, year: int) -> dict[str, Any]:
    (found,) = [r for r in catalog if r["title"] == title and r["year"] == year]
    return found


def won(record: dict[str, Any], category: str) -> list[str]:
    """Who won `category` for the film (the nominees' line of each win)."""
    return [o["name"] for o in record["oscars"] if o["won"] and o["category"] == category]


def test_issue_37_cast_and_oscars_offline(real: Catalog) -> None:
    """Who is in a film (Wikipedia's lists) and every Oscar, winners and nominees."""
    catalog = real[0]
    toy = one(catalog, "Toy Story", 1995)
    assert "Tom Hanks" in toy["cast"] and toy["director"] == "John Lasseter"
    streep = [r for r in catalog if "Meryl Streep" in r["cast"]]
    assert len(streep) >= 8
    assert won(one(catalog, "Godfather, The", 1972), "Best Picture") == ["Albert S. Ruddy"]
    schindler = one(catalog, "Schindler's List", 1993)
    assert won(schindler, "Best Director") == ["Steven Spielberg"]
    assert "Oscar, Best Director: Steven Spielberg (1994)" in schindler["awards"]
    shawshank = one(catalog, "Shawshank Redemption, The", 1994)  # seven nominations, no win
    assert shawshank["oscars"] and not any(o["won"] for o in shawshank["oscars"])
    assert "Oscar nominee, Best Actor: Morgan Freeman (1995)" in shawshank["awards"]
    assert {"Best Picture", "Best Actor"} <= {o["category"] for o in shawshank["oscars"]}
    best_pictures = [r for r in catalog if won(r, "Best Picture")]
    assert len(best_pictures) >= 85, "every ceremony's winner up to the catalog's last year"


def test_the_cast_and_oscar_sources_add_no_film_and_move_no_id(real: Catalog) -> None:
    """Wikipedia's lists and the Oscars only enrich films the listing sources have."""
    catalog, report = real
    sources = catalog_sources()
    bare = MergeReport()
    without = build_catalog(**{**sources, "wikipedia": (), "oscars": ()}, report=bare)
    assert [r["title_id"] for r in catalog] == [r["title_id"] for r in without]
    assert [r["title"] for r in catalog] == [r["title"] for r in without]
    assert report.retired == bare.retired and report.merged == bare.merged


def test_the_real_catalog_has_one_id_per_film_each_with_its_title(real: Catalog) -> None:
    """Issue 36: MovieLens' 'Independence Day (a.k.a. ID4)', 'X2: X-Men United' and
    "Monty Python's Life of Brian" (and vega's 'The Life of Brian') were films apart from
    IMDb's, so "For you" recommended a liked film's twin; vega's untitled 2006 film was
    called 'None'. The survivors keep their ids: README's and the replay's stay valid."""
    catalog, report = real
    by_id = {r["title_id"]: r for r in catalog}
    day, x2, brian = by_id[24081], by_id[62234], by_id[28337]
    assert (day["title"], day["year"], day["movielens_id"]) == ("Independence Day", 1996, 780)
    assert day["director"] == "Roland Emmerich"
    assert (x2["title"], x2["year"], x2["movielens_id"]) == ("X2: X-Men United", 2003, 6333)
    assert (brian["title"], brian["movielens_id"]) == ("Monty Python's Life of Brian", 1080)
    assert brian["sources"] == ["ggplot2movies", "movielens", "vega-datasets"]
    for twin in (24082, 62235, 32279, 52445, 34622):
        assert twin not in by_id and twin in report.retired
    for name, year, kept in (("independence day", 1996, 24081), ("x2", 2003, 62234),
                             ("life of brian", 1979, 28337)):
        assert [r["title_id"] for r in catalog if r["year"] == year
                and name in names_of(r["title"])] == [kept], "one film goes by that name"
    assert not [r for r in catalog if r["title"] in ("None", "nan", "")]
    assert by_id[18076]["title"] == "Forrest Gump"
    assert by_id[54875]["title"] == "Shawshank Redemption, The"
    assert report.dropped == {"movielens": 5, "vega-datasets": 1}
    assert sum(report.merged.values()) > 600 and report.merged["alternative title"] > 500
    assert sorted([*by_id, *report.retired]) == list(range(1, len(by_id) + len(report.retired)
                                                           + 1)), "ids are never reused"


def names_of(title: str) -> list[str]:
    """Every name a title goes by: its normalised self and its variants."""
    return [normalize_title(title), *(k for _, keys in title_variants(title) for k in keys)]
