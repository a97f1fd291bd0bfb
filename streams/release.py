"""The DP release step: pure, seedable functions from true counts to released numbers.

Noise is discrete Laplace (two-sided geometric, diffprivlib's `Geometric`) on integer
counts, never float Laplace (Mironov 2012). With a seed, the noise of a window is a
function of (seed, stream, window start) alone, so replays and audits are bit-exact;
without one, diffprivlib draws from the OS's secure randomness.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from diffprivlib.mechanisms import Geometric


def window_random_state(
    seed: int | None, stream: str, window_start_ms: int
) -> np.random.RandomState | None:
    """A RandomState for one window's release, or None for secure OS randomness."""
    if seed is None:
        return None
    sequence = np.random.SeedSequence([seed, zlib.crc32(stream.encode()), window_start_ms])
    return np.random.RandomState(sequence.generate_state(4))


def noisy_counts(
    counts: Mapping[int, int],
    partitions: Iterable[int],
    epsilon: float,
    sensitivity: int,
    random_state: np.random.RandomState | None,
) -> dict[int, int]:
    """Each public partition's count plus discrete Laplace noise of scale sensitivity/epsilon.

    Every partition gets a value, seen or not, so a release reveals nothing by omission.
    """
    mechanism = Geometric(epsilon=epsilon, sensitivity=sensitivity, random_state=random_state)
    return {key: int(mechanism.randomise(int(counts.get(key, 0)))) for key in sorted(partitions)}


def release_trends(
    window_start_ms: int,
    window_end_ms: int,
    counts: Mapping[int, int],
    title_ids: Iterable[int],
    epsilon: float,
    sensitivity: int,
    seed: int | None,
) -> list[dict[str, Any]]:
    """TrendRelease records for one window: every catalog title, noised."""
    state = window_random_state(seed, "trends", window_start_ms)
    noisy = noisy_counts(counts, title_ids, epsilon, sensitivity, state)
    return [
        {"window_start_ms": window_start_ms, "window_end_ms": window_end_ms,
         "title_id": title_id, "noisy_count": value, "epsilon": epsilon,
         "sensitivity": sensitivity}
        for title_id, value in noisy.items()
    ]
