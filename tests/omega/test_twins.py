"""One id per film: the records of a film listed under other titles are merged, the
survivor keeps its id, namesakes and remakes stay apart, untitled rows are left out."""

from __future__ import annotations

from typing import Any

from omega.data.catalog import build_catalog
from omega.data.twins import MergeReport
from omega.titles import title_fullness, title_variants
from tests.omega.test_catalog import vega_row


def film(title: str, year: int, votes: int = 1_000, length: int = 100,
         **flags: int) -> dict[str, Any]:
    row: dict[str, Any] = {"title": title, "year": year, "length": length, "rating": 7.0,
                           "votes": votes, "mpaa": None}
    row.update(flags)
    return row


def lens(movie_id: int, title: object, year: float, genres: str = "Drama") -> dict[str, Any]:
    return {"movieId": movie_id, "title": title, "year": year, "genres": genres}


def test_title_variants_name_a_film_by_its_other_titles_surest_rule_first() -> None:
    assert title_variants("Independence Day (a.k.a. ID4)") == [
        ("alternative title", ["independence day", "id4"])]
    assert title_variants("Seven Samurai (Shichinin no samurai)") == [
        ("alternative title", ["seven samurai", "shichinin no samurai"])]
    assert title_variants("Bamba, La") == [("alternative title", ["la bamba"])]
    assert title_variants("The Life of Brian") == [("leading article", ["life of brian"])]
    assert title_variants("Monty Python's Life of Brian") == [
        ("possessive credit", ["life of brian"])]
    assert title_variants("X2: X-Men United") == [("subtitle", ["x2"])]
    assert title_variants("Heat") == [] and title_variants("(Entre nous)") == []
    assert title_fullness("Independence Day (a.k.a. ID4)") == title_fullness("Independence Day")
    assert title_fullness("Seven Samurai (Shichinin no samurai)") > title_fullness(
        "Shichinin no samurai")


def test_a_film_listed_under_other_titles_is_one_record_under_its_first_id() -> None:
    movies = [film("Independence Day", 1983, votes=121), film("Independence Day", 1996),
              film("X2", 2003), film("Life of Brian", 1979, Comedy=1)]
    movielens = [lens(780, "Independence Day (a.k.a. ID4)", 1996, "Action|Sci-Fi"),
                 lens(6333, "X2: X-Men United", 2003, "Action"),
                 lens(1080, "Monty Python's Life of Brian", 1979, "Comedy")]
    rows = [vega_row("The Life of Brian", "Aug 17 1979", Director="Terry Jones",
                 **{"Rotten Tomatoes Rating": 98})]
    report = MergeReport()
    catalog = build_catalog(movies, movielens, rows, report=report)
    assert len(catalog) == 4, [r["title"] for r in catalog]
    day = next(r for r in catalog if r["movielens_id"] == 780)
    assert (day["title"], day["year"], day["votes"]) == ("Independence Day", 1996, 1_000)
    assert day["genres"] == ["Action", "Sci-Fi"]
    assert day["sources"] == ["ggplot2movies", "movielens"]
    x2 = next(r for r in catalog if r["movielens_id"] == 6333)
    assert x2["title"] == "X2: X-Men United", "the fuller title is shown"
    brian = next(r for r in catalog if r["movielens_id"] == 1080)
    assert brian["title"] == "Monty Python's Life of Brian"
    assert brian["director"] == "Terry Jones" and brian["rt_rating"] == 98
    assert brian["sources"] == ["ggplot2movies", "movielens", "vega-datasets"]
    assert next(r for r in catalog if r["year"] == 1983)["movielens_id"] is None
    # the listing by (normalised title, year): independence day 1983 (1), 1996 (2),
    # independence day a k a id4 (3), life of brian (4), monty python s life of brian (5),
    # the life of brian (6), x2 (7), x2 x men united (8): IMDb's records keep their ids
    assert [r["title_id"] for r in catalog] == [1, 2, 4, 7]
    assert sorted(report.retired) == [3, 5, 6, 8]
    assert report.merged == {"alternative title": 1, "subtitle": 1, "possessive credit": 1,
                             "leading article": 1}
    assert build_catalog(movies, movielens, rows) == catalog, "same data, same catalog"


def test_a_row_without_a_title_is_left_out_and_its_id_retired_not_reused() -> None:
    movies = [film("Alien", 1979), film("Zulu", 1964)]
    movielens = [lens(108583, float("nan"), float("nan")), lens(1, "Heat", 1995)]
    rows = [vega_row(None, "Nov 03 2006", **{"IMDB Votes": 11_986}),
            vega_row("Nomad", "Mar 16 2007")]
    report = MergeReport()
    catalog = build_catalog(movies, movielens, rows, report=report)
    assert sorted(r["title"] for r in catalog) == ["Alien", "Heat", "Nomad", "Zulu"]
    assert report.dropped == {"movielens": 1, "vega-datasets": 1}
    # listed as alien (1), heat (2), nan (3), nomad (4), none (5), zulu (6): the untitled
    # rows hold their places, so the ids after them are those they always were
    assert [r["title_id"] for r in catalog] == [1, 2, 4, 6] and report.retired == [3, 5]
    assert all(r["title"] not in (None, "None", "nan") for r in catalog)


def test_namesakes_remakes_and_films_whose_facts_differ_stay_apart() -> None:
    movies = [film("Hamlet", 1990), film("Hamlet", 1996),
              # two IMDb films a variant names alike: which one is MovieLens'? not guessed
              film("Vacation", 1983), film("Vacation (Ferien)", 1983),
              film("Dish", 2001, votes=46, length=10, Short=1),
              film("Miracle", 2004, votes=5_785, length=135)]
    movielens = [lens(1, "Hamlet (a.k.a. William Shakespeare's Hamlet)", 1996),
                 lens(2, "National Lampoon's Vacation", 1983),
                 lens(3, "Dish, The", 2001)]
    rows = [vega_row("The Miracle", "Jan 01 2004", **{"IMDB Votes": 126, "Running Time min": 92})]
    report = MergeReport()
    catalog = build_catalog(movies, movielens, rows, report=report)
    hamlets = {r["year"]: r["movielens_id"] for r in catalog if r["title"].startswith("Haml")}
    assert hamlets == {1990: None, 1996: 1}, "the remake, not the 1990 film"
    vacations = [r["sources"] for r in catalog if "Vacation" in r["title"]]
    assert len(vacations) == 3 and ["ggplot2movies", "movielens"] not in vacations
    assert [r["title"] for r in catalog if "Dish" in r["title"]] == ["Dish", "Dish, The"]
    assert [r["votes"] for r in catalog if "Miracle" in r["title"]] == [5_785, 126]
    assert report.merged == {"alternative title": 1}
