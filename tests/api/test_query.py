"""Query understanding: known phrases → filters, moods, like-title, leftover text."""

from __future__ import annotations

from api.search.query import GENRE_SYNONYMS, MOODS, embedding_text, parse_query

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


PEOPLE = {"steven spielberg": ("steven spielberg", "Steven Spielberg", "director"),
          "spielberg": ("steven spielberg", "Steven Spielberg", "director"),
          "alfred hitchcock": ("alfred hitchcock", "Alfred Hitchcock", "director"),
          "hitchcock": ("alfred hitchcock", "Alfred Hitchcock", "director"),
          "tom hanks": ("tom hanks", "Tom Hanks", "cast")}


def person(phrase: str, role: str | None) -> tuple[str, str, str] | None:
    return PEOPLE.get(phrase)


def test_directors_and_cast_become_filters() -> None:
    for query in ("Spielberg films", "directed by Spielberg", "films by Steven Spielberg",
                  "spielberg's movies"):
        intent = parse_query(query, resolve, person)
        assert [key for key, _, _ in intent.people] == ["steven spielberg"], query
        assert intent.unresolved == [] and intent.text == "", query
    hanks = parse_query("films with Tom Hanks", resolve, person)
    assert hanks.metadata()["cast"] == ["Tom Hanks"] and hanks.metadata()["directors"] == []


def test_a_hybrid_query_keeps_every_part() -> None:
    intent = parse_query("Hitchcock thriller from the 50s", resolve, person)
    assert intent.metadata()["directors"] == ["Alfred Hitchcock"]
    assert intent.genres == ["Thriller"] and (intent.year_from, intent.year_to) == (1950, 1959)


def test_a_person_no_source_knows_is_reported_not_dropped() -> None:
    intent = parse_query("comedies starring Zork Blorbson", resolve, person)
    assert intent.genres == ["Comedy"] and intent.people == []
    assert intent.unresolved == ['person "zork blorbson": no source knows them']
    directed = parse_query("directed by Quentin Nobody", resolve, person)
    assert directed.unresolved == ['director "quentin nobody": no source knows them']
    named = parse_query("zork blorbson movies", resolve, person)
    assert named.unresolved and named.text == ""
    # ordinary words after "with" are not a person
    twist = parse_query("movies with a twist", resolve, person)
    assert twist.unresolved == [] and twist.text == "twist"


def test_awards_and_recency() -> None:
    for query, tags in (
            ("Oscar winners", ["oscar"]), ("academy award winning", ["oscar"]),
            ("oscar-winning performances", ["won:acting"]),
            ("Best Picture winners", ["won:best picture"]),
            ("won Best Director", ["won:best director"]),
            ("Oscar-nominated dramas", ["oscar-nominated"]),
            ("films that won Best Original Screenplay", ["won:best original screenplay"]),
            ("Best Picture nominees from the 90s", ["nominated:best picture"]),
            ("Best Actress nominees", ["nominated:best actress"]),
            ("best films of the 90s", [])):
        intent = parse_query(query, resolve, person, latest_year=2016)
        assert intent.awards == tags and intent.min_rating is None, query
        assert not {"oscar", "winners", "nominees", "won"} & set(intent.text.split()), query
    dramas = parse_query("Oscar-nominated dramas", resolve, person)
    assert dramas.genres == ["Drama"] and dramas.metadata()["awards"] == ["an Oscar nomination"]
    nineties = parse_query("Best Picture nominees from the 90s", resolve, person)
    assert (nineties.year_from, nineties.year_to) == (1990, 1999)
    assert nineties.metadata()["awards"] == ["Best Picture (nominated)"]
    recent = parse_query("recent comedies", resolve, person, latest_year=2016)
    assert recent.recent and (recent.year_from, recent.year_to) == (2012, 2016)
    assert parse_query("new sci-fi movies", latest_year=2016).year_from == 2012
    # "new" inside a name is not recency
    assert parse_query("new york stories", latest_year=2016).recent is False
