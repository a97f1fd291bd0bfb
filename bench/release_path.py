"""The releaser alone at fleet scale: a million devices' partials on the topic → release.

A real worker (`python -m streams`) runs on a fresh namespace. The partials that the
workers of a 1,000,000-device fleet would publish for one closed window (pair counts of
10 Zipf-popular titles per device over 4 TV partitions, `bench.release_breakdown`; empty
web partials) are put straight on the partials topic, and the bench times from the last
one acknowledged to the release mark committed (broker timestamps). That is the
releaser's share of "window close → release"; `bench.streams --scale-only` measures the
whole path with the ingest before it, in 25 minutes instead of 2. The baseline in the
same run is the offline compute of the same steps (`bench.release_breakdown`'s steps).

    python -m bench.release_path [--devices 1000000]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from bench import results
from bench._harness import bench_settings, start_worker
from bench.release_breakdown import pair_counts
from bench.streams import release_commit_ms, tree_rss_mb
from omega.dp.selection import gaussian_selection
from omega.kafka.clients import make_producer, produce_waiting
from omega.kafka.codecs import codec_for
from omega.kafka.topics import WINDOW_PARTIALS
from omega.partials import merge_partials, partial_key, partial_records
from omega.release import release_coview_edges
from omega.windows import window_start

WINDOW_S = 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000)
    args = parser.parse_args()
    partitions = pair_counts(args.devices, partitions=4)
    with bench_settings(window_seconds=WINDOW_S, allowed_lateness_seconds=60,
                        max_pairs_per_device=45, delta_partitions=4) as settings:
        codec = codec_for(settings)
        # Two windows ago: closed, and before the worker's own first window.
        window = window_start(int(time.time() * 1000), WINDOW_S * 1000) - 2 * WINDOW_S * 1000
        records = [r for p, counts in enumerate(partitions)
                   for r in partial_records(window, "tv", p, 4, Counter(), counts, Counter())]
        records += [r for p in range(4)
                    for r in partial_records(window, "web", p, 4, {}, {}, {})]
        encoded = [(partial_key(r).encode(), codec.encode("omega.ColumnarPartial", r))
                   for r in records]
        gaussian_selection(0.1, 1e-6, 45, 1000, settings.floor_error)  # as the worker at start
        started = time.perf_counter()
        totals = merge_partials(records)
        release_coview_edges(window, window + 1, totals.pairs, 0.1, 1e-6, 45, 1000, None,
                             floor_error=settings.floor_error)
        offline = time.perf_counter() - started

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = settings.data_dir / "worker.log"
        worker = start_worker(settings, log_path, timeout_s=120)
        try:
            producer = make_producer(settings)  # as the worker's partials producer
            for key, value in encoded:
                produce_waiting(producer, settings.topic(WINDOW_PARTIALS), key, value)
            assert producer.flush(60) == 0
            last_acked_ms = time.time() * 1000
            released_ms = release_commit_ms(settings, window, timeout_s=300)
            rss = tree_rss_mb(worker.pid)
        finally:
            worker.terminate()
            worker.wait(60)
        lines = [line for line in log_path.read_text().splitlines() if "release step" in line]
    mb = sum(len(v) for _, v in encoded) / 1e6
    print(f"\n{args.devices:,} devices: {len(totals.pairs):,} distinct pairs, "
          f"{len(records)} partials ({mb:.0f} MB) on the topic")
    print(f"last partial acknowledged → release committed: "
          f"{(released_ms - last_acked_ms) / 1000:.2f} s (target: 2 s); "
          f"worker RSS after {rss:,.0f} MB")
    print(f"baseline, same run: merge + DP selection offline, no Kafka: {offline:.2f} s")
    results.record("release_path", [results.Figure(
        f"last partial acknowledged → release committed, {args.devices:,} devices",
        (released_ms - last_acked_ms) / 1000, "s", "merge + DP selection offline, no Kafka",
        offline)])
    for line in lines:
        print("worker:", line.split("release step", 1)[1].strip())


if __name__ == "__main__":
    main()
