"""DP utility at fleet scale: 1,000,000 simulated devices with a planted truth, ε = 0.1.

"Watched together" pair releases compared in one run, on the same fleet and seed:

- **naive**: a device's first P = 10 pairs in bounding order (those among its most-watched
  titles), discrete Laplace of scale P/ε, threshold max(τ, min_devices): the release
  Omega shipped before;
- **uniform**: the same, but each device's P pairs sampled uniformly from all of its pairs;
- **Gaussian**: every pair of a device's K titles (P = 45 = K(K−1)/2), discrete Gaussian
  noise for ℓ2 sensitivity √P, threshold max(τ_Gaussian, floor): shipped
  (omega/dp/ `gaussian_selection`);
- **DP-SIPS** (Swanberg, Desfontaines, Haney 2023): the Gaussian mechanism iterated over
  rounds with a growing share of (ε, δ), each round over the pairs not yet released,
  each device's P pairs re-sampled among its unreleased ones; with P = 10 and P = 45.

Reported: pairs released, precision against true pairs with ≥ τ devices, recall against
true pairs with ≥ 2τ and ≥ τ devices (true = every distinct title a device watched,
before any bounding; τ = the naive release's threshold), and the release step's time.
Title trends (public partitions, unchanged) report the top-100 relative error.

    python -m bench.privacy_utility [--devices 1000000] [--epsilon 0.1] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import results
from omega.data.fleet import FleetPlan, simulate_fleet
from omega.dp.selection import discrete_laplace_threshold, gaussian_selection
from omega.partials import PairCounts
from omega.release import release_coview_edges, release_trends
from omega.settings import Settings
from omega.windows import PAIR_SHIFT

IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass
class Devices:
    """Each device's distinct titles, most-watched first (then lowest id), as the worker
    bounds them: `titles[starts[i]:starts[i] + lengths[i]]`."""

    titles: IntArray
    starts: IntArray
    lengths: IntArray

    @classmethod
    def of_fleet(cls, devices: int, seed: int) -> Devices:
        fleet = simulate_fleet(FleetPlan(devices=devices), seed)
        owner = np.repeat(np.arange(devices), np.diff(fleet.offsets))
        order = np.lexsort((fleet.titles, -fleet.seconds, owner))
        owner, titles = owner[order], fleet.titles[order]
        # a title watched twice counts once, at its longest view (the first in this order)
        _, first = np.unique(owner * (int(titles.max()) + 1) + titles, return_index=True)
        keep = np.sort(first)
        owner, titles = owner[keep], titles[keep]
        lengths = np.bincount(owner, minlength=devices)
        return cls(titles, np.cumsum(lengths) - lengths, lengths)

    def bounded(self, k: int) -> Devices:
        lengths = np.minimum(self.lengths, k)
        column = np.arange(len(self.titles)) - np.repeat(self.starts, self.lengths)
        titles = self.titles[column < np.repeat(lengths, self.lengths)]
        return Devices(titles, np.cumsum(lengths) - lengths, lengths)

    def title_counts(self) -> PairCounts:
        keys, counts = np.unique(self.titles, return_counts=True)
        return PairCounts(keys, counts.astype(np.int64))

    def pair_keys(self, choose: Callable[[int, int], IntArray]) -> IntArray:
        """Every device's chosen pairs' keys: `choose(n, m)` gives, for n devices with m
        titles, an (n, c) array of pair numbers in bounding order, −1 for none."""
        out = []
        for m in range(2, int(self.lengths.max()) + 1):
            rows = self.starts[self.lengths == m]
            if not len(rows):
                continue
            titles = self.titles[rows[:, None] + np.arange(m)]
            i, j = pair_columns(m)
            a, b = titles[:, i], titles[:, j]
            keys = np.where(a < b, a << PAIR_SHIFT | b, b << PAIR_SHIFT | a)
            chosen = choose(len(rows), m)
            taken = np.take_along_axis(keys, np.maximum(chosen, 0), axis=1)
            out.append(taken[chosen >= 0])
        return np.concatenate(out)


def pair_columns(m: int) -> tuple[IntArray, IntArray]:
    """Title positions of every pair of m titles in bounding order (0,1), (0,2), (1,2), …"""
    columns = [(i, j) for j in range(1, m) for i in range(j)]
    return (np.array([i for i, _ in columns], dtype=np.int64),
            np.array([j for _, j in columns], dtype=np.int64))


def first(p: int) -> Callable[[int, int], IntArray]:
    def choose(n: int, m: int) -> IntArray:
        return np.tile(np.arange(min(p, m * (m - 1) // 2)), (n, 1))
    return choose


def uniform(p: int, rng: np.random.Generator,
            excluded: Callable[[int, int], np.ndarray] | None = None,
            ) -> Callable[[int, int], IntArray]:
    """P pairs per device uniformly among its pairs (those `excluded` gives False for)."""
    def choose(n: int, m: int) -> IntArray:
        scores = rng.random((n, m * (m - 1) // 2))
        if excluded is not None:
            scores[excluded(n, m)] = np.inf
        order = np.argsort(scores, axis=1)[:, :p]
        taken = np.take_along_axis(scores, order, axis=1)
        return np.where(np.isfinite(taken), order, -1)
    return choose


def counted(keys: IntArray) -> PairCounts:
    unique, counts = np.unique(keys, return_counts=True)
    return PairCounts(unique, counts.astype(np.int64))


@dataclass
class Row:
    name: str
    released: set[int]
    seconds: float  # the release step alone


def release_keys(counts: PairCounts, s: Settings, p: int, mechanism: str, seed: int,
                 epsilon: float | None = None, delta: float | None = None,
                 stream_window: int = 0) -> tuple[set[int], float]:
    if mechanism == "gaussian":  # its σ is calibrated once per (ε, δ, P), then cached
        gaussian_selection(epsilon or s.epsilon, delta or s.delta, p, s.min_devices,
                           s.floor_error)
    started = time.perf_counter()
    edges = release_coview_edges(stream_window, 1, counts, epsilon or s.epsilon,
                                 delta or s.delta, p, s.min_devices, seed,
                                 mechanism=mechanism, floor_error=s.floor_error)
    seconds = time.perf_counter() - started
    return {e["title_a"] << PAIR_SHIFT | e["title_b"] for e in edges}, seconds


def dp_sips(bounded: Devices, s: Settings, p: int, rounds: int, seed: int) -> Row:
    """DP-SIPS: round r of R spends the share 2^r / (2^R − 1) of ε and δ (the paper's
    doubling schedule, r = 0 … R−1), over pairs not released in earlier rounds."""
    rng = np.random.default_rng([seed, p, rounds])
    released: set[int] = set()
    seconds = 0.0
    shares = [2.0**r / (2**rounds - 1) for r in range(rounds)]
    for r, share in enumerate(shares):
        done = np.array(sorted(released), dtype=np.int64)

        def excluded(n: int, m: int, done: IntArray = done) -> np.ndarray:
            rows = bounded.starts[bounded.lengths == m]
            titles = bounded.titles[rows[:, None] + np.arange(m)]
            i, j = pair_columns(m)
            a, b = titles[:, i], titles[:, j]
            keys = np.where(a < b, a << PAIR_SHIFT | b, b << PAIR_SHIFT | a)
            return np.isin(keys, done)

        keys = bounded.pair_keys(uniform(p, rng, excluded))
        counts = counted(keys)
        got, took = release_keys(counts, s, p, "gaussian", seed, s.epsilon * share,
                                 s.delta * share, stream_window=r)
        released |= got
        seconds += took
    return Row(f"DP-SIPS, {rounds} rounds, P = {p} (sampled)", released, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    s = Settings(epsilon=args.epsilon)
    k, p_all, p_naive = s.max_titles_per_device, s.max_pairs_per_device, 10
    started = time.perf_counter()
    devices = Devices.of_fleet(args.devices, args.seed)
    bounded = devices.bounded(k)
    true_pairs = counted(devices.pair_keys(first(10**6)))
    tau = max(discrete_laplace_threshold(s.epsilon, s.delta, p_naive), s.min_devices)
    strong = set(true_pairs.keys[true_pairs.counts >= 2 * tau].tolist())
    genuine = set(true_pairs.keys[true_pairs.counts >= tau].tolist())
    print(f"fleet and true pairs: {time.perf_counter() - started:.0f} s", flush=True)

    rng = np.random.default_rng(args.seed)
    rows = []
    for name, p, choose, mechanism in (
            (f"naive: first P = {p_naive} pairs, Laplace", p_naive, first(p_naive), "laplace"),
            (f"uniform: P = {p_naive} sampled pairs, Laplace", p_naive,
             uniform(p_naive, rng), "laplace"),
            (f"Gaussian, P = {p_naive} sampled pairs", p_naive, uniform(p_naive, rng),
             "gaussian"),
            (f"Gaussian, every pair (P = {p_all}): shipped", p_all, first(p_all),
             "gaussian")):
        counts = counted(bounded.pair_keys(choose))
        released, seconds = release_keys(counts, s, p, mechanism, args.seed)
        rows.append(Row(name, released, seconds))
        print(f"{name}: {len(counts.keys):,} pairs counted", flush=True)
    rows.append(dp_sips(bounded, s, p_naive, 3, args.seed))
    rows.append(dp_sips(bounded, s, p_all, 2, args.seed))

    titles = bounded.title_counts()
    true_titles = devices.title_counts()
    n_titles = FleetPlan().titles
    trend = {r["title_id"]: r["noisy_count"] for r in release_trends(
        0, 1, titles.as_dict(), range(1, n_titles + 1), s.epsilon, k, args.seed)}
    bounded_titles, unbounded = titles.as_dict(), true_titles.as_dict()
    top = sorted(bounded_titles, key=lambda t: (-bounded_titles[t], t))[:100]
    top_true = sorted(unbounded, key=lambda t: (-unbounded[t], t))[:100]
    error = float(np.mean([abs(trend[t] - bounded_titles[t]) / bounded_titles[t] for t in top]))
    error_true = float(np.mean([abs(trend[t] - unbounded[t]) / unbounded[t] for t in top_true]))

    selection = gaussian_selection(s.epsilon, s.delta, p_all, s.min_devices, s.floor_error)
    print(f"\n{args.devices:,} devices, {n_titles:,} titles, K = {k}, ε = {s.epsilon}, "
          f"δ = {s.delta}; τ = {tau} (naive, P = {p_naive}); Gaussian P = {p_all}: "
          f"σ = {selection.sigma:.1f}, threshold max({selection.selection_threshold}, floor "
          f"{selection.floor_threshold}); {len(strong)} true pairs with ≥ 2τ devices, "
          f"{len(genuine)} with ≥ τ; {time.perf_counter() - started:.0f} s\n")
    print("| release | pairs released | precision (true ≥ τ) | recall (true ≥ 2τ) "
          "| recall (true ≥ τ) | release step |")
    print("| --- | --- | --- | --- | --- | --- |")
    scores = {}
    for row in rows:
        precision = len(row.released & genuine) / len(row.released) if row.released else 0.0
        recall_2 = len(row.released & strong) / len(strong)
        recall_1 = len(row.released & genuine) / len(genuine)
        scores[row.name] = (precision, recall_2, recall_1, row.seconds)
        print(f"| {row.name} | {len(row.released)} | {precision:.3f} | {recall_2:.3f} "
              f"| {recall_1:.3f} | {row.seconds:.2f} s |")
    print(f"\ntitle trends (unchanged): top-100 relative error {error:.4f} against the "
          f"bounded counts, {error_true:.4f} against the unbounded truth")
    naive, shipped = scores[rows[0].name], scores[rows[3].name]
    results.record("privacy_utility", [
        results.Figure(f"watched-together recall (true ≥ 2τ), Gaussian over every pair, "
                       f"ε = {s.epsilon}, {args.devices:,} devices", shipped[1], "",
                       "the naive release (first P = 10 pairs, Laplace)", naive[1]),
        results.Figure("watched-together precision (true ≥ τ), Gaussian", shipped[0], "",
                       "the naive release", naive[0]),
        results.Figure("watched-together recall (true ≥ τ), Gaussian", shipped[2], "",
                       "the naive release", naive[2]),
        results.Figure("pair release step, Gaussian", shipped[3], "s",
                       "the naive release's step", naive[3]),
        results.Figure("title trends top-100 relative error (unbounded truth)", error_true,
                       "", "the same against the bounded counts", error)])


if __name__ == "__main__":
    main()
