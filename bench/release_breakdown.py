"""Where the release of a 1,000,000-device window spends its time, step by step, offline.

The pair counts of N devices with 10 Zipf-popular titles each (45 pairs) go through the
real code of each step between window close and the release: the worker's partial
records, their Avro encoding and decoding, the releaser's JSON table, the merge, and the
DP pair selection. No broker: `bench/streams.py --scale-only` measures the same path end
to end; this says which step to fix.

    python -m bench.release_breakdown [--devices 1000000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from omega.avro import codec_for
from omega.settings import get_settings
from streams.partials import merge_partials, partial_records
from streams.release import release_coview_edges
from streams.windows import PAIR_SHIFT


def pair_counts(devices: int, titles: int = 10_000, per_device: int = 10,
                seed: int = 0) -> Counter[int]:
    """Device-distinct pair counts (keys as streams/windows.py's pair_key)."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, titles + 1)
    weights /= weights.sum()
    counts: Counter[int] = Counter()
    for start in range(0, devices, 50_000):
        n = min(50_000, devices - start)
        # Gumbel top-k: `per_device` distinct titles per device, drawn by popularity.
        keys = np.log(weights) + rng.gumbel(size=(n, titles))
        picks = np.sort(np.argpartition(-keys, per_device, axis=1)[:, :per_device] + 1, axis=1)
        i, j = np.triu_indices(per_device, 1)
        pairs = (picks[:, i].astype(np.int64) << PAIR_SHIFT) | picks[:, j]
        unique, n_each = np.unique(pairs, return_counts=True)
        counts.update(dict(zip(unique.tolist(), n_each.tolist(), strict=True)))
    return counts


def timed(label: str, step: Callable[[], Any], rows: list[tuple[str, float]]) -> Any:
    started = time.perf_counter()
    result = step()
    rows.append((label, time.perf_counter() - started))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    args = parser.parse_args()
    settings = get_settings()
    codec = codec_for(settings)
    pairs = pair_counts(args.devices)
    rows: list[tuple[str, float]] = []
    records = timed("worker: partial records (sort, chunk)", lambda: partial_records(
        0, "tv", 0, 1, Counter(), pairs, Counter()), rows)
    encoded = timed("worker: Avro encode", lambda: [
        codec.encode("omega.WindowPartial", r) for r in records], rows)
    decoded = timed("releaser: Avro decode", lambda: [
        codec.decode(b, "omega.WindowPartial") for b in encoded], rows)
    timed("releaser: JSON table value (dump + load)", lambda: [
        json.loads(json.dumps(r)) for r in decoded], rows)
    totals = timed("releaser: merge partials", lambda: merge_partials(decoded), rows)
    released = timed("releaser: DP pair selection (noise per pair)", lambda: release_coview_edges(
        0, 1, totals.pairs, 0.1, 1e-6, 45, 1_000, 7), rows)
    total = sum(seconds for _, seconds in rows)
    print(f"\n{args.devices:,} devices, {len(pairs):,} distinct pairs, {len(records)} partial "
          f"chunks ({sum(map(len, encoded)) / 1e6:.0f} MB), {len(released)} pairs released")
    print(f"{'step':<48}{'seconds':>9}{'share':>8}")
    for label, seconds in rows:
        print(f"{label:<48}{seconds:>9.2f}{seconds / total:>8.0%}")
    print(f"{'total (target: 5 s from close to release)':<48}{total:>9.2f}")


if __name__ == "__main__":
    main()
