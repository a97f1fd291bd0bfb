"""`omega-backtest`: how good is "watched together" at a given ε, on a time split?

The question an analyst asks: had we run the pipeline with ε = 0.1 over this history,
how well would the released co-view edges have predicted what each device watched next?

Method (everything a release goes through is the worker's own code):
1. Time split. MovieLens: each device's views in time order, the last 20 % held out as
   its "next views". Simulated fleet: sync period 0 is history, period 1 the next views.
2. History deltas are bounded per device per sync window by `omega.windows.apply_delta`
   (K titles, P pairs, a re-sent seq counted once), exactly as the worker does.
3. Each window's pair counts go through `omega.release.release_coview_edges` (the
   settings' mechanism: Gaussian partition selection over all P = 45 pairs by default)
   with the seed; released edges are summed over windows (post-processing). ε = ∞ means
   no noise and no threshold: every pair a bounded device contributed (research only,
   never released). The naive release shipped before (a device's first 10 pairs, discrete
   Laplace, max(τ, min_devices)) runs at ε = 0.1 beside it, same split and seed.
4. A device's recommendations are its history titles' released neighbours, scored by the
   summed noisy count, history excluded: what a TV computes locally from the pattern
   download, so it costs no privacy. The baseline is the most popular titles by exact
   bounded history counts (not private: the strongest popularity baseline).
5. hit rate@10: share of devices with at least one next view in their top 10;
   recall@10: mean share of a device's next views found in its top 10;
   coverage: share of devices that got any co-view recommendation at all.

Same seed, same data, same settings: byte-identical results (a test checks it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from omega.progress import progress
from omega.release import release_coview_edges
from omega.settings import Settings, get_settings
from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import Bounds, DeviceState, apply_delta, pair_key, pair_of, window_start

Record = dict[str, Any]
EPSILONS: tuple[float | None, ...] = (0.1, 1.0, None)  # None = ∞ (no noise, research only)
TOP_N = 10
NAIVE_PAIRS = 10  # the naive release's P: a device's first 10 pairs (its top 5 titles)


@dataclass(frozen=True)
class Split:
    """History deltas (what the pipeline sees) and each device's held-out next views."""

    history: list[Record]
    next_views: dict[str, set[int]]


@dataclass(frozen=True)
class WindowCounts:
    """Bounded per-window pair counts and exact bounded title counts over the history."""

    pairs: dict[int, Counter[int]]
    titles: Counter[int]
    history: dict[str, list[int]]  # every title each device watched, in order


@dataclass(frozen=True)
class Row:
    data: str
    method: str
    epsilon: float | None
    devices: int
    hit_rate: float
    recall: float
    coverage: float
    edges: int

    def as_dict(self) -> dict[str, Any]:
        return {"data": self.data, "method": self.method,
                "epsilon": "inf" if self.epsilon is None else self.epsilon,
                "devices": self.devices, "hit_rate@10": round(self.hit_rate, 4),
                "recall@10": round(self.recall, 4), "coverage": round(self.coverage, 4),
                "edges": self.edges}


def time_split(deltas: Iterable[Record], test_fraction: float = 0.2) -> Split:
    """Hold out the last `test_fraction` of each device's views (deltas in time order,
    titles in the order the device watched them); a device needs two views to be split."""
    deltas = list(deltas)
    views: dict[str, list[int]] = defaultdict(list)
    for record in deltas:
        views[record["device_id"]].extend(t["title_id"] for t in record["titles"])
    held: dict[str, int] = {}  # how many of each device's views are held out
    for device, seen in views.items():
        if len(seen) >= 2:
            held[device] = max(1, int(round(len(seen) * test_fraction)))
    history: list[Record] = []
    remaining = {device: len(seen) - held.get(device, 0) for device, seen in views.items()}
    for record in deltas:
        device = record["device_id"]
        keep = record["titles"][:max(remaining[device], 0)]
        remaining[device] -= len(record["titles"])
        if keep:
            history.append({**record, "titles": keep})
    next_views = {device: set(views[device][-n:]) - set(views[device][:-n])
                  for device, n in held.items()}
    return Split(history, {d: v for d, v in next_views.items() if v})


