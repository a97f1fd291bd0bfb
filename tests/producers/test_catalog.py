"""The merged catalog: matching across sources, stable ids, and the real data's shape."""

from __future__ import annotations

from omega.avro import AvroCodec
from omega.titles import normalize_title
from producers.catalog import build_catalog, load_catalog


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


def test_the_real_catalog_merges_and_encodes(codec: AvroCodec) -> None:
    catalog = load_catalog()
    both = [r for r in catalog if len(r["sources"]) == 2]
    only_lens = [r for r in catalog if r["sources"] == ["movielens"]]
    assert 58_000 < len(catalog) < 58_788 + 9_066
    assert len(both) > 3_000 and only_lens
    assert len({r["title_id"] for r in catalog}) == len(catalog)
    lens_ids = [r["movielens_id"] for r in catalog if r["movielens_id"]]
    assert len(lens_ids) == len(set(lens_ids)) == 9_066, "every MovieLens film has a title"
    heat = [r for r in both if r["title"] == "Heat" and r["year"] == 1995]
    assert heat and "Crime" in heat[0]["genres"]
    for record in catalog[:: len(catalog) // 50]:
        assert codec.decode(codec.encode("omega.CatalogTitle", record),
                            "omega.CatalogTitle") == record
