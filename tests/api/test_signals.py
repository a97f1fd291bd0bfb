"""Ranking signals: the public prior, DP totals read through their lower confidence
bound, and shrinkage of the one toward the other. Known answers, computed by hand."""

from __future__ import annotations

import math
from typing import Any

import pytest

from api.search.signals import Evidence, Prior, Signals
from omega.dp.ranges import range_noise_std
from omega.titles import known_votes


class Released:
    """Stands in for Views: only the released totals Signals reads, with their noise."""

    def __init__(self, week: dict[int, int], day: dict[int, int], windows: int = 4) -> None:
        self.by_window = {"week": week, "day": day}
        self.meta = {"windows": windows, "epsilonPerWindow": 0.1, "sensitivity": 10}

    def totals(self, window: str) -> tuple[dict[int, int], dict[str, Any]]:
        return self.by_window[window], self.meta


def test_a_total_counts_only_above_its_lower_confidence_bound() -> None:
    sigma = range_noise_std(4, 0.1, 10)  # four windows of discrete Laplace, scale 100
    assert sigma == pytest.approx(2 * 141.42, rel=0.01)
    s = Signals.from_views(Released({1: 5000, 2: 600, 3: 500}, {}), z=2.0)  # type: ignore[arg-type]
    # 2 · σ ≈ 565: title 3's 500 is noise, title 2's 600 barely evidence
    assert 3 not in s.week.lcb and s.week.strength(3) == 0.0 and s.week.confidence(3) == 0.0
    assert s.week.lcb[2] == pytest.approx(600 - 2 * sigma)
    assert s.week.strength(1) == 1.0
    assert s.week.strength(2) == pytest.approx(math.log1p(600 - 2 * sigma)
                                               / math.log1p(5000 - 2 * sigma))
    assert s.week.confidence(1) == pytest.approx((5000 - 2 * sigma) / 5000)
    assert s.top_week == [1, 2] and s.top_day == []


def test_nothing_released_is_no_evidence() -> None:
    e = Evidence.of({5: -3, 6: 0}, sigma=100.0, z=2.0)
    assert (e.strength(5), e.confidence(6), e.top(3)) == (0.0, 0.0, [])


def test_the_prior_is_log_votes_and_a_bayesian_rating() -> None:
    prior = Prior(votes_ref=100_000, min_votes=1000, mean_rating=6.0, rating_share=0.25,
                  volume_power=1.0)
    famous = {"votes": 100_000, "rating": 8.5}
    bayes = (100_000 * 8.5 + 1000 * 6.0) / 101_000
    assert prior(famous) == pytest.approx(0.75 * 1.0 + 0.25 * (bayes - 1) / 9)
    # 20 votes of 10/10 barely move the rating off the catalog's mean
    obscure = prior({"votes": 20, "rating": 10.0})
    assert obscure == pytest.approx(0.75 * math.log1p(20) / math.log1p(100_000)
                                    + 0.25 * ((20 * 10 + 6000) / 1020 - 1) / 9)
    assert obscure < prior(famous) / 2
    # no IMDb votes: MovieLens ratings stand in (100 ratings ≈ 35,000 votes)
    lens_only = prior({"movielens_ratings": 100})
    assert lens_only == pytest.approx(0.75 * math.log1p(35_000) / math.log1p(100_000)
                                      + 0.25 * 5 / 9)
    assert prior({}) == pytest.approx(0.25 * 5 / 9)


def test_a_recent_film_is_known_by_its_movielens_rate_not_its_count() -> None:
    # IMDb votes win where there are any
    assert known_votes({"votes": 12_000, "movielens_ratings": 3, "year": 2015}) == 12_000
    # 20 ratings over MovieLens' whole 21.8 years, and over the 1.8 years 2015's film had
    assert known_votes({"movielens_ratings": 20, "year": 1990}) == 7_000
    assert known_votes({"movielens_ratings": 20, "year": 2015}) == 28_000  # fourfold cap
    assert known_votes({"movielens_ratings": 20, "year": 2012}) == 28_000
    assert known_votes({"movielens_ratings": 20, "year": 2014.5}) == 7_000 * 4
    # before 2012 IMDb could have counted it: no votes there means few viewers
    assert known_votes({"movielens_ratings": 20, "year": 2010}) == 7_000
    assert known_votes({"movielens_ratings": 20}) == 7_000
    assert known_votes({}) == 0
