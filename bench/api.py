"""API latency and throughput: search p50/p99 at 1 and 16 clients, /v1/sync requests/s.

Sets up a broker, the catalog, the real embedder (text vectors cached under
.omega-data/bench-cache, so only the first run embeds) and `omega-api` in its own
process, then drives it over HTTP with httpx. Every search query is distinct (genre ×
period × mood × wording), so the API's query-embedding cache never answers.

Baselines in the same run: the seed product's published search latency (200–400 ms)
and sync capacity (10K syncs/s per 8 vCPU = 1.25K/s per core), and a raw
confluent-kafka producer writing the same delta bytes (the ceiling for sync).

    python -m bench.api [--titles 0 (all)] [--searches 400] [--syncs 4000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from rocksdict import Rdict

from api.security import KeyRing
from bench._harness import bench_settings
from omega.avro import codec_for
from omega.encoder import load_encoder
from omega.index import EdgeIndex
from omega.kafka import make_producer
from omega.settings import REPO_ROOT, Settings
from omega.topics import CATALOG_TITLES, TV_DELTAS
from producers.catalog import load_catalog
from streams.embedder import TitleEmbedder, VectorPublisher, run

SEED_SEARCH_MS = (200, 400)
SEED_SYNC_PER_CORE = 10_000 / 8
GENRES = ["sci-fi", "comedies", "horror", "thrillers", "dramas", "westerns", "war films",
          "animated movies", "documentaries", "crime", "romance", "adventure", "fantasy",
          "musicals", "mysteries", "family movies"]
PERIODS = ["", "from the 80s", "from the 90s", "after 2000", "before 1975", "from 1995",
           "from the seventies", "between 1985 and 1995"]
MOODS = ["", "feel-good", "dark", "scary", "uplifting", "quirky", "highly rated", "short"]


def queries(n: int, seed: int) -> list[str]:
    combos = [" ".join(w for w in (m, g, p) if w)
              for g, p, m in itertools.product(GENRES, PERIODS, MOODS)]
    random.Random(seed).shuffle(combos)
    return combos[:n]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def publish_catalog_and_vectors(settings: Settings, titles: int) -> int:
    codec = codec_for(settings)
    catalog = load_catalog()
    if titles:
        catalog = catalog[:titles]
    producer = make_producer(settings, **{"linger.ms": 20})
    for record in catalog:
        producer.produce(settings.topic(CATALOG_TITLES), key=str(record["title_id"]).encode(),
                         value=codec.encode("omega.CatalogTitle", record))
        producer.poll(0)
    assert producer.flush(60) == 0
    cache = REPO_ROOT / ".omega-data" / "bench-cache"
    cache.mkdir(parents=True, exist_ok=True)
    embedder = TitleEmbedder(
        load_encoder(cache / "models", "fp32"), EdgeIndex(settings.data_dir / "embedder"),
        settings.blend_alpha, Rdict(str(cache / "text-vectors")), "all-MiniLM-L6-v2-fp32",
        VectorPublisher(settings, codec, "all-MiniLM-L6-v2-fp32", settings.blend_alpha))
    started = time.perf_counter()
    run(settings, embedder, codec, follow=False, idle_s=3)
    print(f"embedder: {len(catalog):,} titles, {embedder.embedded:,} embedded "
          f"(rest cached) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    embedder.index.close()
    if embedder.cache is not None:
        embedder.cache.close()
    return len(catalog)


def start_api(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    log = open(settings.data_dir / "api.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "api"],
                            env=settings.subprocess_env(api_port=port), stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO_ROOT)


def wait_ready(base: str, titles: int, timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            body = httpx.get(f"{base}/api/health", timeout=5).json()
            index = body["index"]
            if (body["status"] == "ok" and index["titles"] >= titles
                    and index["snapshotBuilds"] >= 1 and not index["freshTitles"]
                    and not index["building"]):
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit("the API never became ready; see its log")


async def drive(base: str, requests: list[dict[str, Any]], clients: int) -> tuple[list[float],
                                                                                  float, int]:
    """Send `requests` with `clients` concurrent connections; latencies (ms), wall s, errors."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    errors = 0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            response = await http.request(**request)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code >= 300:
                errors += 1
                if errors <= 3:
                    print(f"error {response.status_code}: {response.text[:200]}",
                          file=sys.stderr)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return latencies, time.perf_counter() - started, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def sync_requests(settings: Settings, count: int, titles: int) -> list[dict[str, Any]]:
    keys = KeyRing(settings.sync_keys)
    rng = random.Random(3)
    now = int(time.time() * 1000)
    out = []
    for i in range(count):
        device = f"bench-tv-{i:07d}"
        record = {"device_id": device, "seq": 1, "sent_at_ms": now, "app_version": "bench/1",
                  "titles": [{"title_id": rng.randint(1, min(titles, 10_000)),
                              "seconds_watched": rng.randint(60, 5000), "completion": 0.5,
                              "rating": None} for _ in range(rng.randint(1, 10))]}
        out.append({"method": "POST", "url": "/v1/sync", "content": json.dumps(record),
                    "headers": {"X-Device-Id": device, "Content-Type": "application/json",
                                "Authorization": f"Bearer {keys.token(device)}"}})
    return out


