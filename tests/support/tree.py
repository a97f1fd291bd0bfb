"""The binary-tree mechanism for running counts (Chan, Shi and Song 2011, "Private and
continual release of statistics"), with discrete Laplace noise.

Each window's count enters one node per level of a dyadic tree over T windows; each node
gets discrete Laplace noise with ε/L, L = ⌊log2 T⌋ + 1 levels, so a device spends ε in
all. A running total up to window t sums the nodes of t's binary decomposition (at most
L of them), so its variance grows like log³ T instead of T for summed window releases.
See docs/privacy.md for where that wins (only beyond about two thousand windows here).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from diffprivlib.mechanisms import Geometric

from omega.dp.ranges import discrete_laplace_variance


def tree_levels(horizon: int) -> int:
    return max(horizon, 1).bit_length()


def binary_tree_running_counts(
    counts: Sequence[int], horizon: int, epsilon: float, sensitivity: int,
    random_state: np.random.RandomState | None,
) -> list[int]:
    """Noisy running totals after each of the first len(counts) ≤ horizon windows."""
    if len(counts) > horizon:
        raise ValueError(f"{len(counts)} windows given; the tree covers at most {horizon}")
    levels = tree_levels(horizon)
    mechanism = Geometric(epsilon=epsilon / levels, sensitivity=sensitivity,
                          random_state=random_state)
    noisy_nodes: dict[tuple[int, int], int] = {}  # (level, index) → noisy sum of its span
    totals: list[int] = []
    for t in range(1, len(counts) + 1):
        total, covered = 0, 0
        for level in reversed(range(levels)):
            span = 1 << level
            if covered + span <= t:
                node = (level, covered >> level)
                if node not in noisy_nodes:
                    true_sum = sum(counts[covered:covered + span])
                    noisy_nodes[node] = int(mechanism.randomise(int(true_sum)))
                total += noisy_nodes[node]
                covered += span
        totals.append(total)
    return totals


def tree_running_variance(t: int, horizon: int, epsilon: float, sensitivity: float) -> float:
    """Variance of the running total at window t: one node per 1-bit of t."""
    levels = tree_levels(horizon)
    return bin(t).count("1") * discrete_laplace_variance(epsilon / levels, sensitivity)


def tree_mean_variance(horizon: int, epsilon: float, sensitivity: float) -> float:
    """Average over t = 1..horizon of the running total's variance."""
    return sum(tree_running_variance(t, horizon, epsilon, sensitivity)
               for t in range(1, horizon + 1)) / horizon


def summed_releases_mean_variance(horizon: int, epsilon: float, sensitivity: float) -> float:
    """Average variance of running totals built by summing per-window releases."""
    return (horizon + 1) / 2 * discrete_laplace_variance(epsilon, sensitivity)


def crossover_windows(epsilon: float, sensitivity: float, limit: int = 100_000) -> int:
    """Smallest horizon where the tree's mean variance beats summed window releases."""
    horizon = 1
    while horizon < limit:
        if tree_mean_variance(horizon, epsilon, sensitivity) < \
                summed_releases_mean_variance(horizon, epsilon, sensitivity):
            return horizon
        horizon = math.ceil(horizon * 1.1) + 1
    return limit
