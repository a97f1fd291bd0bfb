"""Ingest rate: raw confluent-kafka consume+decode vs the worker end to end.

Both read the same 100,000 encoded deltas from the same topic in one run. The raw
client only decodes; the worker also
validates, bounds, writes its state (one write per delta) and counts, so the ratio is
what the stream processing costs. --floor adds bare Faust apps on the same data.

    python -m bench.ingest [--deltas 100000] [--floor]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

from confluent_kafka import Consumer, TopicPartition

from bench import results
from bench._harness import bench_settings
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_consumer, make_producer, produce_waiting
from omega.kafka.codecs import codec_for
from omega.kafka.topics import TV_DELTAS
from omega.progress import progress
from omega.settings import REPO_ROOT, Settings
from producers.deltas import FleetShape, synthetic_deltas
from streams.direct import device_state_changelog


def produce(settings: Settings, codec: AvroCodec, count: int,
            shape: FleetShape | None = None, sent_at_ms: float | None = None) -> None:
    producer = make_producer(settings, **{"linger.ms": 50, "batch.size": 1_000_000})
    now = sent_at_ms or time.time() * 1000
    shape = shape or FleetShape(devices=count, titles=settings.title_universe_size)
    for record in progress(synthetic_deltas(count, 1, shape, lambda: now), total=count,
                       desc="produce", unit="delta"):
        produce_waiting(producer, settings.topic(TV_DELTAS), record["device_id"].encode(),
                        codec.encode("omega.TvDelta", record))
    assert producer.flush(60) == 0


def raw_consume_and_decode(settings: Settings, codec: AvroCodec, count: int) -> float:
    consumer: Consumer = make_consumer(settings, f"raw-{uuid.uuid4().hex[:6]}",
                                       **{"fetch.min.bytes": 100_000})
    consumer.subscribe([settings.topic(TV_DELTAS)])
    seen, started = 0, None
    while seen < count:
        for msg in consumer.consume(1000, 1.0):
            if msg.error() is None:
                started = started or time.perf_counter()
                codec.decode(msg.value(), "omega.TvDelta")
                seen += 1
    elapsed = time.perf_counter() - (started or time.perf_counter())
    consumer.close()
    return seen / elapsed


def worker_end_to_end(
    settings: Settings, count: int, keep_running: bool = False,
    on_start: Callable[[int], None] | None = None, loglevel: str = "warning",
    core: int | None = None,
) -> tuple[float, subprocess.Popen[bytes]]:
    """Deltas/s of `omega-worker` from the timestamps of its
    first and last device-state writes; the worker's processes pinned to `core` if given
    (its librdkafka threads too, so "per core" is literal)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.data_dir / "worker.log", "wb")
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    worker = subprocess.Popen([sys.executable, "-m", "streams", "--loglevel", loglevel],
                              env=settings.subprocess_env(), stdout=log,
                              stderr=subprocess.STDOUT, cwd=REPO_ROOT, preexec_fn=pin)
    if on_start is not None:
        on_start(worker.pid)
    changelog = device_state_changelog(settings)
    try:
        consumer: Consumer = make_consumer(settings, f"probe-{uuid.uuid4().hex[:6]}")
        first, last, seen = None, None, 0
        bar = progress(total=count, desc="worker", unit="delta")
        deadline = time.monotonic() + 1800
        while seen < count and time.monotonic() < deadline:
            if not consumer.assignment():
                try:
                    parts = consumer.list_topics(changelog, timeout=5).topics[changelog]
                    if parts.error is None and parts.partitions:
                        consumer.assign([TopicPartition(changelog, p, 0)
                                         for p in parts.partitions])
                except Exception:  # noqa: BLE001 - topic not created yet
                    time.sleep(1)
                    continue
            for msg in consumer.consume(5000, 1.0):
                if msg.error() is None:
                    stamp = msg.timestamp()[1]
                    first = stamp if first is None else min(first, stamp)
                    last = stamp if last is None else max(last, stamp)
                    seen += 1
                    bar.update(1)
            if worker.poll() is not None:
                raise RuntimeError(f"worker died; see {settings.data_dir / 'worker.log'}")
        bar.close()
        consumer.close()
        if seen < count or first is None or last is None:
            raise RuntimeError(f"worker wrote {seen} of {count} contributions in 1800 s")
        return count / max((last - first) / 1000, 1e-3), worker
    finally:
        if not keep_running:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        log.close()


def faust_floor(settings: Settings, mode: str, count: int) -> float:
    """Events/s of a bare Faust app on the same topic (bench/faust_floor.py)."""
    out = subprocess.run([sys.executable, "-m", "bench.faust_floor", mode, str(count)],
                         env=settings.subprocess_env(), capture_output=True, text=True,
                         cwd=REPO_ROOT, timeout=1800)
    # Faust routes print() through its logger, so the line may carry a log prefix.
    rates = re.findall(r"RATE (\d+)", out.stdout + out.stderr)
    if not rates:
        raise RuntimeError(f"bench.faust_floor {mode} printed no rate:\n{out.stdout}{out.stderr}")
    return float(rates[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deltas", type=int, default=100_000)
    parser.add_argument("--floor", action="store_true",
                        help="also run bare Faust apps (no-op, one table write per event) on "
                             "the same data: what Faust itself allows per core")
    args = parser.parse_args()
    with bench_settings(window_seconds=3600, allowed_lateness_seconds=3600,
                        delta_partitions=4) as settings:
        codec = codec_for(settings)
        produce(settings, codec, args.deltas)
        raw = raw_consume_and_decode(settings, codec, args.deltas)
        worker, _ = worker_end_to_end(settings, args.deltas)
        floors = ({mode: faust_floor(settings, mode, args.deltas) for mode in ("noop", "table")}
                  if args.floor else {})
    print(f"\n{'path':<48}{'deltas/s':>12}{'ratio':>8}")
    print(f"{'raw confluent-kafka consume + Avro decode':<48}{raw:>12,.0f}{1:>8.2f}")
    for label, rate in (("bare Faust agent, no work (Faust's own cost)", floors.get("noop")),
                        ("bare Faust agent, one table write per event", floors.get("table")),
                        ("worker end to end", worker)):
        if rate is not None:
            print(f"{label:<48}{rate:>12,.0f}{rate / raw:>8.2f}")
    print(f"({args.deltas:,} deltas, 1 worker process, {os.cpu_count()} cores on this machine)")
    rates = (("bare Faust agent, no work", floors.get("noop")),
             ("bare Faust agent, one table write per event", floors.get("table")),
             ("worker end to end (deltas of 1-8 titles)", worker))
    results.record("ingest", [
        results.Figure(label, rate, "deltas/s", "raw consume + Avro decode", raw)
        for label, rate in rates if rate is not None])


if __name__ == "__main__":
    main()
