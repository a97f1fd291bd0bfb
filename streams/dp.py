"""The differential-privacy math: pure functions, seedable, tested against known answers.

Sources:
- Discrete Laplace (two-sided geometric) for integer counts: Ghosh, Roughgarden and
  Sundararajan 2009; why not float Laplace: Mironov 2012. diffprivlib's `Geometric`
  holds the mechanism (its scale and its random source: `secrets.SystemRandom` when not
  seeded); `geometric_noise` applies its `randomise` formula to many values at once.
- Laplace partition selection (thresholding): Google differential-privacy library,
  cc/algorithms/partition-selection.h, `LaplacePartitionSelection`:
  τ = 1 − (P/ε)·ln(2δ′), δ′ = 1 − (1−δ)^(1/P) for P partitions per privacy unit.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import numpy as np
from diffprivlib.mechanisms import Geometric

K = TypeVar("K", int, str)

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_TOP_53_BITS = np.uint64(11)


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


def secure_uniform(size: int) -> FloatArray:
    """Uniforms in [0, 1) from the OS's secure randomness, 53 bits each, like
    `secrets.SystemRandom().random()` (which diffprivlib draws when not seeded)."""
    bits = np.frombuffer(os.urandom(8 * size), dtype=np.uint64) >> _TOP_53_BITS
    return bits.astype(np.float64) * 2.0**-53


def geometric_noise(mechanism: Geometric, size: int) -> FloatArray:
    """`size` draws of diffprivlib's `Geometric.randomise` noise, in one numpy pass.

    The same formula on the same uniforms, taken from the mechanism itself (its scale and
    its random source): a seeded RandomState yields, value for value, what `randomise`
    returns one call at a time (tests/streams/test_dp.py checks it bit for bit), and an
    unseeded one draws from os.urandom as secrets.SystemRandom does. A Python call per
    value cost 30 s for the 7.3M pairs of a 1M-device window; this costs well under 1 s.
    A uniform of exactly 0.5 (probability 2⁻⁵³), where the formula takes log(0) and
    diffprivlib's own call overflows, gives noise 0.
    """
    scale: float = mechanism._scale  # noqa: SLF001 - -ε/sensitivity, as randomise uses it
    rng = mechanism._rng  # noqa: SLF001 - the mechanism's own random source
    uniform = (rng.random_sample(size) if isinstance(rng, np.random.RandomState)
               else secure_uniform(size))
    unif_rv = (uniform - 0.5) * (1 + np.exp(scale))
    sign = np.where(unif_rv < 0, -1.0, 1.0)
    with np.errstate(divide="ignore"):
        noise: FloatArray = sign * np.floor(np.log(sign * unif_rv) / scale)
    noise[~np.isfinite(noise)] = 0.0
    return noise  # whole numbers in float64, as randomise has them


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
    keys = sorted(partitions)
    mechanism = Geometric(epsilon=epsilon, sensitivity=sensitivity, random_state=random_state)
    values = np.fromiter((counts.get(key, 0) for key in keys), dtype=np.int64, count=len(keys))
    noisy = add_noise(values, geometric_noise(mechanism, len(keys)))
    return dict(zip(keys, noisy.tolist(), strict=True))


def add_noise(values: IntArray, noise: FloatArray) -> IntArray:
    """round(value + noise) as `randomise` computes it, as integers."""
    return np.round(values + noise).astype(np.int64)


def select_partition_arrays(
    counts: IntArray,
    epsilon: float,
    delta: float,
    max_partitions: int,
    min_devices: int,
    random_state: np.random.RandomState | None,
) -> tuple[IntArray, IntArray]:
    """(indices, noisy counts) of the partitions whose noisy count passes max(τ, min_devices).

    `counts` are in the partitions' sorted order; that order fixes which draw each gets,
    so a seed gives the same release whichever container held the counts.
    """
    threshold = max(discrete_laplace_threshold(epsilon, delta, max_partitions), min_devices)
    mechanism = Geometric(epsilon=epsilon, sensitivity=max_partitions,
                          random_state=random_state)
    noisy = add_noise(counts, geometric_noise(mechanism, len(counts)))
    passed = np.flatnonzero(noisy >= threshold)
    return passed, noisy[passed]


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
    keys = sorted(counts)
    values = np.fromiter((counts[key] for key in keys), dtype=np.int64, count=len(keys))
    passed, noisy = select_partition_arrays(values, epsilon, delta, max_partitions,
                                            min_devices, random_state)
    return {keys[i]: value for i, value in zip(passed.tolist(), noisy.tolist(), strict=True)}
