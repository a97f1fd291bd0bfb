"""The pure parts of bench/search_quality.py: what its constraints accept, and a
popularity-corrected ground truth that does not put the film everyone rated first."""

from __future__ import annotations

import pytest

from bench._search_cases import (
    CASES,
    CEILING,
    Case,
    Record,
    better_baseline,
    co_rating_truths,
    genre_fidelity,
    known,
    like_scores,
    meets,
    seeds_by_rank,
    target_lines,
    typed_title,
)


def case(query: str) -> Case:
    return next(c for c in CASES if c.query == query)


def film(genres: tuple[str, ...] = ("Drama",), year: int = 1994, **fields: object) -> Record:
    return {"title": "A film", "year": year, "genres": list(genres), "cast": [],
            "director": None, "awards": [], "oscars": [], **fields}


def nomination(category: str, won: bool) -> Record:
    return {"ceremony": 67, "category": category, "name": "Someone", "won": won}


def test_the_query_set_has_the_kinds_asked_for() -> None:
    assert len(CASES) >= 60
    assert len({c.query for c in CASES}) == len(CASES)
    assert sum(c.is_cast for c in CASES) >= 10
    assert sum(c.is_award for c in CASES) >= 6


def test_award_constraints_read_the_structured_nominations() -> None:
    best_picture = film(oscars=[nomination("Best Picture", True)])
    lost_picture = film(oscars=[nomination("Best Picture", False)])
    sound_only = film(oscars=[nomination("Best Sound", True)])
    supporting = film(oscars=[nomination("Best Supporting Actress", True)])
    assert meets(best_picture, case("Best Picture winners"))
    assert not meets(lost_picture, case("Best Picture winners"))
    assert meets(lost_picture, case("Best Picture nominees from the 90s"))
    assert not meets(film(year=1989, oscars=[nomination("Best Picture", False)]),
                     case("Best Picture nominees from the 90s"))
    assert meets(sound_only, case("Oscar winners"))  # any win
    assert not meets(lost_picture, case("Oscar winners"))
    assert meets(supporting, case("Oscar-winning performances"))
    assert not meets(sound_only, case("Oscar-winning performances"))
    assert not meets(film(oscars=[nomination("Best Actor", False)]),
                     case("Oscar-winning performances"))
    assert not meets(best_picture, case("won Best Director"))


def test_nominated_means_any_nomination_won_or_lost_in_the_genre_asked() -> None:
    dramas = case("Oscar-nominated dramas")
    assert meets(film(oscars=[nomination("Best Film Editing", False)]), dramas)
    assert meets(film(oscars=[nomination("Best Picture", True)]), dramas)
    assert not meets(film(("Comedy",), oscars=[nomination("Best Picture", False)]), dramas)
    assert not meets(film(), dramas)


def test_category_names_match_whatever_the_case_and_either_foreign_film_name() -> None:
    foreign = case("Oscar-nominated foreign language films")
    assert meets(film(oscars=[nomination("best international feature film", False)]), foreign)
    assert meets(film(oscars=[nomination("Best Foreign Language Film", True)]), foreign)
    assert not meets(film(oscars=[nomination("Best Picture", True)]), foreign)


def test_a_catalog_without_structured_oscars_counts_acting_wins_in_awards() -> None:
    old = {"title": "Old", "year": 1980, "genres": ["Drama"],
           "awards": ["Oscar, Best actor: Robert De Niro (1981)"]}
    assert meets(old, case("Oscar winners"))
    assert not meets({**old, "awards": []}, case("Oscar winners"))


def test_cast_constraints_need_the_actor_in_the_cast_not_the_director_chair() -> None:
    with_him = film(cast=["Robert De Niro", "Joe Pesci"])
    assert meets(with_him, case("films with Robert De Niro"))
    assert not meets(film(director="Robert De Niro"), case("films with Robert De Niro"))
    assert meets(film(("Action", "Thriller"), cast=["Bruce Willis"]),
                 case("Bruce Willis action movies"))
    assert not meets(film(("Comedy",), cast=["Bruce Willis"]), case("Bruce Willis action movies"))


