"""Synthetic TV deltas with a Zipf title popularity, deterministic for a seed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FleetShape:
    """How the synthetic fleet behaves."""

    devices: int = 10_000
    titles: int = 10_000
    zipf_s: float = 1.1
    max_titles_per_delta: int = 8
    min_titles_per_delta: int = 1


def synthetic_deltas(
    count: int, seed: int, shape: FleetShape, sent_at_ms: Any, app_version: str = "omega-sim/1"
) -> Iterator[dict[str, Any]]:
    """Yield `count` TvDelta records; `sent_at_ms()` gives each its send time.

    Device i has id `sim-<seed>-<i>` and its own increasing seq, so re-runs with the same
    seed give the same records (and the same sequence numbers).
    """
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, shape.titles + 1)
    weights = ranks ** -shape.zipf_s
    popularity = weights / weights.sum()
    title_order = rng.permutation(shape.titles) + 1  # which title id holds each rank
    seqs = np.zeros(shape.devices, dtype=np.int64)
    for _ in range(count):
        device = int(rng.integers(shape.devices))
        seqs[device] += 1
        n_titles = int(rng.integers(shape.min_titles_per_delta, shape.max_titles_per_delta + 1))
        picks = title_order[rng.choice(shape.titles, size=n_titles, replace=False, p=popularity)]
        yield {
            "device_id": f"sim-{seed}-{device}",
            "seq": int(seqs[device]),
            "sent_at_ms": int(sent_at_ms()),
            "titles": [
                {"title_id": int(t), "seconds_watched": int(rng.integers(60, 7200)),
                 "completion": float(np.float32(rng.random())), "rating": None}
                for t in picks
            ],
            "app_version": app_version,
        }
