"""The differential-privacy math: pure functions, seedable, tested against known answers.

Sources:
- Discrete Laplace (two-sided geometric) for integer counts: Ghosh, Roughgarden and
  Sundararajan 2009; why not float Laplace: Mironov 2012. Drawn by diffprivlib's
  `Geometric`, which uses `secrets.SystemRandom` when not seeded.
- Laplace partition selection (thresholding): Google differential-privacy library,
  cc/algorithms/partition-selection.h, `LaplacePartitionSelection`:
  τ = 1 − (P/ε)·ln(2δ′), δ′ = 1 − (1−δ)^(1/P) for P partitions per privacy unit.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from typing import TypeVar

import numpy as np
from diffprivlib.mechanisms import Geometric

K = TypeVar("K", int, str)


def window_random_state(
    seed: int | None, stream: str, window_start_ms: int
) -> np.random.RandomState | None:
    """A RandomState for one stream's release of one window, or None for OS randomness."""
    if seed is None:
        return None
    sequence = np.random.SeedSequence([seed, zlib.crc32(stream.encode()), window_start_ms])
    return np.random.RandomState(sequence.generate_state(4))


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


def noisy_counts(
    counts: Mapping[K, int],
    partitions: Iterable[K],
    epsilon: float,
    sensitivity: int,
    random_state: np.random.RandomState | None,
) -> dict[K, int]:
    """Each public partition's count plus discrete Laplace noise of scale sensitivity/ε.

    Every partition gets a value, seen or not, so a release reveals nothing by omission.
    """
    mechanism = Geometric(epsilon=epsilon, sensitivity=sensitivity, random_state=random_state)
    return {key: int(mechanism.randomise(int(counts.get(key, 0)))) for key in sorted(partitions)}


def select_partitions(
    counts: Mapping[K, int],
    epsilon: float,
    delta: float,
    max_partitions: int,
    min_devices: int,
    random_state: np.random.RandomState | None,
) -> dict[K, int]:
    """Private partitions (pairs, queries) whose noisy count passes max(τ, min_devices).

    Each unit contributes 1 to at most `max_partitions` partitions (bounded upstream);
    the noise is discrete Laplace of scale P/ε and τ is `discrete_laplace_threshold`.
    Partitions are visited in sorted order so a seed gives the same release.
    """
    threshold = max(discrete_laplace_threshold(epsilon, delta, max_partitions), min_devices)
    mechanism = Geometric(epsilon=epsilon, sensitivity=max_partitions,
                          random_state=random_state)
    released: dict[K, int] = {}
    for key in sorted(counts):
        noisy = int(mechanism.randomise(int(counts[key])))
        if noisy >= threshold:
            released[key] = noisy
    return released
