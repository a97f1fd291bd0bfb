"""The DP math against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from diffprivlib.mechanisms import Geometric

from omega.dp import (
    KeyedUniforms,
    add_noise,
    discrete_laplace_threshold,
    geometric_noise,
    laplace_threshold,
    noisy_counts,
    per_partition_delta,
    secure_uniform,
    select_partitions,
    window_random_state,
)


@pytest.mark.parametrize(("eps", "sensitivity"), [(0.1, 10), (0.1, 45), (1.0, 1), (5.0, 2)])
def test_vectorised_noise_is_diffprivlibs_own_draw_for_draw(eps: float, sensitivity: int) -> None:
    values = np.random.default_rng(0).integers(0, 3000, size=5000)
    one_by_one = Geometric(epsilon=eps, sensitivity=sensitivity,
                           random_state=np.random.RandomState(42))
    expected = [one_by_one.randomise(int(v)) for v in values]
    at_once = Geometric(epsilon=eps, sensitivity=sensitivity)
    noise = geometric_noise(at_once, len(values), np.random.RandomState(42))
    assert add_noise(values, noise).tolist() == expected


def test_unseeded_noise_draws_secure_uniforms_with_the_right_spread() -> None:
    uniform = secure_uniform(200_000)
    assert 0 <= uniform.min() and uniform.max() < 1
    assert uniform.mean() == pytest.approx(0.5, abs=0.005)
    eps, sensitivity = 0.5, 2
    noise = geometric_noise(Geometric(epsilon=eps, sensitivity=sensitivity), 200_000)
    q = math.exp(-eps / sensitivity)
    assert noise.var() == pytest.approx(2 * q / (1 - q) ** 2, rel=0.05)
    assert not np.array_equal(noise[:1000], geometric_noise(
        Geometric(epsilon=eps, sensitivity=sensitivity), 1000)), "two draws, two outcomes"


@pytest.mark.parametrize(("p", "expected"), [(1, 132), (5, 738), (10, 1544)])
def test_laplace_threshold_known_answers(p: int, expected: int) -> None:
    # Google's LaplacePartitionSelection at ε = 0.1, δ = 1e-6.
    assert laplace_threshold(0.1, 1e-6, p) == pytest.approx(expected, abs=0.6)


def test_laplace_threshold_exact_value_for_one_partition() -> None:
    # τ = 1 − 10·ln(2e-6) = 1 + 10·13.1224 = 132.2236
    assert laplace_threshold(0.1, 1e-6, 1) == pytest.approx(1 - 10 * math.log(2e-6), rel=1e-12)


def test_per_partition_delta_composes_back_to_delta() -> None:
    d = per_partition_delta(1e-6, 10)
    assert 1 - (1 - d) ** 10 == pytest.approx(1e-6, rel=1e-9)
    assert d == pytest.approx(1e-7, rel=1e-5)


@pytest.mark.parametrize(("eps", "delta", "p"),
                         [(0.1, 1e-6, 1), (0.1, 1e-6, 5), (0.1, 1e-6, 10), (1.0, 1e-3, 3)])
def test_discrete_threshold_bounds_the_single_device_release_probability(
    eps: float, delta: float, p: int
) -> None:
    tau = discrete_laplace_threshold(eps, delta, p)
    q = math.exp(-eps / p)
    delta_prime = per_partition_delta(delta, p)
    release = q ** (tau - 1) / (1 + q)  # P(1 + X >= tau)
    assert release <= delta_prime
    assert q ** (tau - 2) / (1 + q) > delta_prime, "one lower would break the bound"
    assert math.ceil(laplace_threshold(eps, delta, p)) <= tau < laplace_threshold(eps, delta, p) + 2


def test_geometric_tail_matches_the_formula_the_threshold_uses() -> None:
    eps, sensitivity, n = 1.0, 2, 300_000
    noise = np.array(list(noisy_counts({}, range(n), eps, sensitivity,
                                       np.random.RandomState(3)).values()))
    q = math.exp(-eps / sensitivity)
    for t in (1, 3, 6):
        assert (noise >= t).mean() == pytest.approx(q**t / (1 + q), rel=0.05)


def test_select_partitions_keeps_only_counts_past_threshold_and_floor() -> None:
    counts = {"rare": 3, "popular": 5000, "mid": 1200}
    released = select_partitions(counts, 0.1, 1e-6, 1, min_devices=1000,
                                 random_state=np.random.RandomState(1))
    assert "rare" not in released
    assert "popular" in released and released["popular"] != 5000
    assert all(v >= 1000 for v in released.values())
    again = select_partitions(counts, 0.1, 1e-6, 1, 1000, np.random.RandomState(1))
    assert again == released


def test_min_devices_floor_applies_when_tau_is_lower() -> None:
    # ε = 10, P = 1: τ is small (≈ 2.3), the floor of 1,000 rules.
    assert discrete_laplace_threshold(10, 1e-6, 1) < 10
    released = select_partitions({1: 900, 2: 1100}, 10, 1e-6, 1, 1000,
                                 np.random.RandomState(0))
    assert list(released) == [2]


def test_threshold_when_epsilon_is_so_large_the_noise_vanishes() -> None:
    # exp(-ε/P) underflows to 0: no noise, so one device's count is exactly 1 and τ = 2
    # keeps it back; the formula tends to the same value as ε grows.
    assert discrete_laplace_threshold(1e9, 1e-6, 10) == 2
    assert discrete_laplace_threshold(1e4, 1e-6, 10) == 2
    released = select_partitions({1: 1, 2: 2, 3: 50}, 1e9, 1e-6, 10, 1, None)
    assert released == {2: 2, 3: 50}


def test_keyed_noise_repeats_bit_for_bit_and_differs_by_key_stream_and_window() -> None:
    key = bytes(range(32))
    first = noisy_counts({1: 10, 2: 20}, range(1, 2001), 0.1, 10,
                         window_random_state(None, "trends", 3600_000, key))
    again = noisy_counts({1: 10, 2: 20}, range(1, 2001), 0.1, 10,
                         window_random_state(None, "trends", 3600_000, key))
    assert first == again
    for other in (window_random_state(None, "trends", 3600_000, bytes(32)),
                  window_random_state(None, "coview", 3600_000, key),
                  window_random_state(None, "trends", 7200_000, key)):
        assert noisy_counts({1: 10, 2: 20}, range(1, 2001), 0.1, 10, other) != first


def test_keyed_noise_has_the_discrete_laplace_spread() -> None:
    eps, sensitivity = 0.5, 2
    noise = geometric_noise(Geometric(epsilon=eps, sensitivity=sensitivity), 200_000,
                            KeyedUniforms(b"k" * 32, "trends", 0))
    q = math.exp(-eps / sensitivity)
    assert noise.mean() == pytest.approx(0, abs=0.05)
    assert noise.var() == pytest.approx(2 * q / (1 - q) ** 2, rel=0.05)


def test_a_seed_wins_over_a_key_and_no_seed_or_key_is_os_randomness() -> None:
    assert isinstance(window_random_state(7, "trends", 0, b"k" * 32), np.random.RandomState)
    assert isinstance(window_random_state(None, "trends", 0, b"k" * 32), KeyedUniforms)
    assert window_random_state(None, "trends", 0, None) is None
