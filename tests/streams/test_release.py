"""The release step: seeded determinism, every public partition, discrete Laplace moments."""

from __future__ import annotations

import math

import numpy as np

from streams.dp import noisy_counts, window_random_state
from streams.release import release_trends


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
