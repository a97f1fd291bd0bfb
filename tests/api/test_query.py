"""Query understanding: known phrases → filters, moods, like-title, leftover text."""

from __future__ import annotations

from api.query import GENRE_SYNONYMS, MOODS, embedding_text, parse_query

TITLES = {"heat": (21256, "Heat (1995)"), "the matrix": (52573, "Matrix, The (1999)")}


def resolve(phrase: str) -> tuple[int, str] | None:
    return TITLES.get(phrase.strip())


def test_genres_and_decades() -> None:
    intent = parse_query("sci-fi from the 90s")
    assert intent.genres == ["Sci-Fi"] and (intent.year_from, intent.year_to) == (1990, 1999)
    assert intent.text == "" and embedding_text(intent) == "Sci-Fi"
    assert parse_query("rom-com from the 2000s").genres == ["Romance", "Comedy"]
    assert (parse_query("the nineties").year_from, parse_query("1980s").year_from) == (1990, 1980)
    assert parse_query("westerns from the 00s").year_from == 2000


def test_years_rating_and_length() -> None:
    assert parse_query("thrillers after 2005").year_from == 2006
    assert parse_query("thrillers since 2005").year_from == 2005
    assert parse_query("dramas before 1960").year_to == 1959
    between = parse_query("comedies between 1995 and 1985")
    assert (between.year_from, between.year_to) == (1985, 1995)
    assert (parse_query("from 1994").year_from, parse_query("from 1994").year_to) == (1994, 1994)
    rated = parse_query("highly rated short comedies")
    assert rated.min_rating == 7.5 and rated.runtime_max == 95 and rated.genres == ["Comedy"]
    short_film = parse_query("a short film")
    assert short_film.genres == ["Short"] and short_film.runtime_max is None


def test_moods_are_soft_and_reported() -> None:
    intent = parse_query("something feel-good and scary")
    assert intent.genres == [] and intent.moods == ["feel-good", "scary"]
    assert {"Comedy", "Horror"} <= set(intent.mood_genres)


def test_like_title_takes_the_longest_catalog_match() -> None:
    intent = parse_query("movies like heat from the 90s", resolve)
    assert (intent.like_title_id, intent.like_title) == (21256, "Heat (1995)")
    assert intent.year_from == 1990
    unknown = parse_query("movies like nothing we know", resolve)
    assert unknown.like_title_id is None and "nothing" in unknown.text


def test_a_title_by_name_is_searched_as_is() -> None:
    intent = parse_query("The Matrix", resolve)
    assert intent.text == "The Matrix" and intent.genres == [] and intent.moods == []


def test_the_vocabulary_is_broad() -> None:
    assert len(GENRE_SYNONYMS) + len(MOODS) >= 50
