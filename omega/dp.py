"""The differential-privacy math: pure functions, seedable, tested against known answers.

Sources:
- Discrete Laplace (two-sided geometric) for integer counts: Ghosh, Roughgarden and
  Sundararajan 2009; why not float Laplace: Mironov 2012. diffprivlib's `Geometric`
  holds the mechanism (its scale); `geometric_noise` applies its `randomise` formula
  (omega/privacy.py) to many values at once. That float sampler is within 1.2e-13 (total
  variation) of the ideal distribution; the δ this adds is computed exactly there and
  stated in every guarantee. OpenDP's exact sampler was measured 59× slower on 1M counts
  (bench/sampler.py) and cannot be keyed, so a retried release could not repeat it.
- The noise's randomness (`noise_source`): keyed (ChaCha20 under HMAC(key, stream,
  window), so a rebuilt release is bit-identical to an earlier attempt), seeded (a numpy
  RandomState, for replays and audits), or the OS's (`os.urandom`).
- Laplace partition selection (thresholding): Google differential-privacy library,
  cc/algorithms/partition-selection.h, `LaplacePartitionSelection`:
  τ = 1 − (P/ε)·ln(2δ′), δ′ = 1 − (1−δ)^(1/P) for P partitions per privacy unit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import os
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from diffprivlib.mechanisms import Geometric

from omega.privacy import geometric_from_uniforms

K = TypeVar("K", int, str)

IntArray = np.ndarray[Any, np.dtype[np.int64]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_TOP_53_BITS = np.uint64(11)


class KeyedUniforms:
    """Uniforms in [0, 1), 53 bits each, from a ChaCha20 keystream keyed by
    HMAC-SHA256(key, stream, window): the same key, stream and window give the same draws,
    and without the key they are as unpredictable as the OS's."""

    def __init__(self, key: bytes, stream: str, window_start_ms: int) -> None:
        subkey = hmac.new(key, f"{stream}\x00{window_start_ms}".encode(), hashlib.sha256)
        self._stream = Cipher(algorithms.ChaCha20(subkey.digest(), bytes(16)), mode=None
                              ).encryptor()

    def __repr__(self) -> str:
        return "KeyedUniforms(...)"  # never the key

    def random_sample(self, size: int) -> FloatArray:
        bits = np.frombuffer(self._stream.update(bytes(8 * size)), dtype=np.uint64)
        return (bits >> _TOP_53_BITS).astype(np.float64) * 2.0**-53


NoiseSource = np.random.RandomState | KeyedUniforms | None


def window_random_state(
    seed: int | None, stream: str, window_start_ms: int, key: bytes | None = None,
) -> NoiseSource:
    """The randomness of one stream's release of one window: seeded (replays, audits),
    keyed (production: a retry draws the same noise), or None for OS randomness."""
    if seed is not None:
        sequence = np.random.SeedSequence([seed, zlib.crc32(stream.encode()), window_start_ms])
        return np.random.RandomState(sequence.generate_state(4))
    if key is not None:
        return KeyedUniforms(key, stream, window_start_ms)
    return None


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


def geometric_noise(mechanism: Geometric, size: int, source: NoiseSource = None) -> FloatArray:
    """`size` draws of diffprivlib's `Geometric.randomise` noise, in one numpy pass.

    The same formula on the same uniforms, with the mechanism's scale: a seeded
    RandomState yields, value for value, what `randomise` returns one call at a time
    (tests/omega/test_dp.py checks it bit for bit); keyed uniforms come from `source`;
    otherwise from os.urandom as secrets.SystemRandom does. A Python call per value cost
    30 s for the 7.3M pairs of a 1M-device window; this costs well under 1 s.
    """
    scale: float = mechanism._scale  # noqa: SLF001 - -ε/sensitivity, as randomise uses it
    if isinstance(source, KeyedUniforms):
        uniform = source.random_sample(size)
    elif isinstance(source, np.random.RandomState):
        uniform = source.random_sample(size)
    else:
        uniform = secure_uniform(size)
    return geometric_from_uniforms(uniform, scale)  # whole numbers in float64


def noisy_counts(
    counts: Mapping[K, int],
    partitions: Iterable[K],
    epsilon: float,
    sensitivity: int,
    random_state: NoiseSource,
) -> dict[K, int]:
    """Each public partition's count plus discrete Laplace noise of scale sensitivity/ε.

    Every partition gets a value, seen or not, so a release reveals nothing by omission.
    """
    keys = sorted(partitions)
    mechanism = Geometric(epsilon=epsilon, sensitivity=sensitivity)
    values = np.fromiter((counts.get(key, 0) for key in keys), dtype=np.int64, count=len(keys))
    noisy = add_noise(values, geometric_noise(mechanism, len(keys), random_state))
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


