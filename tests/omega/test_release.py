"""The release step: seeded determinism, every public partition, discrete Laplace moments."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from diffprivlib.mechanisms import Geometric

from omega.dp.noise import noisy_counts, window_random_state
from omega.dp.selection import discrete_laplace_threshold
from omega.partials import PairCounts, WindowTotals
from omega.release import (
    ReleasePolicy,
    release_coview_edges,
    release_search_trends,
    release_trends,
    release_window,
)
from omega.settings import Settings
from omega.windows import pair_key, pair_of


def test_edge_release_is_one_diffprivlib_call_per_pair_in_sorted_order() -> None:
    rng = np.random.default_rng(1)
    pairs = Counter({pair_key(int(a), int(b)): int(c) for a, b, c in zip(
        rng.integers(1, 300, 4000), rng.integers(300, 600, 4000),
        rng.integers(1, 3000, 4000), strict=True)})
    released = release_coview_edges(0, 10, pairs, 0.1, 1e-6, 10, 1000, seed=3,
                                    mechanism="laplace")
    # The oracle: the mechanism called once per pair, as the release did before numpy.
    mechanism = Geometric(epsilon=0.1, sensitivity=10,
                          random_state=window_random_state(3, "coview", 0))
    threshold = max(discrete_laplace_threshold(0.1, 1e-6, 10), 1000)
    expected = {}
    for key in sorted(pairs):
        noisy = mechanism.randomise(pairs[key])
        if noisy >= threshold:
            expected[pair_of(key)] = noisy
    assert len(expected) > 100
    assert {(r["title_a"], r["title_b"]): r["noisy_count"] for r in released} == expected
    assert release_coview_edges(0, 10, PairCounts.from_mapping(pairs), 0.1, 1e-6, 10, 1000,
                                seed=3, mechanism="laplace") == released


def test_same_seed_same_release_and_windows_differ() -> None:
    a = release_trends(0, 10, {1: 50}, range(1, 101), 0.1, 10, seed=7)
    b = release_trends(0, 10, {1: 50}, range(1, 101), 0.1, 10, seed=7)
    c = release_trends(10, 20, {1: 50}, range(1, 101), 0.1, 10, seed=7)
    assert a == b
    assert [r["noisy_count"] for r in a] != [r["noisy_count"] for r in c]


def test_unseeded_release_uses_secure_randomness() -> None:
    assert window_random_state(None, "trends", 0) is None
    a = release_trends(0, 10, {}, range(1, 201), 0.1, 10, seed=None)
    b = release_trends(0, 10, {}, range(1, 201), 0.1, 10, seed=None)
    assert a != b


def test_every_title_is_released_even_with_zero_count() -> None:
    records = release_trends(0, 10, {3: 5}, [1, 2, 3], 0.1, 10, seed=1)
    assert [r["title_id"] for r in records] == [1, 2, 3]
    assert all(isinstance(r["noisy_count"], int) for r in records)
    assert {r["epsilon"] for r in records} == {0.1}


def test_noise_is_integer_discrete_laplace_with_the_right_variance() -> None:
    # Two-sided geometric with p = exp(-eps/sensitivity): mean 0, var = 2p / (1-p)^2.
    eps, sensitivity, n = 0.5, 2, 200_000
    values = noisy_counts({}, range(n), eps, sensitivity, np.random.RandomState(11))
    noise = np.array(list(values.values()))
    p = math.exp(-eps / sensitivity)
    variance = 2 * p / (1 - p) ** 2
    assert noise.dtype.kind == "i"
    assert abs(noise.mean()) < 4 * math.sqrt(variance / n)
    assert abs(noise.var() / variance - 1) < 0.03
    # P(noise = 0) = (1-p)/(1+p) for the two-sided geometric.
    assert abs((noise == 0).mean() - (1 - p) / (1 + p)) < 0.005


def test_a_window_release_is_its_four_releases_under_the_settings_bounds() -> None:
    settings = Settings(max_titles_per_session=7, max_queries_per_session=2, min_devices=3,
                        title_universe_size=5, release_seed=11)
    policy = ReleasePolicy.from_settings(settings)
    assert (policy.titles_per_session, policy.queries_per_session, policy.min_units,
            policy.title_universe, policy.seed) == (7, 2, 3, 5, 11)
    totals = WindowTotals(titles=Counter({1: 40}), web_titles=Counter({2: 9}),
                          pairs=PairCounts.from_mapping({pair_key(1, 2): 5_000}),
                          queries=Counter({"heat": 4_000}))
    release = release_window(policy, 0, 60_000, totals, key=b"k" * 32)
    e, d, key = settings.epsilon, settings.delta, b"k" * 32
    assert release.trends == release_trends(0, 60_000, totals.titles, range(1, 6), e,
                                            settings.max_titles_per_device, 11, key=key)
    assert release.web_trends == release_trends(0, 60_000, totals.web_titles, range(1, 6), e,
                                                7, 11, source="web", key=key)
    assert {r["sensitivity"] for r in release.web_trends} == {7}
    assert release.edges == release_coview_edges(0, 60_000, totals.pairs, e, d,
                                                 settings.max_pairs_per_device, 3, 11, key)
    assert release.searches == release_search_trends(0, 60_000, totals.queries, e, d, 2, 3,
                                                     11, key)
