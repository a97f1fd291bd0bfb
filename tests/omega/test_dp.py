"""The DP math against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from diffprivlib.mechanisms import Geometric

import omega.dp.gaussian
import omega.dp.selection
from omega.dp.noise import (
    KeyedUniforms,
    add_noise,
    geometric_noise,
    noisy_counts,
    secure_uniform,
    window_random_state,
)
from omega.dp.selection import (
    discrete_laplace_threshold,
    laplace_threshold,
    per_partition_delta,
    select_partitions,
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


# -- Gaussian partition selection ----------------------------------------------------------

def analytic_gaussian_sigma(epsilon: float, delta: float, l2: float) -> float:
    """Balle and Wang 2018's exact σ for the continuous Gaussian mechanism (bisected)."""
    from scipy.stats import norm

    def delta_at(sigma: float) -> float:
        a, b = l2 / (2 * sigma), epsilon * sigma / l2
        return float(norm.cdf(a - b) - math.exp(epsilon) * norm.cdf(-a - b))

    low, high = 1e-3, 1e6
    for _ in range(200):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if delta_at(middle) > delta else (low, middle)
    return high


@pytest.mark.parametrize(("epsilon", "delta", "coordinates"),
                         [(1.0, 1e-5, 1), (0.1, 5e-7, 45), (0.5, 1e-6, 10)])
def test_gaussian_sigma_matches_the_analytic_gaussian(epsilon: float, delta: float,
                                                      coordinates: int) -> None:
    """Known answer: σ(ε = 1, δ = 1e-5, Δ₂ = 1) = 3.73 (Balle and Wang, Table 1 style);
    the discrete Gaussian's pessimistic PLD asks at most 3% more than the continuous one."""
    sigma = omega.dp.gaussian.gaussian_sigma(epsilon, delta, coordinates)
    analytic = analytic_gaussian_sigma(epsilon, delta, math.sqrt(coordinates))
    assert analytic <= sigma <= 1.03 * analytic
    if coordinates == 1:
        assert sigma == pytest.approx(3.73, rel=0.02)


def test_discrete_gaussian_sampler_is_exactly_what_its_grid_counts_say() -> None:
    noise = omega.dp.gaussian.discrete_gaussian(7.5)
    counts = noise.grid_counts
    assert sum(counts) == 2**53 and len(counts) == 2 * noise.bound + 1
    edges = np.cumsum(counts)[:-1]  # the first grid point of each next value
    middle = noise.bound  # value 0 sits at index bound

    class Grid:  # a noise source returning chosen grid points m · 2⁻⁵³
        def __init__(self, points: np.ndarray) -> None:
            self.points = points

        def random_sample(self, size: int) -> np.ndarray:
            return self.points.astype(np.float64) * 2.0**-53

    near = np.arange(middle - 30, middle + 30)
    points = np.concatenate([edges[near] - 1, edges[near]])
    drawn = noise.sample(len(points), Grid(points))  # type: ignore[arg-type]
    expected = np.concatenate([near - middle, near + 1 - middle])
    assert drawn.tolist() == expected.tolist()
    # and the moments of a million seeded draws are the discrete Gaussian's
    draws = noise.sample(1_000_000, np.random.RandomState(5))
    assert abs(draws.mean()) < 0.05 and draws.std() == pytest.approx(7.5, rel=0.01)


def test_gaussian_thresholds_are_tight() -> None:
    s = omega.dp.selection.gaussian_selection(0.1, 1e-6, 45, 1000, 1e-9)
    noise, per_pair = s.noise, omega.dp.selection.per_partition_delta(1e-6 / 2, 45)
    # a pair only the extra device has (count 1) passes with probability ≤ δ′, and one
    # lower threshold would break that
    assert noise.tail(s.selection_threshold - 1) <= per_pair < noise.tail(
        s.selection_threshold - 2)
    # a pair of 999 devices passes with probability ≤ floor_error, one lower breaks it
    assert noise.tail(s.floor_threshold - 999) <= 1e-9 < noise.tail(s.floor_threshold - 1000)
    assert (round(s.sigma, 1), s.selection_threshold, s.floor_threshold) == (259.6, 1454, 2557)


def test_the_gaussian_release_accounts_to_its_epsilon() -> None:
    """The exact sampler's PLD over P coordinates gives ε at δ/2, as calibrated."""
    from omega.dp.accounting import gaussian_sampler_pld

    sigma = omega.dp.gaussian.gaussian_sigma(0.1, 5e-7, 45)
    loss = gaussian_sampler_pld(sigma).self_compose(45)
    assert loss.get_epsilon_for_delta(5e-7) == pytest.approx(0.1, abs=0.003)


@pytest.mark.parametrize("sigma", [0.3, 1.7, 3.25, 11.0, 29.357130052920464, 259.6, 1234.5])
def test_grid_counts_are_a_distribution_for_any_sigma(sigma: float) -> None:
    """A float cdf that ends a hair above 1 once gave a negative count (σ = 29.36, the
    σ of ε = 1, P = 45): every count is now ≥ 0 and they sum to the grid."""
    counts = omega.dp.gaussian.DiscreteGaussian(sigma).grid_counts
    assert min(counts) >= 0 and sum(counts) == 2**53