# -- Gaussian partition selection over all of a device's pairs -----------------------------
#
# Sources:
# - Gaussian thresholding for partition selection with per-unit ℓ0 bound P and ℓ∞ bound 1
#   (so ℓ2 sensitivity √P): Gopi, Gulhane, Kulkarni, Shen, Shokouhi, Yekhanin,
#   "Differentially Private Set Union", ICML 2020 (the Gaussian mechanisms, Thm 5.1 style
#   argument); Google differential-privacy library, `GaussianPartitionSelection`: δ is
#   split in half, one half for the noise, one for the threshold; a partition only the
#   extra unit has (count 1) passes with probability ≤ δ_threshold / P.
# - DP-SIPS (Swanberg, Desfontaines, Haney 2023) iterates this mechanism over rounds;
#   measured in bench/privacy_utility.py, one round wins when P covers all K(K−1)/2 pairs
#   (nothing is left to reroute), so one round ships.
# - Discrete Gaussian noise on integer counts: Canonne, Kamath, Steinke, "The Discrete
#   Gaussian for Differential Privacy", NeurIPS 2020. Sampled here by inverse CDF from
#   53-bit uniforms (keyed or seeded like the Laplace noise); the sampler's exact output
#   distribution (integer counts of the 2⁵³ uniform grid) is what the accounting uses.

_UNIFORM_GRID = 2**53
_GUIDE = 1 << 18
GAUSSIAN_TAIL_SIGMAS = 14  # support ±14σ: the mass beyond is e^-98, and the exact pmf says so


class DiscreteGaussian:
    """The discrete Gaussian N_Z(0, σ²) on ±⌈14σ⌉, sampled by inverse CDF from 53-bit
    uniforms; `grid_counts` is the sampler's exact distribution (grid points per value)."""

    def __init__(self, sigma: float) -> None:
        if not sigma > 0:
            raise ValueError(f"σ must be positive, got {sigma}")
        self.sigma = sigma
        self.bound = math.ceil(GAUSSIAN_TAIL_SIGMAS * sigma)
        values = np.arange(-self.bound, self.bound + 1, dtype=np.int64)
        weights = np.exp(-(values.astype(np.float64) ** 2) / (2 * sigma * sigma))
        self._cdf = np.cumsum(weights / weights.sum())
        # A guide table (Chen and Asau's indexed search): bucket b of the uniforms starts
        # at the first index whose cdf exceeds b/M, so most draws need one comparison;
        # a plain searchsorted of 7.3M draws took 0.72 s, this 0.14 s.
        self._guide = np.searchsorted(self._cdf, np.arange(_GUIDE + 1) / _GUIDE, side="right")

    def __repr__(self) -> str:
        return f"DiscreteGaussian(sigma={self.sigma:.4g})"

    def sample(self, size: int, source: NoiseSource = None) -> IntArray:
        uniform = secure_uniform(size) if source is None else source.random_sample(size)
        last = 2 * self.bound
        bucket = (uniform * _GUIDE).astype(np.int64)
        low = self._guide[bucket]
        index = low + (self._cdf[np.minimum(low, last)] <= uniform)
        wide = np.flatnonzero(self._guide[bucket + 1] - low > 1)  # the tails: a real search
        index[wide] = np.searchsorted(self._cdf, uniform[wide], side="right")
        noise: IntArray = np.minimum(index, last) - self.bound
        return noise

    @functools.cached_property
    def grid_counts(self) -> list[int]:
        """How many of the 2⁵³ uniforms give each value −bound … bound: exact integers
        (u = m·2⁻⁵³ gives index i when cdf[i−1] ≤ u < cdf[i]; the last index takes the rest).
        Never negative (a test checks every σ of a sweep)."""
        # min: the float cdf can end a hair above 1, and no uniform reaches past 1
        edges = [min(math.ceil(float(c) * _UNIFORM_GRID), _UNIFORM_GRID) for c in self._cdf[:-1]]
        bounds = [0, *edges, _UNIFORM_GRID]
        return [hi - lo for lo, hi in zip(bounds, bounds[1:], strict=False)]

    def tail(self, t: int) -> float:
        """P(Z ≥ t) for the sampler as built (exact, from `grid_counts`)."""
        start = max(t + self.bound, 0)
        return sum(self.grid_counts[start:]) / _UNIFORM_GRID

    def smallest_with_tail(self, probability: float) -> int:
        """The smallest t with P(Z ≥ t) ≤ probability."""
        total, t = 0, self.bound + 1
        for count in reversed(self.grid_counts):
            if (total + count) / _UNIFORM_GRID > probability:
                break
            total += count
            t -= 1
        return t


@functools.lru_cache(maxsize=64)
def discrete_gaussian(sigma: float) -> DiscreteGaussian:
    return DiscreteGaussian(sigma)


@functools.lru_cache(maxsize=64)
def gaussian_sigma(epsilon: float, delta: float, coordinates: int) -> float:
    """The smallest σ (to 0.1%) at which P coordinates of discrete Gaussian noise, each
    changed by at most 1, are (ε, δ)-DP: dp-accounting's PLD, pessimistic, bisected."""
    from dp_accounting.pld import privacy_loss_distribution as pld  # noqa: PLC0415 - slow

    def epsilon_at(sigma: float) -> float:
        loss = pld.from_discrete_gaussian_mechanism(sigma, sensitivity=1)
        return float(loss.self_compose(coordinates).get_epsilon_for_delta(delta))

    low, high = 0.1, 10.0
    while epsilon_at(high) > epsilon:
        low, high = high, high * 4
    while high / low > 1.001:
        middle = math.sqrt(low * high)
        low, high = (middle, high) if epsilon_at(middle) > epsilon else (low, middle)
    return high


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
