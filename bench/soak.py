"""Soak: /v1/sync and the Kafka path driven together for 60 s; accepted = counted?

A worker, the API (its own process) and the broker run on this machine; wrk (C, 16
connections) sends TV deltas to /v1/sync as fast as the API answers, while a producer
writes deltas straight to the topic at a steady rate. Every delta is a new device with
one title, so each accepted delta adds exactly 1 to one title's count. The release runs
with ε = 10⁹ (noise rounds to 0) so that the released counts can be summed and compared
with what was accepted: the number reported as lost is accepted − counted, and the dead
letters are listed by reason. "Accepted" is the API's own count of 200 answers (it may
answer a request wrk stopped waiting for) plus the deliveries Kafka acknowledged.

Baseline in the same run: the seed product's sync servers, 1,250 syncs/s per core
(published, not measured here).

    python -m bench.soak [--seconds 60] [--kafka-rate 1500] [--clients 16]
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from collections import Counter
from typing import Any

import httpx

from api.security import KeyRing
from bench import results
from bench._harness import bench_settings, start_worker
from bench.api import served, start_api, wrk_post
from bench.streams import release_commit_ms
from devstack.processes import free_port
from omega.kafka.clients import make_producer, read_to_end
from omega.kafka.codecs import codec_for
from omega.kafka.topics import DEAD_LETTERS, TRENDS, TV_DELTAS
from omega.settings import Settings
from omega.windows import window_start

SEED_SYNC_PER_CORE = 10_000 / 8
UNIVERSE = 100
WINDOW_S = 20
MAX_SYNC_PER_S = 6_000  # wrk's requests are all distinct devices up to this rate


def delta(device: str, i: int, sent_at_ms: int | str) -> dict[str, Any]:
    return {"device_id": device, "seq": 1, "sent_at_ms": sent_at_ms, "app_version": "soak/1",
            "titles": [{"title_id": 1 + i % UNIVERSE, "seconds_watched": 600,
                        "completion": 0.5, "rating": None}]}


def wrk_lines(settings: Settings, count: int) -> list[str]:
    """`count` syncs of distinct devices for bench/wrk/requests.lua, each stamped with the
    time wrk sends it (a repeated device would not add 1 again)."""
    keys = KeyRing(settings.sync_keys)
    lines = []
    for i in range(count):
        device = f"soak-api-{i}"
        body = json.dumps(delta(device, i, "__NOW_MS__")).replace('"__NOW_MS__"', "__NOW_MS__")
        lines.append(f"/v1/sync\t{device}\t{keys.token(device)}\t{body}")
    return lines


def drive_kafka(settings: Settings, seconds: float, rate: float, out: dict[str, Any]) -> None:
    codec = codec_for(settings)
    producer = make_producer(settings)
    acked: list[int] = []
    failed: list[str] = []
    started = time.monotonic()
    i = 0

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is None:
            acked.append(1)
        else:
            failed.append(str(err))

    while time.monotonic() - started < seconds:
        record = delta(f"soak-kafka-{i}", i, int(time.time() * 1000))
        producer.produce(settings.topic(TV_DELTAS), key=record["device_id"].encode(),
                         value=codec.encode("omega.TvDelta", record), on_delivery=on_delivery)
        producer.poll(0)
        i += 1
        ahead = i / rate - (time.monotonic() - started)
        if ahead > 0:
            time.sleep(ahead)  # pacing the producer, not waiting for an outcome
    producer.flush(60)
    out.update(sent=i, acked=len(acked), failed=failed, seconds=time.monotonic() - started)


def released_counts(settings: Settings, last_window: int, timeout_s: float) -> dict[int, int]:
    """Sum of released tv counts per window through `last_window`, read once it is released
    (releases commit in window order, so every earlier one is final then)."""
    release_commit_ms(settings, last_window, timeout_s)
    codec = codec_for(settings)
    totals: Counter[int] = Counter()
    for msg in read_to_end(settings, [settings.topic(TRENDS)]):
        r = codec.decode(msg.value() or b"", "omega.TrendRelease")
        if r["source"] == "tv" and r["window_start_ms"] <= last_window:
            totals[r["window_start_ms"]] += r["noisy_count"]
    return dict(totals)


def dead_letters(settings: Settings) -> Counter[str]:
    """Dead letters by reason code (the reason codes are not sealed)."""
    codec = codec_for(settings)
    return Counter(codec.decode(msg.value() or b"", "omega.DeadLetter")["reason_code"]
                   for msg in read_to_end(settings, [settings.topic(DEAD_LETTERS)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--kafka-rate", type=float, default=1500,
                        help="deltas/s straight to Kafka (default 1500)")
    parser.add_argument("--clients", type=int, default=16, help="wrk's connections")
    args = parser.parse_args()
    overrides: dict[str, Any] = {
        "title_universe_size": UNIVERSE, "window_seconds": WINDOW_S,
        "allowed_lateness_seconds": 10, "epsilon": 1e9,
        "ledger_budget": 3e9, "ledger_week_budget": 3e9, "ledger_year_budget": 3e9,
        "release_seed": 1, "rate_limit_ip_per_s": 0, "rate_limit_device_per_min": 0}
    with bench_settings(**overrides) as settings:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        lines = wrk_lines(settings, args.seconds * MAX_SYNC_PER_S)
        worker = start_worker(settings, settings.data_dir.parent / "worker.log")
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
            kafka: dict[str, Any] = {}
            producer = threading.Thread(target=drive_kafka,
                                        args=(settings, args.seconds, args.kafka_rate, kafka))
            producer.start()
            measured = wrk_post(base, lines, args.seconds, args.clients,
                                settings.data_dir / "wrk.tsv")
            if measured is None:
                raise SystemExit("wrk is not installed: `make bench-deps` installs it")
            producer.join()
            ended_ms = int(time.time() * 1000)
            rate, p50, p99, non_2xx, _sent = measured
            last_window = window_start(ended_ms, WINDOW_S * 1000)
            print("load done; waiting for the worker to count and release every window",
                  flush=True)
            per_window = released_counts(settings, last_window, timeout_s=900)
            # read only now: requests wrk gave up on at the end may still have been answered
            api_accepted = int(served(base, "/v1/sync", "200"))
            if api_accepted > len(lines):
                raise SystemExit(f"the API accepted {api_accepted:,} syncs but wrk had "
                                 f"{len(lines):,} distinct devices: raise MAX_SYNC_PER_S")
            counted = sum(per_window.values())
            letters = dead_letters(settings)
            accepted = api_accepted + kafka["acked"]
            print(f"\n{args.seconds} s soak, one worker + one API process + broker + "
                  "load generators on 2 shared cores")
            print(f"/v1/sync, wrk {args.clients} connections: {rate:,.0f} req/s  p50 "
                  f"{p50:.1f} ms  p99 {p99:.1f} ms  accepted {api_accepted:,}  non-2xx "
                  f"{non_2xx}  | seed {SEED_SYNC_PER_CORE:,.0f}/s per core: "
                  f"{rate / SEED_SYNC_PER_CORE:.2f}×")
            print(f"Kafka path: {kafka['sent']:,} sent at {kafka['sent'] / kafka['seconds']:,.0f}"
                  f"/s, {kafka['acked']:,} acknowledged, {len(kafka['failed'])} failed")
            print(f"accepted {accepted:,}  counted {counted:,}  lost {accepted - counted:,} "
                  f"over {len(per_window)} released windows; dead letters: "
                  f"{dict(letters) or 'none'}")
            results.record("soak", [
                results.Figure(f"/v1/sync under a {args.seconds} s soak (wrk), API + worker + "
                               "broker on 2 shared cores", rate, "req/s",
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
