"""Noise on integer counts: pure functions, seedable, tested against known answers.

- Discrete Laplace (two-sided geometric) for integer counts: Ghosh, Roughgarden and
  Sundararajan 2009; why not float Laplace: Mironov 2012. diffprivlib's `Geometric`
  holds the mechanism (its scale); `geometric_noise` applies its `randomise` formula
  (`geometric_from_uniforms`) to many values at once. That float sampler is within 1.2e-13
  (total variation) of the ideal distribution; `float_sampler_delta` computes the δ this
  adds exactly (the formula is monotone on each side of ½, so the 2⁵³-point grid of
  uniforms splits into one interval per output value, found by bisection), and every
  guarantee states it. OpenDP's exact sampler was measured 59× slower on 1M counts
  (bench/sampler.py) and cannot be keyed, so a retried release could not repeat it.
- The noise's randomness (`noise_source`): keyed (ChaCha20 under HMAC(key, stream,
  window), so a rebuilt release is bit-identical to an earlier attempt), seeded (a numpy
  RandomState, for replays and audits), or the OS's (`os.urandom`).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import zlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from diffprivlib.mechanisms import Geometric

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


UNIFORM_GRID = 2**53  # uniforms are m · 2⁻⁵³, m in [0, 2⁵³)


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


def geometric_from_uniforms(uniform: FloatArray, scale: float) -> FloatArray:
    """Two-sided geometric noise (whole numbers in float64) for uniforms in [0, 1), with
    scale = −ε/sensitivity, exactly as diffprivlib's `Geometric.randomise` computes it.

    A uniform of exactly 0.5 (probability 2⁻⁵³), where the formula takes log(0) and
    diffprivlib's own call overflows, gives noise 0.
    """
    unif_rv = (uniform - 0.5) * (1 + np.exp(scale))
    sign = np.where(unif_rv < 0, -1.0, 1.0)
    with np.errstate(divide="ignore"):
        noise: FloatArray = sign * np.floor(np.log(sign * unif_rv) / scale)
    noise[~np.isfinite(noise)] = 0.0
    return noise


def _noise_at(m: np.ndarray[Any, np.dtype[np.int64]], scale: float) -> np.ndarray[
        Any, np.dtype[np.int64]]:
    return geometric_from_uniforms(m.astype(np.float64) * 2.0**-53, scale).astype(np.int64)


def _first_at_most(lo: int, hi: int, targets: np.ndarray[Any, np.dtype[np.int64]],
                   scale: float, decreasing: bool) -> np.ndarray[Any, np.dtype[np.int64]]:
    """For each target k, the first grid point m in [lo, hi] whose noise is ≤ k (noise
    non-increasing in m) or ≥ k (non-decreasing): a vectorised bisection."""
    left = np.full(targets.shape, lo, dtype=np.int64)
    right = np.full(targets.shape, hi + 1, dtype=np.int64)
    while np.any(left < right):
        mid = (left + right) // 2
        values = _noise_at(np.minimum(mid, hi), scale)
        ok = (values <= targets) if decreasing else (values >= targets)
        ok &= mid <= hi
        right = np.where(ok, mid, right)
        left = np.where(ok, left, mid + 1)
    return left


@lru_cache(maxsize=32)
def float_sampler_pmf(epsilon: float, sensitivity: int) -> dict[int, int]:
    """The sampler's exact output distribution: noise value → number of grid points (of
    2⁵³) that give it, for noise of scale sensitivity/ε."""
    scale = -epsilon / sensitivity
    half = UNIFORM_GRID // 2
    counts: dict[int, int] = {0: 1}  # m = 2⁵² is a uniform of exactly ½: noise 0
    # Above ½ noise falls from its largest value (m = 2⁵² + 1) to 0 (m = 2⁵³ − 1).
    top = int(_noise_at(np.array([half + 1]), scale)[0])
    ks = np.arange(top, -1, -1, dtype=np.int64)
    starts = _first_at_most(half + 1, UNIFORM_GRID - 1, ks, scale, decreasing=True)
    ends = np.append(starts[1:], UNIFORM_GRID)
    for k, start, end in zip(ks.tolist(), starts.tolist(), ends.tolist(), strict=True):
        counts[k] = counts.get(k, 0) + end - start
    # Below ½ noise falls from 0 (m = 0) to its smallest value (m = 2⁵² − 1).
    bottom = int(_noise_at(np.array([half - 1]), scale)[0])
    ks = np.arange(0, bottom - 1, -1, dtype=np.int64)
    starts = _first_at_most(0, half - 1, ks, scale, decreasing=True)
    ends = np.append(starts[1:], half)
    for k, start, end in zip(ks.tolist(), starts.tolist(), ends.tolist(), strict=True):
        counts[k] = counts.get(k, 0) + end - start
    assert sum(counts.values()) == UNIFORM_GRID
    return {k: c for k, c in counts.items() if c}


@lru_cache(maxsize=32)
def float_sampler_delta(epsilon: float, sensitivity: int) -> float:
    """δ the float sampler adds to one coordinate's ε/sensitivity guarantee (count changed
    by one): max over both shifts of Σ_k max(0, P(k) − e^{ε/s}·P(k∓1))."""
    pmf = float_sampler_pmf(epsilon, sensitivity)
    ratio = math.exp(min(epsilon / sensitivity, 700.0))  # e^x overflows a float beyond
    worst = 0.0
    for shift in (1, -1):
        keys = set(pmf) | {k + shift for k in pmf}
        excess = sum(max(0.0, pmf.get(k, 0) - ratio * pmf.get(k - shift, 0)) for k in keys)
        worst = max(worst, excess / UNIFORM_GRID)
    return worst


def ideal_geometric_pmf(epsilon: float, sensitivity: int, k: int) -> float:
    """P(X = k) for the ideal two-sided geometric of scale sensitivity/ε."""
    p = math.exp(-epsilon / sensitivity)
    return (1 - p) / (1 + p) * p ** abs(k)
