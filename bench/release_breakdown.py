"""Where the release of a 1,000,000-device window spends its time, step by step, offline.

The pair counts of N devices with 10 Zipf-popular titles each (45 pairs), spread over 4
partitions as the worker holds them, go through the real code of each step between
window close and the release: the worker's partial records (its Counter to packed
arrays), their Avro encoding and decoding, the releaser's merge, and the DP pair
selection (the shipped Gaussian partition selection; its σ calibration, cached once per
process, is done before the clock starts). The baseline is the naive Laplace release as it
was before numpy, timed in the same run: diffprivlib's `Geometric.randomise` called once
per pair; the numpy Laplace selection is checked to release exactly the same pairs. No broker:
`bench/streams.py --scale-only` measures the same path end to end.

    python -m bench.release_breakdown [--devices 1000000] [--partitions 4]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from diffprivlib.mechanisms import Geometric

from bench import results
from omega.dp.noise import window_random_state
from omega.dp.selection import discrete_laplace_threshold, gaussian_selection
from omega.kafka.codecs import codec_for
from omega.partials import merge_partials, partial_records
from omega.release import release_coview_edges
from omega.settings import get_settings
from omega.windows import PAIR_SHIFT

EPSILON, DELTA, MAX_PAIRS, MIN_DEVICES = 0.1, 1e-6, 45, 1_000


def pair_counts(devices: int, partitions: int = 4, titles: int = 10_000,
                per_device: int = 10, seed: int = 0) -> list[Counter[int]]:
    """Device-distinct pair counts per partition (keys as omega/windows.py's pair_key)."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, titles + 1)
    weights /= weights.sum()
    by_partition: list[Counter[int]] = [Counter() for _ in range(partitions)]
    for batch, start in enumerate(range(0, devices, 50_000)):
        counts = by_partition[batch % partitions]
        n = min(50_000, devices - start)
        # Gumbel top-k: `per_device` distinct titles per device, drawn by popularity.
        keys = np.log(weights) + rng.gumbel(size=(n, titles))
        picks = np.sort(np.argpartition(-keys, per_device, axis=1)[:, :per_device] + 1, axis=1)
        i, j = np.triu_indices(per_device, 1)
        pairs = (picks[:, i].astype(np.int64) << PAIR_SHIFT) | picks[:, j]
        unique, n_each = np.unique(pairs, return_counts=True)
        counts.update(dict(zip(unique.tolist(), n_each.tolist(), strict=True)))
    return by_partition


def one_call_per_pair(pairs: dict[int, int]) -> int:
    """The release before numpy: one diffprivlib call per pair, in sorted order."""
    mechanism = Geometric(epsilon=EPSILON, sensitivity=MAX_PAIRS,  # the release's own stream
                          random_state=window_random_state(7, "coview", 0))
    threshold = max(discrete_laplace_threshold(EPSILON, DELTA, MAX_PAIRS), MIN_DEVICES)
    return sum(mechanism.randomise(pairs[key]) >= threshold for key in sorted(pairs))


def timed(label: str, step: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    started = time.perf_counter()
    result = step()
    rows.append((label, time.perf_counter() - started))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    settings = get_settings()
    codec = codec_for(settings)
    partitions = pair_counts(args.devices, args.partitions)
    rows: list[tuple[str, float]] = []
    records = timed("worker: partial records (Counter → packed)", lambda: [
        r for p, counts in enumerate(partitions)
        for r in partial_records(0, "tv", p, len(partitions), Counter(), counts, Counter())],
        rows)
    encoded = timed("worker: Avro encode", lambda: [
        codec.encode("omega.ColumnarPartial", r) for r in records], rows)
    decoded = timed("releaser: Avro decode", lambda: [
        codec.decode(b, "omega.ColumnarPartial") for b in encoded], rows)
    totals = timed("releaser: merge partials", lambda: merge_partials(decoded), rows)
    gaussian_selection(EPSILON, DELTA, MAX_PAIRS, MIN_DEVICES, settings.floor_error)
    released = timed("releaser: DP pair selection (Gaussian)", lambda: release_coview_edges(
        0, 1, totals.pairs, EPSILON, DELTA, MAX_PAIRS, MIN_DEVICES, 7,
        floor_error=settings.floor_error), rows)
    total = sum(seconds for _, seconds in rows)
    pairs = totals.pairs.as_dict()
    started = time.perf_counter()
    naive = release_coview_edges(0, 1, totals.pairs, EPSILON, DELTA, MAX_PAIRS, MIN_DEVICES, 7,
                                 mechanism="laplace")
    naive_seconds = time.perf_counter() - started
    started = time.perf_counter()
    baseline_released = one_call_per_pair(pairs)
    baseline = time.perf_counter() - started
    assert baseline_released == len(naive), "same seed, same draws: same pairs released"
    held = sum(len(c) for c in partitions)
    print(f"\n{args.devices:,} devices, {len(pairs):,} distinct pairs ({held:,} held by "
          f"{len(partitions)} partitions), {len(records)} partial chunks "
          f"({sum(map(len, encoded)) / 1e6:.0f} MB), {len(released)} pairs released")
    print(f"{'step':<48}{'seconds':>9}{'share':>8}")
    for label, seconds in rows:
        print(f"{label:<48}{seconds:>9.2f}{seconds / total:>8.0%}")
    print(f"{'total (target: 5 s from close to release)':<48}{total:>9.2f}")
    print(f"{'naive Laplace selection, numpy':<48}{naive_seconds:>9.2f}"
          f"   ({len(naive)} pairs released)")
    print(f"{'baseline: Laplace, one diffprivlib call a pair':<48}{baseline:>9.2f}"
          f"   the same {baseline_released} pairs as numpy's Laplace")
    results.record("release_breakdown", [
        results.Figure(f"DP pair selection (Gaussian), {args.devices:,} devices", rows[-1][1],
                       "s", "naive Laplace, one diffprivlib call a pair", baseline),
        results.Figure("naive Laplace selection with numpy, same pairs", naive_seconds, "s",
                       "naive Laplace, one diffprivlib call a pair", baseline)])


if __name__ == "__main__":
    main()
