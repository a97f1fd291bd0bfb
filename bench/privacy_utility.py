"""DP utility at fleet scale: 1,000,000 simulated devices with a planted truth, ε = 0.1.

Reports the relative error of the top-100 title counts (against the bounded counts, which
isolates the noise, and against the unbounded truth, which adds the bounding bias) and
the precision and recall of released co-view pairs against true pairs with ≥ 2τ devices.
The baseline printed beside each figure is the same statistic without noise (ε = ∞).

    python -m bench.privacy_utility [--devices 1000000] [--epsilon 0.1] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np

from bench import results
from omega.dp import discrete_laplace_threshold
from omega.fleet import FleetPlan, simulate_fleet
from omega.progress import progress
from omega.release import release_coview_edges, release_trends
from omega.settings import Settings
from omega.validation import WatchedTitle
from omega.windows import bound_pairs, bound_titles, pair_key


def true_and_bounded_counts(
    fleet_size: int, seed: int, k: int, p: int,
) -> tuple[Counter[int], Counter[int], Counter[int], Counter[int], int]:
    fleet = simulate_fleet(FleetPlan(devices=fleet_size), seed)
    true_titles: Counter[int] = Counter()
    true_pairs: Counter[int] = Counter()
    titles: Counter[int] = Counter()
    pairs: Counter[int] = Counter()
    for i in progress(range(fleet_size), desc="bound devices", unit="device", mininterval=2):
        ids, secs = fleet.device(i)
        distinct = sorted(set(ids.tolist()))
        true_titles.update(distinct)
        true_pairs.update(pair_key(a, b) for j, a in enumerate(distinct) for b in distinct[j + 1:])
        watched = [WatchedTitle(int(t), int(s), 1.0, None) for t, s in zip(ids, secs, strict=True)]
        kept = bound_titles(watched, [], k)
        titles.update(kept)
        pairs.update(bound_pairs(kept, 0, 0, p))
    return true_titles, true_pairs, titles, pairs, fleet.plan.titles


def top100_error(released: dict[int, int], reference: Counter[int]) -> float:
    top = [t for t, _ in reference.most_common(100)]
    return float(np.mean([abs(released[t] - reference[t]) / reference[t] for t in top]))


def pair_scores(released: set[int], true_pairs: Counter[int], tau: int) -> tuple[float, float]:
    strong = {k for k, c in true_pairs.items() if c >= 2 * tau}
    genuine = {k for k, c in true_pairs.items() if c >= tau}
    precision = len(released & genuine) / len(released) if released else float("nan")
    recall = len(released & strong) / len(strong) if strong else float("nan")
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    s = Settings(epsilon=args.epsilon, ledger_budget=max(1.2, 2 * args.epsilon),
                 ledger_week_budget=max(4.0, 2 * args.epsilon),
                 ledger_year_budget=max(100.0, 2 * args.epsilon))  # no ledger here
    k, p = s.max_titles_per_device, s.max_pairs_per_device
    started = time.perf_counter()
    true_titles, true_pairs, titles, pairs, n_titles = true_and_bounded_counts(
        args.devices, args.seed, k, p)
    tau = max(discrete_laplace_threshold(s.epsilon, s.delta, p), s.min_devices)
    rows = []
    for label, eps in ((f"ε = {s.epsilon}", s.epsilon), ("ε = ∞ (no noise)", None)):
        if eps is None:
            trend = {t: titles.get(t, 0) for t in range(1, n_titles + 1)}
            edges = {key for key, c in pairs.items() if c >= tau}
        else:
            trend = {r["title_id"]: r["noisy_count"] for r in release_trends(
                0, 1, titles, range(1, n_titles + 1), eps, k, args.seed)}
            edges = {pair_key(r["title_a"], r["title_b"]) for r in release_coview_edges(
                0, 1, pairs, eps, s.delta, p, s.min_devices, args.seed)}
        precision, recall = pair_scores(edges, true_pairs, tau)
        rows.append((label, top100_error(trend, titles), top100_error(trend, true_titles),
                     len(edges), precision, recall))
    strong = sum(1 for c in true_pairs.values() if c >= 2 * tau)
    print(f"\n{args.devices:,} devices, {n_titles:,} titles, K = {k}, P = {p}, "
          f"δ = {s.delta}, threshold max(τ, min_devices) = {tau}; "
          f"{strong} true pairs with ≥ 2τ devices; {time.perf_counter() - started:.0f} s\n")
    print("| release | top-100 rel. error vs bounded | vs unbounded truth | pairs released "
          "| precision (true ≥ τ) | recall (true ≥ 2τ) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, e_bounded, e_truth, n, precision, recall in rows:
        print(f"| {label} | {e_bounded:.4f} | {e_truth:.4f} | {n} | {precision:.3f} "
              f"| {recall:.3f} |")
    (label, _, _, _, precision, recall), (_, _, _, _, _, recall_inf) = rows
    results.record("privacy_utility", [
        results.Figure(f"watched-together recall (true ≥ 2τ), {label}, "
                       f"{args.devices:,} devices", recall, "", "the same release without "
                       "noise (ε = ∞)", recall_inf),
        results.Figure(f"watched-together precision (true ≥ τ), {label}", precision, "",
                       "perfect precision", 1.0)])


if __name__ == "__main__":
    main()
