"""A known workload (TV deltas with pairs, web searches and plays) and its expected release.

The expected release is computed with the real bounding code and the release step on
the true counts, so a worker's output can be checked record for record.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer
from omega.kafka.topics import COVIEW_EDGES, SEARCH_TRENDS, TRENDS, TV_DELTAS, WEB_INTERACTIONS
from omega.release import release_coview_edges, release_search_trends, release_trends
from omega.settings import Settings
from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import Bounds, apply_delta, window_start
from streams.web import WebEvent, apply_interaction, normalize_query
from tests.conftest import valid_delta
from tests.integration.conftest import read_all, wait_for_records

Message = tuple[str, bytes, bytes]  # topic short name, key, value

SETTINGS = {"allowed_lateness_seconds": 6, "title_universe_size": 50, "epsilon": 1.0,
            "delta": 0.01, "max_titles_per_device": 4, "max_pairs_per_device": 1,
            "min_devices": 5, "max_queries_per_session": 1, "ledger_budget": 12,
            "ledger_week_budget": 12, "ledger_year_budget": 12}


@dataclass
class Workload:
    window: int
    messages: list[Message] = field(default_factory=list)
    titles: Counter[int] = field(default_factory=Counter)
    pairs: Counter[int] = field(default_factory=Counter)
    web_titles: Counter[int] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)


def build_workload(codec: AvroCodec, settings: Settings, t0: int, devices: int,
                   seed: int) -> Workload:
    """`devices` TVs (most share titles 1 and 2 on top) and 63 web sessions, all at t0."""
    rng = random.Random(seed)
    universe = settings.title_universe_size
    work = Workload(window_start(t0, int(settings.window_seconds * 1000)))
    bounds = Bounds(settings.max_titles_per_device, settings.max_pairs_per_device)
    for i in range(devices):
        top = (3, 4) if i % 100 < 3 else (1, 2)
        watched = [(top[0], 5000), (top[1], 4000)] + [
            (t, rng.randint(1, 3000)) for t in rng.sample(range(5, universe + 1), 4)]
        record = valid_delta(f"dev-{i}", 1, t0, watched)
        work.messages.append((TV_DELTAS, record["device_id"].encode(),
                              codec.encode("omega.TvDelta", record)))
        delta = DeviceDelta(record["device_id"], 1, t0, tuple(
            WatchedTitle(t, sec, 0.5, None) for t, sec in watched), "test/1")
        applied = apply_delta(None, delta, work.window, bounds, None)
        work.titles.update(applied.added)
        work.pairs.update(applied.pairs)
    sessions = [("HEAT", None)] * 40 + [("obscure film", None)] * 3 + [(None, 7)] * 20
    for i, (query, title) in enumerate(sessions):
        kind = "SEARCH" if query else "PLAY"
        record = {"session_id": f"s-{i}", "kind": kind, "query": query, "title_id": title,
                  "at_ms": t0}
        work.messages.append((WEB_INTERACTIONS, record["session_id"].encode(),
                              codec.encode("omega.WebInteraction", record)))
        event = WebEvent(f"s-{i}", kind, normalize_query(query) if query else None, title, t0)
        _, q, t = apply_interaction(None, event, work.window, settings.max_queries_per_session,
                                    settings.max_titles_per_session, None)
        work.queries.update(q)
        work.web_titles.update(t)
    return work


def send(settings: Settings, messages: list[Message]) -> None:
    producer = make_producer(settings)
    for topic, key, value in messages:
        producer.produce(settings.topic(topic), key=key, value=value)
    assert producer.flush(30) == 0


def expected_release(s: Settings, work: Workload) -> dict[str, Any]:
    """What the window's release must be, from the true counts and the seed."""
    w, end = work.window, work.window + int(s.window_seconds * 1000)
    titles = range(1, s.title_universe_size + 1)
    return {
        "tv": release_trends(w, end, work.titles, titles, s.epsilon, s.max_titles_per_device,
                             s.release_seed),
        "web": release_trends(w, end, work.web_titles, titles, s.epsilon,
                              s.max_titles_per_session, s.release_seed, source="web"),
        "edges": release_coview_edges(w, end, work.pairs, s.epsilon, s.delta,
                                      s.max_pairs_per_device, s.min_devices, s.release_seed,
                                      mechanism=s.pair_mechanism, floor_error=s.floor_error),
        "searches": release_search_trends(w, end, work.queries, s.epsilon, s.delta,
                                          s.max_queries_per_session, s.min_devices,
                                          s.release_seed),
    }


def collect_release(s: Settings, codec: AvroCodec, window: int,
                    timeout_s: float = 90) -> dict[str, Any]:
    """The window's records from every output topic, once its trends are all there (a
    window is released in one transaction: its edges and searches are committed too)."""
    universe = s.title_universe_size

    def complete(msgs: list[Any]) -> bool:
        decoded = [codec.decode(m.value(), "omega.TrendRelease") for m in msgs]
        return sum(r["window_start_ms"] == window for r in decoded) >= 2 * universe

    by_source: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in wait_for_records(s, TRENDS, complete, timeout_s=timeout_s):
        record = codec.decode(m.value(), "omega.TrendRelease")
        if record["window_start_ms"] == window:
            by_source[record["source"]].append(record)
    edges = [codec.decode(m.value(), "omega.CoviewEdge")
             for m in read_all(s, COVIEW_EDGES)]
    searches = [codec.decode(m.value(), "omega.SearchTrendRelease")
                for m in read_all(s, SEARCH_TRENDS)]
    return {
        "tv": sorted(by_source["tv"], key=lambda r: r["title_id"]),
        "web": sorted(by_source["web"], key=lambda r: r["title_id"]),
        "edges": [e for e in edges if e["window_start_ms"] == window],
        "searches": [q for q in searches if q["window_start_ms"] == window],
    }
