"""Stream worker at fleet shape: deltas of 10 titles (45 pairs), RSS at 1M devices, and
the time from window close to release.

A. Rate: the same N encoded deltas read by a raw confluent-kafka consumer (consume +
   Avro decode: the limit, on one core) and by one worker end to end (validate, bound 10
   titles and 45 pairs, one state write, count; its processes pinned to the other core),
   as deltas/s and as a ratio. Beside them,
   the same deltas through `WindowPipeline` alone, in this process, with a dict for the
   table (JSON values): no Kafka, no Faust — the ceiling of our own per-delta Python.
B. Scale: 1,000,000 devices in one window; the worker's peak RSS while it counts them
   (supervisor and worker process together),
   and the seconds from the window's close (end + lateness) to its release committed on
   the topic. The lateness is set from A's rate so the window closes just after ingest.

    python -m bench.streams [--deltas 100000] [--devices 1000000] [--skip-scale]
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

import orjson

from bench import results
from bench._harness import bench_settings
from bench.ingest import produce, raw_consume_and_decode, worker_end_to_end
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_consumer
from omega.kafka.codecs import codec_for
from omega.kafka.topics import RELEASE_LOG
from omega.settings import Settings
from omega.windows import state_bytes
from producers.deltas import FleetShape, synthetic_deltas
from streams.pipeline import WindowPipeline

SHAPE = {"max_titles_per_device": 10, "max_pairs_per_device": 45, "ledger_budget": 100.0,
         "ledger_week_budget": 100.0, "ledger_year_budget": 100.0}


def fleet_shape(devices: int) -> FleetShape:
    return FleetShape(devices=devices, titles=10_000, min_titles_per_delta=10,
                      max_titles_per_delta=10)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants: omega-worker is a supervisor running Faust as a child."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            todo += [int(child) for child in (task / "children").read_text().split()]
    return tree


def tree_rss_mb(pid: int) -> float:
    return sum(rss_mb(p) for p in process_tree(pid))


def release_commit_ms(settings: Settings, window: int, timeout_s: float) -> int:
    """Broker timestamp of the release mark that says `window` was released."""
    codec = codec_for(settings)
    consumer = make_consumer(settings, f"bench-{time.time_ns()}")
    consumer.subscribe([settings.topic(RELEASE_LOG)])
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None or msg.error():
                continue
            mark = codec.decode(msg.value(), "omega.ReleaseMark")
            if mark["released_through_ms"] >= window:
                return int(msg.timestamp()[1])
        raise RuntimeError(f"window {window} not released in {timeout_s:.0f} s")
    finally:
        consumer.close()


def pipeline_alone(settings: Settings, codec: AvroCodec, count: int) -> float:
    """Deltas/s of WindowPipeline.accept_delta over encoded deltas, table = a dict of JSON."""
    now = time.time() * 1000
    encoded = [(r["device_id"].encode(), codec.encode("omega.TvDelta", r))
               for r in synthetic_deltas(count, 1, fleet_shape(count), lambda: now)]
    pipeline = WindowPipeline(settings, codec)
    table: dict[str, bytes] = {}

    def state(device: str) -> object:
        value = table.get(device)
        return None if value is None else orjson.loads(value)

    started = time.perf_counter()
    for key, value in encoded:
        accepted = pipeline.accept_delta(key, value, state, int(now))
        table[accepted.unit] = state_bytes(accepted.state)
    return count / (time.perf_counter() - started)


def scale_phase(devices: int, rate: float) -> tuple[float, float, float]:
    window_s = 60
    with bench_settings(window_seconds=window_s, **SHAPE) as produced:  # type: ignore[arg-type]
        codec = codec_for(produced)
        t0 = time.time() * 1000
        produce(produced, codec, devices, fleet_shape(devices), sent_at_ms=t0)
        # The window must outlast producing (already done) and ingest (estimated from A).
        lateness = int(time.time() - t0 / 1000 + devices / rate * 1.4) + 60
        settings = produced.model_copy(update={"allowed_lateness_seconds": lateness})
        window = int(t0 - t0 % (window_s * 1000))
        peak = 0.0
        done = threading.Event()
        holder: dict[str, int] = {}

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                if "pid" in holder:
                    try:
                        peak = max(peak, tree_rss_mb(holder["pid"]))
                    except OSError:  # a process of the tree ended between two reads
                        pass
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        worker_rate, worker = worker_end_to_end(settings, devices, keep_running=True,
                                                on_start=lambda pid: holder.update(pid=pid),
                                                loglevel="info")
        close_ms = window + window_s * 1000 + lateness * 1000
        try:
            released_ms = release_commit_ms(settings, window,
                                            timeout_s=(close_ms / 1000 - time.time()) + 900)
        finally:
            done.set()
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        log = (settings.data_dir / "worker.log").read_text(errors="replace")
        for line in log.splitlines():
            if "release step" in line:
                print("worker:", line.split("release step", 1)[1].strip())
        return worker_rate, peak, (released_ms - close_ms) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=1_000_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--scale-only", type=float, default=0,
                        help="skip A and use this worker rate (deltas/s) to size B")
    args = parser.parse_args()
    if args.scale_only:
        rate, peak, latency = scale_phase(args.devices, args.scale_only)
        print(f"\nB. {args.devices:,} devices in one window: worker {rate:,.0f} deltas/s, "
              f"peak RSS {peak:,.0f} MB (target ≤ 1,536), close → release {latency:.1f} s "
              f"(target ≤ 5)")
        return
    with bench_settings(window_seconds=3600, allowed_lateness_seconds=3600,
                        **SHAPE) as settings:  # type: ignore[arg-type]
        codec = codec_for(settings)
        produce(settings, codec, args.deltas, fleet_shape(args.deltas))
        # One core each: this process (the raw consumer) on core 1, the worker on core 0.
        os.sched_setaffinity(0, {1})
        raw = raw_consume_and_decode(settings, codec, args.deltas)
        worker = worker_end_to_end(settings, args.deltas, core=0)[0]
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        alone = pipeline_alone(settings, codec, args.deltas)
    print(f"\nA. {args.deltas:,} deltas × 10 titles (45 pairs), 4 partitions, one worker "
          f"process pinned to one core ({os.cpu_count()} cores here)")
    print(f"{'path':<52}{'deltas/s':>10}{'ratio':>8}")
    print(f"{'raw confluent-kafka consume + Avro decode':<52}{raw:>10,.0f}{1:>8.2f}")
    print(f"{'worker end to end (streams/direct.py)':<52}{worker:>10,.0f}{worker / raw:>8.3f}")
    print(f"{'WindowPipeline alone, no Kafka or Faust':<52}{alone:>10,.0f}{alone / raw:>8.3f}")
    print(f"{'target (issue 5)':<52}{20_000:>10,}{20_000 / raw:>8.3f}")
    figures = [
        results.Figure("worker end to end, one core (deltas of 10 titles, 45 pairs)", worker,
               "deltas/s", "raw consume + Avro decode", raw),
        results.Figure("WindowPipeline alone, no Kafka or Faust", alone, "deltas/s",
               "raw consume + Avro decode", raw)]
    if not args.skip_scale:
        rate, peak, latency = scale_phase(args.devices, worker)
        print(f"\nB. {args.devices:,} devices in one window: worker {rate:,.0f} deltas/s, "
              f"peak RSS {peak:,.0f} MB (target ≤ 1,536), close → release {latency:.1f} s "
              f"(target ≤ 5)")
        figures += [
            results.Figure(f"worker peak RSS, {args.devices:,} devices in one window", peak, "MB",
                   "target (not measured)", 1536),
            results.Figure(f"window close → release committed, {args.devices:,} devices", latency,
                   "s", "target (not measured)", 5)]
    results.record("streams", figures)


if __name__ == "__main__":
    main()
