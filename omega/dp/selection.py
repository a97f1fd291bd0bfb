"""Partition selection: which keys (co-view pairs, search queries) a release may name at
all, when the keys are not public.

- Laplace partition selection (thresholding): Google differential-privacy library,
  cc/algorithms/partition-selection.h, `LaplacePartitionSelection`:
  τ = 1 − (P/ε)·ln(2δ′), δ′ = 1 − (1−δ)^(1/P) for P partitions per privacy unit.
- Gaussian partition selection over all of a device's pairs (the pair release, ADR 0002):
  the sources are in omega/dp/gaussian.py.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from diffprivlib.mechanisms import Geometric

from omega.dp.gaussian import DiscreteGaussian, discrete_gaussian, gaussian_sigma
from omega.dp.noise import IntArray, NoiseSource, add_noise, geometric_noise

K = TypeVar("K", int, str)



def per_partition_delta(delta: float, max_partitions: int) -> float:
    """δ′ = 1 − (1−δ)^(1/P): the δ each of P partitions may use so that the total is δ."""
    return -math.expm1(math.log1p(-delta) / max_partitions)


def laplace_threshold(epsilon: float, delta: float, max_partitions: int) -> float:
    """Google's Laplace partition-selection threshold τ = 1 − (P/ε)·ln(2δ′)."""
    delta_prime = per_partition_delta(delta, max_partitions)
    return 1 - (max_partitions / epsilon) * math.log(2 * delta_prime)


def discrete_laplace_threshold(epsilon: float, delta: float, max_partitions: int) -> int:
    """The smallest integer τ with P(1 + X ≥ τ) ≤ δ′ for X two-sided geometric, scale P/ε.

    With p = exp(−ε/P), P(X ≥ t) = p^t / (1 + p) for t ≥ 1, so a partition that only one
    device contributed to is released with probability at most δ′. The geometric tail is
    a little heavier than the continuous one, so this is about ln((1+p)/2)/ln(p) ≈ 0.5
    above Google's continuous τ, and always less than 2 above it.
    """
    p = math.exp(-epsilon / max_partitions)
    if p == 0.0:  # ε/P so large the noise is always 0: the limit of the formula, t = 1
        return 2
    delta_prime = per_partition_delta(delta, max_partitions)
    t = math.ceil(math.log(delta_prime * (1 + p)) / math.log(p) - 1e-12)
    return max(1 + t, 1)


def select_partition_arrays(
    counts: IntArray,
    epsilon: float,
    delta: float,
    max_partitions: int,
    min_devices: int,
    random_state: NoiseSource,
) -> tuple[IntArray, IntArray]:
    """(indices, noisy counts) of the partitions whose noisy count passes max(τ, min_devices).

    `counts` are in the partitions' sorted order; that order fixes which draw each gets,
    so a seed gives the same release whichever container held the counts.
    """
    threshold = max(discrete_laplace_threshold(epsilon, delta, max_partitions), min_devices)
    mechanism = Geometric(epsilon=epsilon, sensitivity=max_partitions)
    noisy = add_noise(counts, geometric_noise(mechanism, len(counts), random_state))
    passed = np.flatnonzero(noisy >= threshold)
    return passed, noisy[passed]


def select_partitions(
    counts: Mapping[K, int],
    epsilon: float,
    delta: float,
    max_partitions: int,
    min_devices: int,
    random_state: NoiseSource,
) -> dict[K, int]:
    """Private partitions (pairs, queries) whose noisy count passes max(τ, min_devices).

    Each unit contributes 1 to at most `max_partitions` partitions (bounded upstream);
    the noise is discrete Laplace of scale P/ε and τ is `discrete_laplace_threshold`.
    Partitions are visited in sorted order so a seed gives the same release.
    """
    keys = sorted(counts)
    values = np.fromiter((counts[key] for key in keys), dtype=np.int64, count=len(keys))
    passed, noisy = select_partition_arrays(values, epsilon, delta, max_partitions,
                                            min_devices, random_state)
    return {keys[i]: value for i, value in zip(passed.tolist(), noisy.tolist(), strict=True)}


@dataclass(frozen=True, slots=True)
class GaussianSelection:
    """The parameters of one Gaussian partition selection: noise σ for (ε, δ/2) over P
    coordinates; the threshold that lets a partition only one unit has (count 1) pass
    with probability ≤ δ′ (δ/2 over P partitions); and the floor threshold that lets a
    partition with `min_devices` − 1 units pass with probability ≤ `floor_error`."""

    epsilon: float
    delta: float
    coordinates: int
    sigma: float
    selection_threshold: int
    floor_threshold: int

    @property
    def threshold(self) -> int:
        return max(self.selection_threshold, self.floor_threshold)

    @property
    def noise(self) -> DiscreteGaussian:
        return discrete_gaussian(self.sigma)


@functools.lru_cache(maxsize=64)
def gaussian_selection(epsilon: float, delta: float, coordinates: int, min_devices: int,
                       floor_error: float) -> GaussianSelection:
    sigma = gaussian_sigma(epsilon, delta / 2, coordinates)
    noise = discrete_gaussian(sigma)
    selection = 1 + noise.smallest_with_tail(per_partition_delta(delta / 2, coordinates))
    floor = min_devices - 1 + noise.smallest_with_tail(floor_error)
    return GaussianSelection(epsilon, delta, coordinates, sigma, selection, floor)


def select_partitions_gaussian(
    counts: IntArray,
    epsilon: float,
    delta: float,
    max_partitions: int,
    min_devices: int,
    floor_error: float,
    random_state: NoiseSource,
) -> tuple[IntArray, IntArray]:
    """(indices, noisy counts) of the partitions whose count plus discrete Gaussian noise
    passes `gaussian_selection(...).threshold`. Each unit adds 1 to at most
    `max_partitions` partitions (ℓ2 sensitivity √P). As `select_partition_arrays`, the
    partitions' order fixes which draw each gets."""
    selection = gaussian_selection(epsilon, delta, max_partitions, min_devices, floor_error)
    noisy = counts + selection.noise.sample(len(counts), random_state)
    passed = np.flatnonzero(noisy >= selection.threshold)
    return passed, noisy[passed]
