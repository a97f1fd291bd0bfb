"""API latency and throughput: search p50/p99 at 1 and 16 clients, /v1/sync requests/s.

Sets up a broker, the catalog, the real embedder (text vectors cached under
.omega-data/bench-cache, so only the first run embeds) and `omega-api` in its own
process pinned to one core, then drives it over HTTP: with httpx (Python) and with wrk
(C; `make bench` installs it), the load generator and the broker on the other core.
Search queries carry a free-text topic, which is what the API embeds, so nearly every
request runs MiniLM (the bench prints the share of distinct embedded texts); the API's
cache of 4,096 texts does not answer them.

Baselines in the same run: the seed product's published search latency (200–400 ms)
and sync capacity (10K syncs/s per 8 vCPU = 1.25K/s per core), and a raw
confluent-kafka producer writing the same delta bytes (the ceiling for sync).

    python -m bench.api [--titles 0 (all)] [--searches 400] [--syncs 4000] [--only search|sync]
    python -m bench.api --workers-only 2 [--known-pool-ab | --baseline-rev REV]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rocksdict import Rdict

from api.search.query import embedding_text, parse_query
from api.security import KeyRing
from api.serve import pin_process
from bench import results
from bench._harness import bench_settings
from devstack.processes import free_port
from omega.data.catalog import load_catalog
from omega.encoder import load_encoder
from omega.index import EdgeIndex
from omega.kafka.clients import make_producer
from omega.kafka.codecs import codec_for
from omega.kafka.topics import CATALOG_TITLES, TRENDS, TV_DELTAS
from omega.release import release_trends
from omega.settings import REPO_ROOT, Settings
from streams.embedder import TitleEmbedder, VectorPublisher, run

SEED_SEARCH_MS = (200, 400)
TREND_WINDOWS = 2  # released trend windows in the API's day view: ranking uses them
SEED_SYNC_PER_CORE = 10_000 / 8
GENRES = ["sci-fi", "comedies", "horror", "thrillers", "dramas", "westerns", "war films",
          "animated movies", "documentaries", "crime", "romance", "adventure", "fantasy",
          "musicals", "mysteries", "family movies"]
PERIODS = ["", "from the 80s", "from the 90s", "after 2000", "before 1975", "from 1995",
           "from the seventies", "between 1985 and 1995"]
MOODS = ["", "feel-good", "dark", "scary", "uplifting", "quirky", "highly rated", "short"]


ADJECTIVES = ["lonely", "brave", "tiny", "ancient", "secret", "lost", "wild", "quiet",
              "clever", "broken", "golden", "haunted", "rival", "young", "old", "strange",
              "royal", "stolen", "frozen", "burning", "hidden", "last", "first", "silent"]
NOUNS = ["robots", "pirates", "detectives", "dragons", "spies", "astronauts", "chefs",
         "boxers", "twins", "sailors", "witches", "lawyers", "nurses", "dancers", "thieves",
         "farmers", "soldiers", "painters", "kings", "orphans", "aliens", "ghosts", "wolves",
         "horses", "trains", "islands", "cities", "deserts", "rivers", "mountains", "storms",
         "letters", "maps", "violins", "gardens", "bridges", "lighthouses", "casinos",
         "submarines", "volcanoes", "circuses", "monks", "cowboys", "samurai", "vikings",
         "mermaids", "zombies", "vampires", "surfers", "hackers"]


def queries(n: int, seed: int) -> list[str]:
    """`n` queries whose embedded text is distinct (genre × period × mood × a free-text
    topic: the free words are what gets embedded), so the API's cache never answers."""
    rng = random.Random(seed)
    combos = [" ".join(w for w in (m, g, p) if w)
              for g, p, m in itertools.product(GENRES, PERIODS, MOODS)]
    topics = [f"{a} {x} and {y}" for a in ADJECTIVES for x in NOUNS for y in NOUNS if x != y]
    rng.shuffle(combos)
    rng.shuffle(topics)
    return [f"{combos[i % len(combos)]} about {topics[i]}" for i in range(n)]


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
    run(settings, embedder, codec, follow=False)
    print(f"embedder: {len(catalog):,} titles, {embedder.embedded:,} embedded "
          f"(rest cached) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    embedder.index.close()
    if embedder.cache is not None:
        embedder.cache.close()
    return len(catalog)


def publish_trends(settings: Settings, windows: int) -> None:
    """`windows` DP trend releases for the whole title universe, as the worker publishes
    them (every title, noised), so searches rank with real popularity and trending."""
    codec = codec_for(settings)
    rng = np.random.default_rng(5)
    window_ms = int(settings.window_seconds * 1000)
    now = int(time.time() * 1000)
    titles = range(1, settings.title_universe_size + 1)
    producer = make_producer(settings, **{"linger.ms": 50})
    for back in range(1, windows + 1):
        start = now - now % window_ms - back * window_ms
        devices = np.minimum(rng.zipf(1.4, len(titles)), 200_000)  # a long-tailed catalog
        for record in release_trends(start, start + window_ms, dict(zip(titles, devices.tolist(),
                                                                        strict=True)),
                                     titles, settings.epsilon, settings.max_titles_per_device,
                                     seed=11):
            producer.produce(settings.topic(TRENDS),
                             key=f"{record['source']}:{record['title_id']}".encode(),
                             value=codec.encode("omega.TrendRelease", record))
            producer.poll(0)
    assert producer.flush(60) == 0


def start_api(settings: Settings, port: int, cores: set[int],
              workers: int = 1, root: Path = REPO_ROOT) -> subprocess.Popen[bytes]:
    """`omega-api` in its own process(es), on `cores`, from the code in `root` (a worktree
    of another revision: `python -m api` imports the packages of its working folder first).
    Always set: a child inherits this process's affinity (core 1, once the load generator
    is pinned there), and `--workers 2` inheriting core 1 measured 0.97 cores for two
    processes."""
    log = open(settings.data_dir / "api.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "api", "--workers", str(workers)],
                            env=settings.subprocess_env(api_port=port), stdout=log,
                            stderr=subprocess.STDOUT, cwd=root,
                            preexec_fn=lambda: os.sched_setaffinity(0, cores))


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A detached git worktree of `revision`, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="omega-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(folder), revision],
                   cwd=REPO_ROOT, check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=REPO_ROOT,
                       check=False)
        shutil.rmtree(folder, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (`omega-api --workers N`'s processes)."""
    found = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError, IndexError):
            if proc.name.isdigit() and int(
                    (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(proc.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its live children."""
    return cpu_seconds(pid) + sum(tree_cpu_seconds(child) for child in children(pid))


def connections_by_process(pids: list[int], port: int) -> list[int]:
    """How many established TCP connections to `port` each of `pids` holds: how the
    load generator's connections were spread over the API's processes (round robin
    splits 16 over 2 8/8; the SO_REUSEPORT hash rarely does)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()  # local address is hex ip:port; state 01 is ESTABLISHED
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    inodes.add(f"socket:[{fields[9]}]")
    counts = []
    for pid in pids:
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                held += os.readlink(fd) in inodes
        counts.append(held)
    return counts


def wait_ready(base: str, titles: int, windows: int, timeout_s: float = 900,
               processes: int = 1, log: Path | None = None) -> None:
    """Until `processes` distinct API processes (health's `process`; each round on a new
    connection, so any may answer) say the index, the snapshot and the trend windows are
    all there and no snapshot is building."""
    deadline = time.monotonic() + timeout_s
    ready: set[int] = set()
    while time.monotonic() < deadline:
        try:  # both questions on one connection, so to one process (round robin: the next)
            with httpx.Client(base_url=base, timeout=5) as client:
                body = client.get("/api/health").json()
                released = client.get("/api/discover?window=day").json()["privacy"]["windows"]
            index = body["index"]
            if (body["status"] == "ok" and index["titles"] >= titles
                    and index["snapshotBuilds"] >= 1 and not index["freshTitles"]
                    and not index["building"] and released >= windows):
                ready.add(body["process"])
                if len(ready) >= processes:
                    return
                continue
            ready.discard(body["process"])
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.2)
    # The log lives in the benchmark's temporary folder, gone once it exits: show its end.
    tail = log.read_text(errors="replace").splitlines()[-30:] if log and log.exists() else []
    raise SystemExit("the API never became ready; the end of its log:\n" + "\n".join(tail))


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


@functools.cache
def synced_ids(titles: int) -> list[int]:
    """Ids of the titles published (at most the first 10,000): ids have gaps, and the API
    refuses a retired one (api/views.py check_titles)."""
    catalog = load_catalog()
    return [r["title_id"] for r in (catalog[:titles] if titles else catalog)][:10_000]


def sync_requests(settings: Settings, count: int, titles: int) -> list[dict[str, Any]]:
    keys = KeyRing(settings.sync_keys)
    ids = synced_ids(titles)
    rng = random.Random(3)
    now = int(time.time() * 1000)
    out = []
    for i in range(count):
        device = f"bench-tv-{i:07d}"
        record = {"device_id": device, "seq": 1, "sent_at_ms": now, "app_version": "bench/1",
                  "titles": [{"title_id": rng.choice(ids),
                              "seconds_watched": rng.randint(60, 5000), "completion": 0.5,
                              "rating": None} for _ in range(rng.randint(1, 10))]}
        out.append({"method": "POST", "url": "/v1/sync", "content": json.dumps(record),
                    "headers": {"X-Device-Id": device, "Content-Type": "application/json",
                                "Authorization": f"Bearer {keys.token(device)}"}})
    return out


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_post(base: str, lines: list[str], seconds: int, connections: int,
             scratch: Path) -> tuple[float, float, float, int, int] | None:
    """(req/s, p50 ms, p99 ms, non-2xx, requests) from wrk (C, one thread) cycling `lines` (see
    bench/wrk/requests.lua), or None when wrk is not installed (`make bench` installs it)."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    script = REPO_ROOT / "bench" / "wrk" / "requests.lua"
    if not script.exists():  # wrk silently falls back to GET / without its script
        raise SystemExit(f"missing {script}")
    scratch.write_text("\n".join(lines) + "\n")
    out = subprocess.run([wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", str(script), base, "--",
                          str(scratch)], capture_output=True, text=True, check=True).stdout

    def found(pattern: str) -> tuple[str, ...]:
        match = re.search(pattern, out, re.M)
        if match is None:
            raise SystemExit(f"wrk output without {pattern!r}:\n{out}")
        return match.groups()

    def latency(q: str) -> float:
        value, unit = found(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)")
        return float(value) * WRK_UNITS[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sent = int(found(r"(\d+) requests in")[0])
    return (float(found(r"Requests/sec:\s+([\d.]+)")[0]), latency("50"), latency("99"),
            int(bad.group(1)) if bad else 0, sent)


def wrk_row(name: str, base: str, route: str, lines: list[str], pid: int, cores: set[int],
            raw: float, settings: Settings) -> bool:
    """One wrk run (16 connections, 20 s) against `route`, printed as a row; False when
    wrk is not installed. Checks the API answered what wrk says it sent."""
    cpu_before, started = tree_cpu_seconds(pid), time.perf_counter()
    answered = served(base, route)
    workers = [c for c in children(pid)  # not multiprocessing's resource tracker
               if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    split: list[int] = []
    if workers:  # sampled once wrk's connections are all open
        port = int(base.rsplit(":", 1)[1])
        sampler = threading.Timer(5, lambda: split.extend(connections_by_process(workers, port)))
        sampler.start()
    measured = wrk_post(base, lines, 20, 16, settings.data_dir / "wrk.tsv")
    if measured is None:
        print("  skipped: wrk is not installed (`make bench` installs it)")
        return False
    w_rate, w_p50, w_p99, w_bad, w_sent = measured
    answered = served(base, route) - answered
    if abs(answered - w_sent) > 16:  # at most the connections' last requests
        raise SystemExit(f"wrk says {w_sent} requests, the API answered "
                         f"{answered:.0f} on {route}: not measuring that route")
    w_busy = (tree_cpu_seconds(pid) - cpu_before) / (time.perf_counter() - started)
    baseline = (f"seed {SEED_SYNC_PER_CORE:,.0f}/s per core: "
                f"{w_rate / SEED_SYNC_PER_CORE:.2f}×, raw producer "
                f"{w_rate / raw:.3f}×" if route == "/v1/sync" else
                f"seed {SEED_SEARCH_MS[0]}–{SEED_SEARCH_MS[1]} ms: p99 "
                f"{SEED_SEARCH_MS[0] / w_p99:.1f}–{SEED_SEARCH_MS[1] / w_p99:.1f}× faster")
    print(f"  {name}: {w_rate:,.0f} req/s  p50 {w_p50:.1f} ms  p99 {w_p99:.1f} ms  "
          f"non-2xx {w_bad}  API used {w_busy:.2f} of {len(cores)} core(s)  | {baseline}")
    if split:
        print(f"    wrk's 16 connections by API process: {'/'.join(map(str, split))}")
    return True


def served(base: str, route: str, status: str | None = None) -> float:
    """The API's own count of answered requests on `route` (from /metrics), of one HTTP
    `status` if given."""
    text = httpx.get(f"{base}/metrics", timeout=10, follow_redirects=True).text
    code = re.escape(status) if status else '[^"]+'
    return sum(float(m.group(1)) for m in re.finditer(
        rf'^omega_api_requests_total{{route="{re.escape(route)}",status="{code}"}} (\S+)$',
        text, re.M))


def wrk_sync_lines(settings: Settings, titles: int) -> list[str]:
    lines = []
    for request in sync_requests(settings, 20_000, titles):
        headers = request["headers"]
        token = headers["Authorization"].removeprefix("Bearer ")
        lines.append(f"/v1/sync\t{headers['X-Device-Id']}\t{token}\t{request['content']}")
    return lines


def wrk_search_lines(n: int) -> list[str]:
    """`n` queries with distinct embedded text, cycled by wrk: with n far above the cache's
    4,096 entries, a query comes round again only after the cache has forgotten it."""
    return [f"/api/search\t-\t-\t{json.dumps({'query': q})}" for q in queries(n, seed=7)]


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


def search_driver_rows(base: str, searches: int) -> list[results.Figure]:
    """Search at 1 and 16 concurrent clients of the Python driver, one row each."""
    figures = []
    for clients in (1, 16):
        reqs = [{"method": "POST", "url": "/api/search", "json": {"query": q}}
                for q in queries(searches, seed=clients)]
        latencies, wall, errors = asyncio.run(drive(base, reqs, clients))
        p50, p99 = pct(latencies, 50), pct(latencies, 99)
        print(f"search, {clients:>2} clients: p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
              f"{len(latencies) / wall:6.0f} req/s  errors {errors}  | seed "
              f"{SEED_SEARCH_MS[0]}–{SEED_SEARCH_MS[1]} ms: p99 is "
              f"{SEED_SEARCH_MS[0] / p99:.1f}–{SEED_SEARCH_MS[1] / p99:.1f}× faster "
              f"(target p99 ≤ 50 ms at 16)")
        figures.append(results.Figure(
            f"search p99, {clients} client{'s' if clients > 1 else ''}, one API core", p99,
            "ms", "the seed product's published search latency, low end (not measured)",
            SEED_SEARCH_MS[0]))
    return figures


def measure_workers(settings: Settings, titles: int, searches: int, workers: int,
                    known_pool_ab: bool = False, baseline: Path | None = None,
                    revision: str = "") -> None:
    """Search against `omega-api --workers N` free to use every core (the load generators
    share them): the Python driver at 1 and 16 clients, then wrk; then wrk again with the
    other way of spreading connections (api_dispatch), as the baseline of the default.

    `known_pool_ab`: instead, wrk against the default, then against the same API without
    the second retrieval among well-known titles (OMEGA_RANK_KNOWN_VOTES=0, search's
    only added index query since issue 21), then the default again: its cost in p99.

    `baseline`: instead, wrk against this code, then against the API of the worktree
    `baseline` (`revision`), then this code again: a change's cost in p99, in one run."""
    cores = set(range(os.cpu_count() or 1))
    variants = [("round-robin", settings, "", REPO_ROOT), ("reuseport", settings, "", REPO_ROOT)]
    if known_pool_ab:
        without = settings.model_copy(update={"rank_known_votes": 0})
        variants = [("round-robin", settings, ", known-title pool on (default)", REPO_ROOT),
                    ("round-robin", without, ", known-title pool off (baseline)", REPO_ROOT),
                    ("round-robin", settings, ", known-title pool on (default), again",
                     REPO_ROOT)]
    elif baseline is not None:
        variants = [("round-robin", settings, ", this code", REPO_ROOT),
                    ("round-robin", settings, f", {revision} (baseline)", baseline),
                    ("round-robin", settings, ", this code, again", REPO_ROOT)]
    for dispatch, chosen, label, root in variants:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        api = start_api(chosen.model_copy(update={"api_dispatch": dispatch}), port, cores,
                        workers=workers, root=root)
        try:
            wait_ready(base, titles, TREND_WINDOWS, processes=workers,
                       log=settings.data_dir / "api.log")
            print(f"\nAPI ready: omega-api --workers {workers} ({dispatch}) on {len(cores)} "
                  f"cores, {titles:,} titles, {TREND_WINDOWS} windows of DP trends (load "
                  "generators and broker on the same cores)")
            if dispatch == "round-robin" and not known_pool_ab and baseline is None:
                search_driver_rows(base, searches)
            wrk_row(f"search (wrk), omega-api --workers {workers} ({dispatch}{label}), "
                    "both cores",
                    base, "/api/search", wrk_search_lines(20_000), api.pid, cores,
                    float("nan"), settings)
        finally:
            api.terminate()
            api.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--titles", type=int, default=0, help="catalog titles (0 = all 62,670)")
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--syncs", type=int, default=4000)
    parser.add_argument("--only", choices=("search", "sync"),
                        help="measure one route (both by default)")
    parser.add_argument("--workers-only", type=int, metavar="N", default=0,
                        help="only search against `omega-api --workers N` on every core")
    parser.add_argument("--known-pool-ab", action="store_true",
                        help="with --workers-only: p99 with and without the known-title "
                             "retrieval, in one run")
    parser.add_argument("--baseline-rev", metavar="REV",
                        help="with --workers-only: p99 of this code, of the API at git "
                             "revision REV (a worktree), and of this code again, in one run")
    args = parser.parse_args()
    if args.baseline_rev and not args.workers_only:
        parser.error("--baseline-rev needs --workers-only N")
    # Rate limits off: one load generator on one address is not an abuser.
    with bench_settings(title_universe_size=70_000, rate_limit_ip_per_s=0,
                        rate_limit_device_per_min=0) as settings:
        titles = publish_catalog_and_vectors(settings, args.titles)
        publish_trends(settings, TREND_WINDOWS)
        if args.workers_only:
            with contextlib.ExitStack() as stack:
                baseline = (stack.enter_context(worktree(args.baseline_rev))
                            if args.baseline_rev else None)
                measure_workers(settings, titles, args.searches, args.workers_only,
                                args.known_pool_ab, baseline, args.baseline_rev or "")
            return
        port = free_port()
        # One core for the API, the other for everything else (load generator, broker), so
        # that "per core" is literal: the API's own CPU use is measured beside its rate.
        api = start_api(settings, port, {0})
        os.sched_setaffinity(0, {1})
        broker = settings.data_dir.parent / "kafka" / "broker.json"
        if broker.exists():
            pin_process(json.loads(broker.read_text())["pid"], {1})
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, titles, TREND_WINDOWS, log=settings.data_dir / "api.log")
            print(f"\nAPI ready on {titles:,} titles and {TREND_WINDOWS} windows of DP trends "
                  "(one uvicorn process pinned to core 0; load generator and broker on core 1)")
            figures = search_driver_rows(base, args.searches) if args.only != "sync" else []
            raw = raw_produce_rate(settings, args.syncs)
            if args.only != "search":
                reqs = sync_requests(settings, args.syncs, titles)
                cpu_before = cpu_seconds(api.pid)
                latencies, wall, errors = asyncio.run(drive(base, reqs, 16))
                busy = (cpu_seconds(api.pid) - cpu_before) / wall
                rate = len(latencies) / wall
                print(f"sync, 16 clients: {rate:,.0f} req/s  p50 {pct(latencies, 50):.1f} ms  "
                      f"p99 {pct(latencies, 99):.1f} ms  errors {errors}  | seed "
                      f"{SEED_SYNC_PER_CORE:,.0f}/s per core: {rate / SEED_SYNC_PER_CORE:.2f}×"
                      f"  | raw producer {raw:,.0f}/s: {rate / raw:.3f}×  (target ≥ 2,000/s, "
                      f"p99 ≤ 50 ms)")
                figures.append(results.Figure(
                    "/v1/sync, 16 clients, one API core", rate, "req/s",
                    "a raw confluent-kafka producer writing the same deltas", raw))
                print(f"  the API process used {busy:.0%} of its core during the sync run: "
                      f"{rate / max(busy, 1e-9):,.0f} syncs/s per fully used core (derived); "
                      "the Python load generator is the limit here")
            print("\nthe same loads from wrk (C, one thread on core 1), 16 connections, 20 s:")
            loads = []
            if args.only != "sync":
                search_lines = wrk_search_lines(20_000)
                texts = {embedding_text(parse_query(json.loads(line.split("\t")[3])["query"]))
                         for line in search_lines}
                print(f"  (search: {len(texts) / len(search_lines):.0%} of the 20,000 queries "
                      "cycled have distinct embedded texts)")
                loads.append(("search", "/api/search", search_lines, {0}))
            if args.only != "search":
                loads.append(("sync", "/v1/sync", wrk_sync_lines(settings, titles), {0}))
            if args.only != "sync":
                # The search target is for this machine, not per core: the same load with
                # the API free to use both cores (its encoder thread runs beside the loop).
                loads.append(("search, API on both cores", "/api/search", search_lines, {0, 1}))
            results.record("api", figures)
            for name, route, lines, cores in loads:
                pin_process(api.pid, cores)
                if not wrk_row(name, base, route, lines, api.pid, cores, raw, settings):
                    break
        finally:
            api.terminate()
            api.wait(20)
            Path(settings.data_dir / "api.log").unlink(missing_ok=True)
        if args.only != "sync":
            # One process searches one query at a time (Qdrant Edge and Python hold the
            # GIL): the machine's answer is one process per core.
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
            if broker.exists():
                pin_process(json.loads(broker.read_text())["pid"],
                            set(range(os.cpu_count() or 1)))
            measure_workers(settings, titles, args.searches, 2)


if __name__ == "__main__":
    main()
