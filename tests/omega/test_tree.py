"""Binary-tree running counts and summed window releases: exactness, unbiasedness, variance."""

from __future__ import annotations

import numpy as np
import pytest

from omega.dp.ranges import range_noise_std, range_totals
from tests.support.tree import (
    binary_tree_running_counts,
    summed_releases_mean_variance,
    tree_levels,
    tree_mean_variance,
    tree_running_variance,
)


def test_tree_is_exact_without_meaningful_noise() -> None:
    counts = [5, 0, 7, 3, 9, 1, 4]
    totals = binary_tree_running_counts(counts, 8, 1e6, 1, np.random.RandomState(0))
    assert totals == list(np.cumsum(counts))


def test_tree_rejects_more_windows_than_its_horizon() -> None:
    with pytest.raises(ValueError, match="at most 4"):
        binary_tree_running_counts([1] * 5, 4, 1.0, 1, None)


def test_tree_running_total_is_unbiased_with_the_predicted_variance() -> None:
    counts = list(range(15))
    truth = sum(counts)
    finals = np.array([binary_tree_running_counts(counts, 16, 1.0, 1,
                                                  np.random.RandomState(s))[-1]
                       for s in range(3000)])
    var = tree_running_variance(15, 16, 1.0, 1)  # 15 = 0b1111: four nodes
    assert tree_levels(16) == 5
    assert abs(finals.mean() - truth) < 4 * np.sqrt(var / 3000)
    assert finals.var() / var == pytest.approx(1, abs=0.1)


def test_which_range_uses_which_mechanism() -> None:
    eps, k = 0.1, 10
    for week in (6, 42):  # a day and a week of 4 h windows: summed releases win
        assert summed_releases_mean_variance(week, eps, k) < tree_mean_variance(week, eps, k)
    year = 2190  # a year of 4 h windows: the tree wins for running totals
    assert tree_mean_variance(year, eps, k) < summed_releases_mean_variance(year, eps, k)


def test_range_totals_sum_only_whole_windows_inside() -> None:
    releases = [
        {"window_start_ms": 0, "window_end_ms": 10, "title_id": 1, "noisy_count": 5},
        {"window_start_ms": 10, "window_end_ms": 20, "title_id": 1, "noisy_count": -2},
        {"window_start_ms": 20, "window_end_ms": 30, "title_id": 1, "noisy_count": 9},
    ]
    assert range_totals(releases, 0, 20) == {1: 3}
    assert range_noise_std(4, 1.0, 1) == pytest.approx(2 * range_noise_std(1, 1.0, 1))
