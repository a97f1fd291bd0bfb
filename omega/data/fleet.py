"""The planted fleet model: Zipf popularity over title ids and taste communities, a
structure known exactly; and one delta per device per sync period from any fleet's views.
Shared by `omega-fleet` (producers/fleet.py), the backtest and the benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]


@dataclass(frozen=True)
class FleetPlan:
    devices: int = 1_000_000
    titles: int = 10_000
    communities: int = 200
    titles_per_community: int = 12
    mean_titles_per_device: float = 8.0
    community_share: float = 0.6
    zipf_s: float = 1.1


class PackedViews:
    """Every device's views packed CSR-style: device i watched titles[offsets[i]:offsets[i+1]]
    for seconds[...] (the fleet models' shared layout)."""

    offsets: np.ndarray
    titles: np.ndarray
    seconds: np.ndarray

    @property
    def devices(self) -> int:
        return len(self.offsets) - 1

    def device(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.titles[lo:hi], self.seconds[lo:hi]


@dataclass
class Fleet(PackedViews):
    """Per-device watched titles (CSR layout) with seconds watched, and the plan behind them."""

    plan: FleetPlan
    offsets: np.ndarray  # device i watched titles[offsets[i]:offsets[i+1]]
    titles: np.ndarray
    seconds: np.ndarray
    community_of: np.ndarray  # community of each device
    community_titles: np.ndarray  # (communities, titles_per_community)
    title_rank: np.ndarray  # title id at each popularity rank


def zipf_weights(n: int, s: float) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -s
    normalized: np.ndarray = weights / weights.sum()
    return normalized


def simulate_fleet(plan: FleetPlan, seed: int, period: int = 0) -> Fleet:
    """Draw the fleet's views in one sync period: distinct titles per device, a share
    from its community.

    The structure (popularity order, communities, who belongs where) depends on the seed
    only; the views also on the period, so period 1 is the same fleet's next window.
    """
    rng = np.random.default_rng(seed)
    title_rank = rng.permutation(plan.titles) + 1  # title id at each popularity rank
    community_titles = np.stack([
        rng.choice(plan.titles, plan.titles_per_community, replace=False) + 1
        for _ in range(plan.communities)])
    community_of = rng.choice(plan.communities, plan.devices,
                              p=zipf_weights(plan.communities, 0.8))
    if period:
        rng = np.random.default_rng([seed, period])
    n_watched = np.clip(rng.poisson(plan.mean_titles_per_device, plan.devices), 1, 32)
    offsets = np.concatenate([[0], np.cumsum(n_watched)])
    total = int(offsets[-1])
    from_community = rng.random(total) < plan.community_share
    owner = np.repeat(np.arange(plan.devices), n_watched)
    picks = title_rank[rng.choice(plan.titles, total, p=zipf_weights(plan.titles, plan.zipf_s))]
    slot = rng.integers(0, plan.titles_per_community, total)
    picks = np.where(from_community, community_titles[community_of[owner], slot], picks)
    seconds = rng.integers(60, 7200, total)
    return Fleet(plan, offsets, picks.astype(np.int64), seconds, community_of, community_titles,
                 title_rank)


def fleet_deltas(fleet: PackedViews, seed: int, period: int, sent_at_ms: int,
                 app_version: str = "omega-fleet/1") -> Iterator[Record]:
    """One TvDelta per device that watched in the period (seq = period + 1); a title
    watched twice in the period is one view with the seconds summed."""
    for i in range(fleet.devices):
        ids, secs = fleet.device(i)
        if not len(ids):  # off this period: a TV that watched nothing does not sync
            continue
        watched: dict[int, int] = {}
        for title, seconds in zip(ids.tolist(), secs.tolist(), strict=True):
            watched[title] = min(watched.get(title, 0) + seconds, 86_400)
        yield {"device_id": f"fleet-{seed}-{i}", "seq": period + 1, "sent_at_ms": sent_at_ms,
               "titles": [{"title_id": t, "seconds_watched": s, "completion": 1.0,
                           "rating": None} for t, s in watched.items()],
               "app_version": app_version}


def planted_truth(fleet: Fleet, seed: int) -> dict[str, Any]:
    """What was planted, for scoring DP output: popularity order and the communities."""
    sizes = np.bincount(fleet.community_of, minlength=fleet.plan.communities)
    return {
        "seed": seed, "plan": asdict(fleet.plan),
        "titles_by_popularity": fleet.title_rank.tolist(),
        "communities": [{"titles": sorted(titles.tolist()), "devices": int(size)}
                        for titles, size in zip(fleet.community_titles, sizes, strict=True)],
    }
