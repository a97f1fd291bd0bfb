"""Soak: /v1/sync and the Kafka path driven together for 60 s; accepted = counted?

A worker, the API (its own process) and the broker run on this machine; 16 HTTP clients
send TV deltas to /v1/sync as fast as the API answers, while a producer writes deltas
straight to the topic at a steady rate the worker can keep up with (the worker, not the
broker, is the slow part: `bench.streams`). Every delta is a new device with one title,
so each accepted delta adds exactly 1 to one title's count. The release runs with
ε = 10⁹ (noise rounds to 0) so that the released counts can be summed and compared
with what was accepted: the number reported as lost is accepted − counted.

Baseline in the same run: the seed product's sync servers, 1,250 syncs/s per core.

    python -m bench.soak [--seconds 60] [--kafka-rate 1500] [--clients 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from typing import Any

import httpx

from api.security import KeyRing
from bench import results
from bench._harness import bench_settings
from bench.api import pct, start_api
from omega.codecs import codec_for
from omega.kafka import make_consumer, make_producer
from omega.processes import free_port
from omega.settings import REPO_ROOT, Settings
from omega.topics import TRENDS, TV_DELTAS
from omega.windows import window_start

SEED_SYNC_PER_CORE = 10_000 / 8
UNIVERSE = 100
WINDOW_S = 20


def delta(device: str, i: int) -> dict[str, Any]:
    return {"device_id": device, "seq": 1, "sent_at_ms": int(time.time() * 1000),
            "app_version": "soak/1", "titles": [{"title_id": 1 + i % UNIVERSE,
                                                 "seconds_watched": 600, "completion": 0.5,
                                                 "rating": None}]}


async def drive_sync(base: str, settings: Settings, seconds: float, clients: int
                     ) -> tuple[list[float], int, int, list[int]]:
    """(latencies ms, accepted, refused, sent_at of each accepted) for `seconds`."""
    keys = KeyRing(settings.sync_keys)
    latencies: list[float] = []
    accepted_at: list[int] = []
    refused = 0
    counter = iter(range(10**9))
    deadline = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal refused
        while time.monotonic() < deadline:
            i = next(counter)
            device = f"soak-api-{i}"
            record = delta(device, i)
            started = time.perf_counter()
            response = await http.post("/v1/sync", content=json.dumps(record), headers={
                "X-Device-Id": device, "Content-Type": "application/json",
                "Authorization": f"Bearer {keys.token(device)}"})
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code == 200:
                accepted_at.append(record["sent_at_ms"])
            else:
                refused += 1

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return latencies, len(accepted_at), refused, accepted_at


def drive_kafka(settings: Settings, seconds: float, rate: float, out: dict[str, Any]) -> None:
    codec = codec_for(settings)
    producer = make_producer(settings)
    acked: list[int] = []
    failed: list[str] = []
    started = time.monotonic()
    i = 0

    def report(at: int) -> Any:
        def on_delivery(err: Any, _msg: Any) -> None:
            if err is None:
                acked.append(at)
            else:
                failed.append(str(err))
        return on_delivery

    while time.monotonic() - started < seconds:
        record = delta(f"soak-kafka-{i}", i)
        producer.produce(settings.topic(TV_DELTAS), key=record["device_id"].encode(),
                         value=codec.encode("omega.TvDelta", record),
                         on_delivery=report(record["sent_at_ms"]))
        producer.poll(0)
        i += 1
        ahead = i / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)
    producer.flush(60)
    out.update(sent=i, acked=acked, failed=failed, seconds=time.monotonic() - started)


def released_counts(settings: Settings, windows: set[int], timeout_s: float) -> dict[int, int]:
    """Sum of released tv counts per window, once every window in `windows` is complete."""
    codec = codec_for(settings)
    consumer = make_consumer(settings, f"soak-{time.time_ns()}")
    consumer.subscribe([settings.topic(TRENDS)])
    totals: dict[int, int] = defaultdict(int)
    records: dict[int, int] = defaultdict(int)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and any(records[w] < UNIVERSE for w in windows):
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            r = codec.decode(msg.value() or b"", "omega.TrendRelease")
            if r["source"] == "tv":
                totals[r["window_start_ms"]] += r["noisy_count"]
                records[r["window_start_ms"]] += 1
    finally:
        consumer.close()
    missing = [w for w in windows if records[w] < UNIVERSE]
    if missing:
        raise SystemExit(f"windows {missing} not released within {timeout_s:.0f} s")
    return dict(totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kafka-rate", type=float, default=1500,
                        help="deltas/s straight to Kafka (near what one worker keeps up with)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients")
    args = parser.parse_args()
    overrides: dict[str, Any] = {
        "title_universe_size": UNIVERSE, "window_seconds": WINDOW_S,
        "allowed_lateness_seconds": 10, "epsilon": 1e9,
        "ledger_budget": 3e9, "ledger_week_budget": 3e9, "ledger_year_budget": 3e9,
        "release_seed": 1, "rate_limit_ip_per_s": 0, "rate_limit_device_per_min": 0}
    with bench_settings(**overrides) as settings:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        worker_log = open(settings.data_dir.parent / "worker.log", "ab")
        worker = subprocess.Popen([sys.executable, "-m", "streams"], cwd=REPO_ROOT,
                                  env=settings.subprocess_env(), stdout=worker_log,
                                  stderr=subprocess.STDOUT)
        port = free_port()
        api = start_api(settings, port, os.sched_getaffinity(0))  # where soak runs
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{base}/api/health", timeout=3)
                    break
                except httpx.HTTPError:
                    time.sleep(1)
            time.sleep(10)  # the worker joins its group
            kafka: dict[str, Any] = {}
            producer = threading.Thread(target=drive_kafka,
                                        args=(settings, args.seconds, args.kafka_rate, kafka))
            producer.start()
            latencies, api_accepted, refused, api_at = asyncio.run(
                drive_sync(base, settings, args.seconds, args.clients))
            producer.join()
            window_ms = WINDOW_S * 1000
            accepted_at = api_at + kafka["acked"]
            windows = {window_start(t, window_ms) for t in accepted_at}
            print("load done; waiting for the worker to count and release every window",
                  file=sys.stderr)
            counted = sum(released_counts(settings, windows, timeout_s=900).values())
            accepted = len(accepted_at)
            rate = len(latencies) / args.seconds
            print(f"\n{args.seconds:.0f} s soak, one worker + one API process + broker + "
                  "load generators on 2 shared cores")
            print(f"/v1/sync, {args.clients} clients: {rate:,.0f} req/s  p50 "
                  f"{pct(latencies, 50):.1f} ms  p99 {pct(latencies, 99):.1f} ms  "
                  f"accepted {api_accepted:,}  refused {refused}  | seed "
                  f"{SEED_SYNC_PER_CORE:,.0f}/s per core: {rate / SEED_SYNC_PER_CORE:.2f}×")
            print(f"Kafka path: {kafka['sent']:,} sent at {kafka['sent'] / kafka['seconds']:,.0f}"
                  f"/s, {len(kafka['acked']):,} acknowledged, {len(kafka['failed'])} failed")
            print(f"accepted {accepted:,}  counted {counted:,}  lost {accepted - counted:,} "
                  f"over {len(windows)} windows")
            results.record("soak", [
                results.Figure(f"/v1/sync under a {args.seconds:.0f} s soak, API + worker on "
                               "2 shared cores", rate, "req/s",
                               "the seed product's syncs per core (published, not measured)",
                               SEED_SYNC_PER_CORE),
                results.Figure("deltas counted of those accepted", counted, "deltas",
                               "accepted", accepted)])
        finally:
            api.terminate()
            worker.terminate()
            api.wait(20)
            worker.wait(30)


if __name__ == "__main__":
    main()
