"""The fleet's web side: simulated viewers using the page, through the API as the page does.

Each simulated session asks `POST /api/session` for a signed session, searches 1 to Q
queries drawn from a Zipf mix of everyday requests, opens one of each search's top
results, sometimes presses "Watch", and reports it all in one `POST /api/analytics` batch,
exactly the events the page sends. So the web-interactions stream, and the DP trending
searches released from it, get sessions the API issued, not ids a producer made up.

    omega-web --api http://127.0.0.1:8000 --sessions 300          # 300 sessions, then stop
    omega-web --api http://127.0.0.1:8000 --sessions 0 --rate 40  # 40 sessions/s until Ctrl-C

Whether a query is released depends on how many distinct sessions searched it in one
window: see docs/privacy.md (trending searches).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from omega.progress import progress

# What people type into a film search box: genres, moods, "like X", people.
QUERIES = (
    "heist movies", "feel-good comedies", "movies like toy story", "space adventure",
    "crime thriller", "romantic comedy", "animated films for kids", "war movies",
    "movies like heat", "sci-fi with robots", "best horror films", "courtroom drama",
    "films by martin scorsese", "road trip movies", "coming of age stories",
    "spy films", "westerns", "musicals", "disaster movies", "sports dramas",
)


@dataclass
class WebReport:
    sessions: int = 0
    events: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    searched: Counter[str] = field(default_factory=Counter)  # sessions per query

    def line(self) -> str:
        failures = "; ".join(f"{n} {why}" for why, n in self.failed.most_common())
        return (f"web: {self.sessions:,} sessions reported {self.events:,} events"
                + (f"; failed: {failures}" if failures else ""))


def query_weights(n: int, s: float) -> list[float]:
    """Zipf weights of ranks 1..n: the first query is the most common."""
    return [1.0 / rank ** s for rank in range(1, n + 1)]


def plan_session(rng: random.Random, queries: tuple[str, ...], weights: list[float],
                 max_queries: int) -> list[str]:
    """1..max_queries distinct queries for one session, drawn by the Zipf weights."""
    wanted = rng.randint(1, max_queries)
    picked: list[str] = []
    while len(picked) < wanted:
        query = rng.choices(queries, weights=weights)[0]
        if query not in picked:
            picked.append(query)
    return picked


class WebSide:
    def __init__(self, client: httpx.AsyncClient, seed: int, max_queries: int,
                 zipf: float) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.max_queries = max_queries
        self.weights = query_weights(len(QUERIES), zipf)
        self.results: dict[str, list[int]] = {}  # one real search per query, then cached
        self.report = WebReport()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self.client.post(path, json=body)
        if response.status_code >= 400:
            detail = response.json().get("error", response.text) if response.headers.get(
                "content-type", "").startswith("application/json") else response.text
            raise RuntimeError(f"{path} answered {response.status_code}: {detail}")
        return response.json()

    async def top_results(self, query: str) -> list[int]:
        """The query's top 3 results; none while the API cannot search yet (its index is
        still being built), and then the session reports its searches without clicks."""
        if query not in self.results:
            try:
                found = await self.post("/api/search", {"query": query, "limit": 3})
            except (httpx.HTTPError, RuntimeError):
                return []
            self.results[query] = [item["titleId"] for item in found["results"]]
        return self.results[query]

    async def session(self) -> None:
        queries = plan_session(self.rng, QUERIES, self.weights, self.max_queries)
        watch = self.rng.random() < 0.3
        try:
            token = (await self.post("/api/session", {}))["session"]
            events: list[dict[str, Any]] = []
            for query in queries:
                events.append({"kind": "SEARCH", "query": query})
                top = await self.top_results(query)
                if top:
                    opened = self.rng.choice(top)
                    events.append({"kind": "CLICK", "titleId": opened})
                    if watch:
                        events.append({"kind": "PLAY", "titleId": opened})
                        watch = False
            accepted = await self.post("/api/analytics", {"session": token, "events": events})
        except (httpx.HTTPError, RuntimeError) as exc:
            self.report.failed[str(exc).split(":")[0] or type(exc).__name__] += 1
            return
        self.report.sessions += 1
        self.report.events += accepted["accepted"]
        self.report.searched.update(queries)


async def wait_for_api(client: httpx.AsyncClient, timeout_s: float) -> None:
    """Until the API is ready to search (health `ok`: its views caught up and its index
    holding titles), as a page would not offer search before: no 503 while it loads."""
    deadline = time.monotonic() + timeout_s
    told = False
    while True:
        try:
            if (await client.get("/api/health")).status_code == 200:
                return
            raise httpx.HTTPError("not ready yet")
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            if not told:
                print(f"web: waiting for the API at {client.base_url}", file=sys.stderr)
                told = True
            await asyncio.sleep(1)  # between probes of a server that is starting


async def run(api: str, sessions: int, rate: float, seed: int, max_queries: int,
              zipf: float, concurrency: int = 16, wait_s: float = 1800) -> WebReport:
    """`sessions` sessions (0: until cancelled), started at `rate` per second (0: as fast as
    `concurrency` allows)."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=api, timeout=30, limits=limits) as client:
        await wait_for_api(client, wait_s)
        side = WebSide(client, seed, max_queries, zipf)
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()
        running: set[asyncio.Task[None]] = set()
        bar = progress(total=sessions or None, unit="session")

        async def one() -> None:
            try:
                await side.session()
            finally:
                gate.release()
                bar.update()

        for i in itertools.count() if sessions == 0 else range(sessions):
            if rate > 0:
                await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))  # pacing
            await gate.acquire()
            task = asyncio.create_task(one())
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
        bar.close()
        return side.report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="omega-web", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Sessions go through the API like the page's, so the API's rate limit per "
               "address (OMEGA_RATE_LIMIT_IP_PER_S) applies: each session is 2 requests, "
               "plus one search per query the first time it is seen.")
    parser.add_argument("--api", default=None,
                        help="the API's base URL (default: http://127.0.0.1:OMEGA_API_PORT)")
    parser.add_argument("--sessions", type=int, default=300,
                        help="sessions to simulate; 0 = until Ctrl-C (default 300)")
    parser.add_argument("--rate", type=float, default=0,
                        help="sessions started per second; 0 = as fast as the API answers")
    parser.add_argument("--zipf", type=float, default=1.2,
                        help="skew of the query mix: higher concentrates on the top queries")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--wait-s", type=float, default=600,
                        help="how long to wait for the API to answer at the start (default 600)")
    args = parser.parse_args(argv)
    if args.sessions < 0 or args.rate < 0 or args.zipf < 0:
        parser.error("--sessions, --rate and --zipf must not be negative")
    return args


def main(argv: list[str] | None = None) -> None:
    from pydantic import ValidationError

    from omega.settings import get_settings

    args = parse_args(argv)
    try:
        settings = get_settings()  # only the API's port and Q: no Kafka, it goes through the API
    except ValidationError as exc:
        sys.exit(f"omega-web: bad OMEGA_ settings: {exc}")
    api = args.api or f"http://127.0.0.1:{settings.api_port}"
    try:
        report = asyncio.run(run(api, args.sessions, args.rate, args.seed,
                                 settings.max_queries_per_session, args.zipf,
                                 wait_s=args.wait_s))
    except KeyboardInterrupt:
        return
    except httpx.HTTPError as exc:
        sys.exit(f"omega-web: the API at {api} does not answer ({exc}); is it running?")
    print(report.line(), file=sys.stderr)
    top = ", ".join(f"{q!r} {n}" for q, n in report.searched.most_common(3))
    print(f"web: most searched (sessions): {top}", file=sys.stderr)
    if report.failed and not report.sessions:
        sys.exit(f"omega-web: no session got through to {api}; is the API running?")


if __name__ == "__main__":
    main()
