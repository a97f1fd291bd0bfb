"""Popularity and trending scores: log-scaled DP totals, 0 where nothing was released."""

from __future__ import annotations

import math

import pytest

from api.ranking import Signals


class Released:
    """Stands in for Views: only the released totals per window that Signals reads."""

    def __init__(self, week: dict[int, int], day: dict[int, int]) -> None:
        self.by_window = {"week": week, "day": day}

    def totals(self, window: str) -> tuple[dict[int, int], None]:
        return self.by_window[window], None


def signals(week: dict[int, int], day: dict[int, int]) -> Signals:
    return Signals.from_views(Released(week, day))  # type: ignore[arg-type]


def test_scores_are_log_scaled_against_the_largest_total() -> None:
    s = signals({1: 100, 2: 10, 3: 0, 4: -5}, {2: 7})
    assert s.popularity(1) == 1.0
    assert s.popularity(2) == pytest.approx(math.log1p(10) / math.log1p(100))
    assert (s.popularity(3), s.popularity(4), s.popularity(99)) == (0.0, 0.0, 0.0)
    assert (s.trending(2), s.trending(1)) == (1.0, 0.0)
    assert (s.top_week, s.top_day) == ([1, 2], [2])


def test_nothing_released_scores_zero() -> None:
    s = signals({}, {5: -3})  # noise can push a released total below zero
    assert (s.popularity(5), s.trending(5)) == (0.0, 0.0)