def test_a_recent_film_is_known_by_fewer_ratings() -> None:
    assert known(film(votes=1500))
    assert not known(film(year=2010, movielens_ratings=20))
    assert known(film(year=2015, movielens_ratings=12))
    assert not known(film(year=2015, movielens_ratings=4))


# users 1..10; film 1 is X; film 2 everyone rated; film 3 shares 3 of X's 5 raters and
# has 5 itself; film 4 shares one and has 3 (left out below 4 ratings)
RATERS = {1: frozenset({1, 2, 3, 4, 5}), 2: frozenset(range(1, 11)),
          3: frozenset({1, 2, 3, 6, 7}), 4: frozenset({1, 8, 9})}


def test_the_film_everyone_rated_tops_the_raw_cosine_but_not_the_corrected_truth() -> None:
    truth = co_rating_truths(RATERS, [1], min_ratings=1)[1]
    assert [m for m, _ in truth.cosine] == [2, 3, 4]
    assert [m for m, _ in truth.corrected] == [3, 2, 4]
    assert dict(truth.cosine)[2] == pytest.approx(5 / 50 ** 0.5)
    assert dict(truth.corrected)[3] == pytest.approx(3 / 5)  # |A∩B| / (5^0.2 · 5^0.8)
    assert dict(truth.corrected)[2] == pytest.approx(5 / (5 ** 0.2 * 10 ** 0.8))


def test_the_truth_leaves_out_the_seed_and_films_below_the_rating_floor() -> None:
    truth = co_rating_truths(RATERS, [1], min_ratings=4)[1]
    assert [m for m, _ in truth.corrected] == [3, 2]
    assert 1 not in dict(truth.cosine)


def test_scores_against_a_truth_read_movielens_ids_as_catalog_ids() -> None:
    truth = [(m, 1.0) for m in range(100, 112)]
    to_title = {m: m + 1000 for m in range(100, 112)}
    overlap, gain = like_scores([1100, 1101, 5, 1111], truth, to_title)
    assert overlap == pytest.approx(0.2)  # 1111 is 12th in the truth: not in its top 10
    assert 0 < gain < 1
    assert like_scores([1000 + m for m in range(100, 110)], truth, to_title) == (1.0, 1.0)


def test_seeds_step_through_the_films_by_rating_count() -> None:
    assert seeds_by_rank({10: 5, 11: 9, 12: 9, 13: 1}, n=2, step=2) == [11, 10]


def test_genre_fidelity_leaves_out_drama_and_comedy_when_x_has_other_genres() -> None:
    toy_story = {"genres": ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]}
    results = [{"genres": ["Animation", "Comedy"]}, {"genres": ["Comedy", "Crime"]}]
    assert genre_fidelity(toy_story, results) == 0.5
    assert genre_fidelity({"genres": ["Comedy"]}, results) == 1.0


def test_titles_are_asked_as_a_viewer_types_them() -> None:
    assert typed_title("Shawshank Redemption, The") == "The Shawshank Redemption"
    assert typed_title("Independence Day (a.k.a. ID4)") == "Independence Day"
    assert typed_title("Léon: The Professional (a.k.a. The Professional) (Léon)") == (
        "Léon: The Professional")
    assert typed_title("(500) Days of Summer") == "(500) Days of Summer"


def test_like_x_overlap_must_also_double_the_better_baseline() -> None:
    rows = {"omega": {"fit": 0.96, "overlap": 0.45}, "popularity alone": {"overlap": 0.3},
            "MiniLM alone": {"overlap": 0.1}}
    lines = target_lines(rows)
    assert lines[0].endswith("pass") and lines[0].startswith("constraint fit: 0.960")
    assert "popularity alone's 0.300" in lines[1] and lines[1].endswith("FAIL")
    rows["popularity alone"]["overlap"] = 0.2
    assert target_lines(rows)[1].endswith("pass")


def test_the_ceiling_row_is_no_baseline_but_is_named_beside_the_target() -> None:
    rows = {"omega": {"overlap": 0.45}, "MiniLM alone": {"overlap": 0.2},
            CEILING: {"overlap": 0.5}}
    assert better_baseline(rows, "overlap") == ("MiniLM alone", 0.2)
    line = target_lines(rows)[0]
    assert line.endswith("pass") and "the fleet's exact co-view reaches 0.500" in line