def raw_produce_rate(settings: Settings, count: int) -> float:
    """The same deltas, Avro-encoded, through one confluent-kafka producer (the ceiling)."""
    codec = codec_for(settings)
    bodies = [json.loads(r["content"]) for r in sync_requests(settings, count, 10_000)]
    values = [codec.encode("omega.TvDelta", b) for b in bodies]
    producer = make_producer(settings, **{"linger.ms": 2})
    started = time.perf_counter()
    for body, value in zip(bodies, values, strict=True):
        producer.produce(settings.topic(TV_DELTAS), key=body["device_id"].encode(), value=value)
        producer.poll(0)
    assert producer.flush(60) == 0
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=0, help="catalog titles (0 = all 62,670)")
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--syncs", type=int, default=4000)
    args = parser.parse_args()
    with bench_settings(title_universe_size=70_000) as settings:
        titles = publish_catalog_and_vectors(settings, args.titles)
        port = free_port()
        api = start_api(settings, port)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, titles)
            print(f"\nAPI ready on {titles:,} titles (one uvicorn process; the load generator "
                  "shares the machine's 2 cores)")
            for clients in (1, 16):
                reqs = [{"method": "POST", "url": "/api/search", "json": {"query": q}}
                        for q in queries(args.searches, seed=clients)]
                latencies, wall, errors = asyncio.run(drive(base, reqs, clients))
                p50, p99 = pct(latencies, 50), pct(latencies, 99)
                print(f"search, {clients:>2} clients: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                      f"{len(latencies) / wall:6.0f} req/s  errors {errors}  | seed "
                      f"{SEED_SEARCH_MS[0]}–{SEED_SEARCH_MS[1]} ms: p99 is "
                      f"{SEED_SEARCH_MS[0] / p99:.1f}–{SEED_SEARCH_MS[1] / p99:.1f}× faster "
                      f"(target p99 ≤ 50 ms at 16)")
            reqs = sync_requests(settings, args.syncs, titles)
            latencies, wall, errors = asyncio.run(drive(base, reqs, 16))
            rate = len(latencies) / wall
            raw = raw_produce_rate(settings, args.syncs)
            print(f"sync, 16 clients: {rate:,.0f} req/s  p50 {pct(latencies, 50):.1f} ms  "
                  f"p99 {pct(latencies, 99):.1f} ms  errors {errors}  | seed "
                  f"{SEED_SYNC_PER_CORE:,.0f}/s per core: {rate / SEED_SYNC_PER_CORE:.2f}×  | "
                  f"raw producer {raw:,.0f}/s: {rate / raw:.3f}×  (target ≥ 2,000/s, "
                  f"p99 ≤ 50 ms)")
        finally:
            api.terminate()
            api.wait(20)
            Path(settings.data_dir / "api.log").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