def bounded_counts(history: Iterable[Record], window_ms: int, bounds: Bounds,
                   total: int | None = None) -> WindowCounts:
    """What the worker would count: each delta through `apply_delta`, per device and window."""
    states: dict[tuple[str, int], DeviceState] = {}
    pairs: dict[int, Counter[int]] = defaultdict(Counter)
    titles: Counter[int] = Counter()
    seen: dict[str, list[int]] = defaultdict(list)
    for record in progress(history, total=total, desc="bound deltas", unit="delta",
                          mininterval=2):
        window = window_start(record["sent_at_ms"], window_ms)
        delta = DeviceDelta(record["device_id"], record["seq"], record["sent_at_ms"], tuple(
            WatchedTitle(t["title_id"], t["seconds_watched"], t["completion"], t["rating"])
            for t in record["titles"]), record["app_version"])
        key = (delta.device_id, window)
        applied = apply_delta(states.get(key), delta, window, bounds, None)
        states[key] = applied.state
        pairs[window].update(applied.pairs)
        titles.update(applied.added)
        seen[delta.device_id].extend(t.title_id for t in delta.titles)
    return WindowCounts(dict(pairs), titles, dict(seen))


def released_edges(counts: WindowCounts, epsilon: float | None, settings: Settings,
                   window_ms: int, seed: int) -> Counter[int]:
    """Released edges summed over windows: pair key → total noisy device count."""
    total: Counter[int] = Counter()
    for window in sorted(counts.pairs):
        window_pairs = counts.pairs[window]
        if epsilon is None:
            total.update(window_pairs)
            continue
        for edge in release_coview_edges(window, window + window_ms, window_pairs, epsilon,
                                         settings.delta, settings.max_pairs_per_device,
                                         settings.min_devices, seed,
                                         mechanism=settings.pair_mechanism,
                                         floor_error=settings.floor_error):
            total[pair_key(edge["title_a"], edge["title_b"])] += edge["noisy_count"]
    return total


def neighbours(edges: Mapping[int, int]) -> dict[int, dict[int, int]]:
    adjacency: dict[int, dict[int, int]] = defaultdict(dict)
    for key, weight in edges.items():
        a, b = pair_of(key)
        adjacency[a][b] = adjacency[a].get(b, 0) + weight
        adjacency[b][a] = adjacency[b].get(a, 0) + weight
    return adjacency


