"""What makes a film "like X" besides text and co-viewing (api/search/similar.py), the related
titles the views index for it, and who a name in a query is (api/views.py)."""

from __future__ import annotations

from typing import Any

import pytest

from api.search.similar import (
    era_closeness,
    main_genre_share,
    main_genres,
    people_overlap,
    series_key,
    shared_people,
)
from api.views import Views


@pytest.mark.parametrize(("a", "b"), [
    ("Toy Story", "Toy Story 2"), ("Godfather, The", "Godfather: Part II, The"),
    ("Rocky", "Rocky III"), ("Jaws", "Jaws 2"), ("Die Hard", "Die Hard: With a Vengeance"),
    ("Star Wars: Episode IV - A New Hope", "Star Wars: Episode V - The Empire Strikes Back"),
    ("Back to the Future", "Back to the Future Part II"),
    ("Harry Potter and the Sorcerer's Stone", "Harry Potter and the Chamber of Secrets")])
def test_sequels_share_a_series_key(a: str, b: str) -> None:
    assert series_key(a) is not None and series_key(a) == series_key(b)


def test_unrelated_and_plain_titles_do_not() -> None:
    assert series_key("Up") is None and series_key("Ran") is None  # too plain to tell
    assert series_key("Toy Story") != series_key("Toy Soldiers")
    assert series_key("Alien") != series_key("Alien Nation")
    assert series_key("Heat") != series_key("Heat, The")  # The Heat (2013) is no sequel
    assert series_key("Heat, The") == series_key("The Heat")


def test_main_genres_leave_out_drama_and_comedy_only_when_there_is_more() -> None:
    assert main_genres(["Action", "Crime", "Drama", "Thriller"]) == {"Action", "Crime",
                                                                     "Thriller"}
    assert main_genres(["Comedy", "Drama"]) == {"Comedy", "Drama"}
    toy_story = main_genres(["Adventure", "Animation", "Children", "Comedy", "Fantasy"])
    assert main_genre_share(["Animation", "Children", "Comedy"], toy_story) == 2 / 4
    assert main_genre_share(["Comedy", "Romance"], toy_story) == 0.0


def test_era_is_soft_and_people_count_the_director_or_the_lead_cast() -> None:
    assert era_closeness(1995, 1995) == 1.0
    assert era_closeness(2005, 1995) == pytest.approx(0.5)
    assert era_closeness(1970, 1995) == 0.0 and era_closeness(None, 1995) == 0.0
    heat = {"director": "Michael Mann", "cast": ["Al Pacino", "Robert De Niro", "Val Kilmer"]}
    collateral = {"director": "Michael Mann", "cast": ["Tom Cruise"]}
    ronin = {"director": "John Frankenheimer", "cast": ["Robert De Niro", "Jean Reno"]}
    assert people_overlap(collateral, heat) == 1.0
    assert people_overlap(ronin, heat) == pytest.approx(1 / 3)
    assert people_overlap({"cast": ["Jean Reno"]}, heat) == 0.0
    assert shared_people(collateral, heat) == "Also directed by Michael Mann"
    assert shared_people(ronin, heat) == "Also starring Robert De Niro"


def film(title_id: int, title: str, year: int, **extra: Any) -> dict[str, Any]:
    return {"title_id": title_id, "title": title, "year": year, "genres": ["Drama"],
            "votes": 1000, "cast": [], "director": None, **extra}


def test_related_titles_are_the_series_the_director_and_the_lead_cast() -> None:
    views = Views(None)
    views.add_title(film(1, "Toy Story", 1995, cast=["Tom Hanks", "Tim Allen"],
                         director="John Lasseter"))
    views.add_title(film(2, "Toy Story 2", 1999, director="John Lasseter"))
    views.add_title(film(3, "Big", 1988, cast=["Tom Hanks"], director="Penny Marshall"))
    views.add_title(film(4, "Heat", 1995, cast=["Al Pacino"]))
    assert views.related(1) == {2, 3}
    views.remove_title(3)
    assert views.related(1) == {2}


def test_a_name_is_the_person_the_sources_know_best() -> None:
    views = Views(None)
    views.add_title(film(1, "Unforgiven", 1992, director="Clint Eastwood",
                         cast=["Clint Eastwood"]))
    for i, title in enumerate(("The Good, the Bad and the Ugly", "Dirty Harry",
                               "Escape from Alcatraz"), start=2):
        views.add_title(film(i, title, 1970, cast=["Clint Eastwood"]))
    views.add_title(film(9, "Psycho", 1960, director="Alfred Hitchcock",
                         cast=["Patricia Hitchcock"]))
    for i in range(10, 14):
        views.add_title(film(i, f"Thriller {i}", 1955, director="Alfred Hitchcock"))
    for i in range(20, 50):  # "Rain" is a word of many titles, and also a singer's name
        views.add_title(film(i, f"Rain {i}", 2000, cast=["Rain"] if i == 20 else []))
    # an actor who directed once is read as an actor, unless a cue says otherwise
    assert views.person("clint eastwood") == ("clint eastwood", "Clint Eastwood", "cast")
    assert views.person("clint eastwood", "director")[2] == "director"
    # a surname: the one person with three times the films of the other of that name
    assert views.person("hitchcock", "director") == (
        "alfred hitchcock", "Alfred Hitchcock", "director")
    assert views.person("hitchcock")[0] == "alfred hitchcock"
    # a one-word name that is a common title word needs a cue
    assert views.person("rain") is None
    assert views.person("rain", "cast") == ("rain", "Rain", "cast")
