"""A simulated fleet with a planted structure, so DP utility can be scored against truth.

Titles have a Zipf popularity; devices belong to taste communities, each a small set of
titles that its members tend to watch together (the planted co-view structure). The
same seed gives the same fleet. Everything is vectorised: a million devices take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FleetPlan:
    devices: int = 1_000_000
    titles: int = 10_000
    communities: int = 200
    titles_per_community: int = 12
    mean_titles_per_device: float = 8.0
    community_share: float = 0.6
    zipf_s: float = 1.1


@dataclass
class Fleet:
    """Per-device watched titles (CSR layout) with seconds watched, and the plan behind them."""

    plan: FleetPlan
    offsets: np.ndarray  # device i watched titles[offsets[i]:offsets[i+1]]
    titles: np.ndarray
    seconds: np.ndarray
    community_of: np.ndarray  # community of each device
    community_titles: np.ndarray  # (communities, titles_per_community)

    def device(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.titles[lo:hi], self.seconds[lo:hi]


def zipf_weights(n: int, s: float) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -s
    normalized: np.ndarray = weights / weights.sum()
    return normalized


def simulate_fleet(plan: FleetPlan, seed: int) -> Fleet:
    """Draw the fleet: distinct titles per device, a share from its community."""
    rng = np.random.default_rng(seed)
    title_rank = rng.permutation(plan.titles) + 1  # title id at each popularity rank
    community_titles = np.stack([
        rng.choice(plan.titles, plan.titles_per_community, replace=False) + 1
        for _ in range(plan.communities)])
    community_of = rng.choice(plan.communities, plan.devices,
                              p=zipf_weights(plan.communities, 0.8))
    n_watched = np.clip(rng.poisson(plan.mean_titles_per_device, plan.devices), 1, 32)
    offsets = np.concatenate([[0], np.cumsum(n_watched)])
    total = int(offsets[-1])
    from_community = rng.random(total) < plan.community_share
    owner = np.repeat(np.arange(plan.devices), n_watched)
    picks = title_rank[rng.choice(plan.titles, total, p=zipf_weights(plan.titles, plan.zipf_s))]
    slot = rng.integers(0, plan.titles_per_community, total)
    picks = np.where(from_community, community_titles[community_of[owner], slot], picks)
    seconds = rng.integers(60, 7200, total)
    return Fleet(plan, offsets, picks.astype(np.int64), seconds, community_of, community_titles)