def recommend_coview(history: Sequence[int], adjacency: Mapping[int, Mapping[int, int]],
                     n: int = TOP_N) -> list[int]:
    """The history's neighbours by summed edge weight (ties: lower title id), unseen only."""
    seen = set(history)
    scores: Counter[int] = Counter()
    for title in seen:
        for other, weight in adjacency.get(title, {}).items():
            if other not in seen:
                scores[other] += weight
    return [t for t, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def recommend_coview_batch(histories: Sequence[Sequence[int]], edges: Mapping[int, int],
                           n: int = TOP_N, chunk: int = 500) -> list[list[int]]:
    """`recommend_coview` for many devices at once, as sparse products (same answers)."""
    from scipy import sparse

    ids = np.array(sorted({t for key in edges for t in pair_of(key)}), dtype=np.int64)
    if len(ids) == 0:
        return [[] for _ in histories]
    size = len(ids)
    pairs = np.array([pair_of(key) for key in edges], dtype=np.int64).reshape(-1, 2)
    a, b = np.searchsorted(ids, pairs[:, 0]), np.searchsorted(ids, pairs[:, 1])
    weights = np.fromiter(edges.values(), dtype=np.int64, count=len(edges))
    adjacency = sparse.csr_matrix((np.concatenate([weights, weights]),
                                   (np.concatenate([a, b]), np.concatenate([b, a]))),
                                  shape=(size, size), dtype=np.int64)
    tie_break = size - 1 - np.arange(size, dtype=np.int64)  # higher for the lower title id
    out: list[list[int]] = []
    for lo in range(0, len(histories), chunk):
        rows, cols = [], []
        for row, history in enumerate(histories[lo:lo + chunk]):
            known = np.unique(np.asarray(history, dtype=np.int64))
            known = known[np.isin(known, ids)]
            cols.append(np.searchsorted(ids, known))
            rows.append(np.full(len(known), row))
        seen = sparse.csr_matrix((np.ones(sum(len(c) for c in cols), dtype=np.int64),
                                  (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(len(rows), size))
        scores = (seen @ adjacency).toarray()
        scores[seen.nonzero()] = 0
        ranked = np.where(scores > 0, scores * size + tie_break, -1)
        k = min(n, size)
        top = np.argpartition(-ranked, k - 1, axis=1)[:, :k]
        for row in range(len(rows)):
            best = top[row][np.argsort(-ranked[row, top[row]], kind="stable")]
            out.append([int(ids[i]) for i in best if ranked[row, i] > 0])
    return out


def recommend_popular(history: Sequence[int], by_popularity: Sequence[int],
                      n: int = TOP_N) -> list[int]:
    seen = set(history)
    return [t for t in by_popularity[:n + len(seen)] if t not in seen][:n]


def score(recommended: dict[str, list[int]], next_views: Mapping[str, set[int]]
          ) -> tuple[float, float, float]:
    """(hit rate@10, recall@10, coverage) over the evaluated devices."""
    hits = [len(set(recommended[d]) & next_views[d]) for d in recommended]
    recall = [h / len(next_views[d]) for d, h in zip(recommended, hits, strict=True)]
    covered = [bool(r) for r in recommended.values()]
    n = max(len(recommended), 1)
    return sum(h > 0 for h in hits) / n, sum(recall) / n, sum(covered) / n


def backtest(data: str, split: Split, window_ms: int, settings: Settings, seed: int,
             eval_devices: int = 0, epsilons: Sequence[float | None] = EPSILONS,
             naive_epsilon: float | None = 0.1) -> list[Row]:
    """The results table: popularity baseline, the naive release at `naive_epsilon` (when
    the settings ship the Gaussian one), then co-view at each ε."""
    bounds = Bounds(settings.max_titles_per_device, settings.max_pairs_per_device)
    counts = bounded_counts(split.history, window_ms, bounds,
                            total=len(split.history) if len(split.history) > 100_000 else None)
    devices = sorted(d for d in split.next_views if d in counts.history)
    if eval_devices and len(devices) > eval_devices:
        picked = np.random.default_rng(seed).choice(len(devices), eval_devices, replace=False)
        devices = [devices[i] for i in sorted(picked)]
    wanted = {d: split.next_views[d] for d in devices}
    by_popularity = [t for t, _ in sorted(counts.titles.items(), key=lambda kv: (-kv[1], kv[0]))]
    popular = {d: recommend_popular(counts.history[d], by_popularity) for d in devices}
    rows = [Row(data, "popularity (exact counts)", None, len(devices),
                *score(popular, wanted), 0)]
    runs: list[tuple[str, float | None, WindowCounts, Settings]] = []
    if settings.pair_mechanism == "gaussian" and naive_epsilon is not None:
        # The release shipped before, on the same split and seed: P = 10 pairs, Laplace.
        old = settings.model_copy(update={"max_pairs_per_device": NAIVE_PAIRS,
                                          "pair_mechanism": "laplace"})
        old_counts = bounded_counts(split.history, window_ms,
                                    Bounds(settings.max_titles_per_device, NAIVE_PAIRS),
                                    total=len(split.history) if len(split.history) > 100_000
                                    else None)
        runs.append((f"watched together, naive (P = {NAIVE_PAIRS}, Laplace)", naive_epsilon,
                     old_counts, old))
    runs += [("watched together", epsilon, counts, settings) for epsilon in epsilons]
    for method, epsilon, window_counts, chosen in runs:
        edges = released_edges(window_counts, epsilon, chosen, window_ms, seed)
        picks = recommend_coview_batch([counts.history[d] for d in devices], edges)
        coview = dict(zip(devices, picks, strict=True))
        rows.append(Row(data, method, epsilon, len(devices), *score(coview, wanted),
                        len(edges)))
    return rows


def movielens_split(seed: int, sync_s: int) -> Split:
    from omega.data.movielens import movielens_replay

    return time_split(record for _, record in movielens_replay(seed, sync_s))


def fleet_split(devices: int, seed: int, titles: int) -> Split:
    """Period 0 is the history (one window), period 1 the next views."""
    from omega.data.fleet import FleetPlan, fleet_deltas, simulate_fleet

    plan = FleetPlan(devices=devices, titles=titles)
    history = list(fleet_deltas(simulate_fleet(plan, seed, 0), seed, 0, 0))
    nxt = simulate_fleet(plan, seed, 1)
    next_views: dict[str, set[int]] = {}
    for i, record in enumerate(history):
        seen = {t["title_id"] for t in record["titles"]}
        fresh = set(nxt.device(i)[0].tolist()) - seen
        if fresh:
            next_views[record["device_id"]] = fresh
    return Split(history, next_views)


def markdown(rows: Sequence[Row], settings: Settings) -> str:
    lines = [f"K = {settings.max_titles_per_device} titles and P = "
             f"{settings.max_pairs_per_device} pairs per device per window, δ = "
             f"{settings.delta}, min_devices = {settings.min_devices}", "",
             "| data | devices evaluated | recommender | ε | edges released | hit rate@10 "
             "| recall@10 | coverage |",
             "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        eps = "—" if row.method.startswith("popularity") else (
            "∞ (no noise, research only)" if row.epsilon is None else f"{row.epsilon:g}")
        lines.append(f"| {row.data} | {row.devices:,} | {row.method} | {eps} | {row.edges:,} "
                     f"| {row.hit_rate:.4f} | {row.recall:.4f} | {row.coverage:.4f} |")
    return "\n".join(lines) + "\n"


def plot(rows: Sequence[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [("popularity" if r.method.startswith("popularity") else
               f"{'naive' if 'naive' in r.method else 'co-view'} "
               f"ε={'∞' if r.epsilon is None else f'{r.epsilon:g}'}") for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    ax.bar(x - 0.2, [r.hit_rate for r in rows], 0.4, label="hit rate@10")
    ax.bar(x + 0.2, [r.recall for r in rows], 0.4, label="recall@10")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_title(f"{rows[0].data}: next-view prediction, {rows[0].devices:,} devices", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: same rows, same bytes
    plt.close(fig)


def write_results(rows: Sequence[Row], settings: Settings, out: Path, name: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.md", out / f"{name}.json", out / f"{name}.png"]
    paths[0].write_text(markdown(rows, settings))
    paths[1].write_text(json.dumps([r.as_dict() for r in rows], indent=1, sort_keys=True) + "\n")
    plot(rows, paths[2])
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omega-backtest",
        description="Backtest 'watched together' recommendations built from DP-released "
                    "co-view edges against each device's next views, for ε = 0.1, 1 and ∞, "
                    "beside a popularity baseline. Runs offline on the worker's own bounding "
                    "and release code; reads no Kafka.",
        epilog="example: omega-backtest --data movielens --out results/\n"
               "         omega-backtest --data fleet --devices 1000000 --eval-devices 20000",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", choices=["movielens", "fleet"], default="movielens")
    parser.add_argument("--devices", type=int, default=1_000_000,
                        help="simulated fleet size (--data fleet)")
    parser.add_argument("--titles", type=int, default=10_000, help="fleet title ids 1..N")
    parser.add_argument("--eval-devices", type=int, default=20_000,
                        help="devices to score, a seeded sample (0 = all)")
    parser.add_argument("--sync-hours", type=float, default=4.0,
                        help="MovieLens sync window: one delta and one release per window")
    parser.add_argument("--seed", type=int, default=0, help="replay, fleet and noise seed")
    parser.add_argument("--out", type=Path, default=Path("backtest-results"),
                        help="folder for <data>.md, <data>.json and <data>.png")
    args = parser.parse_args(argv)
    settings = get_settings()
    sync_ms = int(args.sync_hours * 3600 * 1000)
    if args.data == "movielens":
        split = movielens_split(args.seed, sync_ms // 1000)
        label = "MovieLens (671 devices)"
    else:
        split = fleet_split(args.devices, args.seed, args.titles)
        label = f"simulated fleet ({args.devices:,} devices)"
    rows = backtest(label, split, sync_ms, settings, args.seed, args.eval_devices)
    paths = write_results(rows, settings, args.out, args.data)
    sys.stdout.write(markdown(rows, settings))
    sys.stderr.write("wrote " + ", ".join(str(p) for p in paths) + "\n")


if __name__ == "__main__":
    main()
