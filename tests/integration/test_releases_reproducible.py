"""No number without noise leaves streams/: every record on every output topic after a run
is recomputed from the true counts and the seed through the release step."""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from omega.avro import AvroCodec
from omega.kafka import make_producer
from omega.settings import Settings
from omega.topics import COVIEW_EDGES, SEARCH_TRENDS, TRENDS, TV_DELTAS, WEB_INTERACTIONS
from streams.release import release_coview_edges, release_search_trends, release_trends
from streams.validation import DeviceDelta, WatchedTitle
from streams.web import WebEvent, apply_interaction, normalize_query
from streams.windows import Bounds, apply_delta, window_start
from tests.conftest import valid_delta
from tests.integration.conftest import WorkerProcess, drain

pytestmark = pytest.mark.integration

SEED, UNIVERSE, WINDOW_MS = 77, 50, 4000


def test_every_released_record_is_the_release_step_of_the_true_counts(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    codec: AvroCodec,
) -> None:
    s = kafka_settings(window_seconds=WINDOW_MS / 1000, allowed_lateness_seconds=6,
                       release_seed=SEED, title_universe_size=UNIVERSE, epsilon=1.0,
                       delta=0.01, max_titles_per_device=4, max_pairs_per_device=1,
                       min_devices=5, max_queries_per_session=1, ledger_budget=12)
    worker = worker_factory(s)
    assert "SEEDED with OMEGA_RELEASE_SEED=77" in worker.log()
    rng = random.Random(SEED)
    t0 = int(time.time() * 1000)
    window = window_start(t0, WINDOW_MS)
    producer = make_producer(s)

    titles: Counter[int] = Counter()
    pairs: Counter[int] = Counter()
    for i in range(300):  # everyone's top two are titles 1 and 2, except a few 3 and 4
        top = (3, 4) if i < 3 else (1, 2)
        watched = [(top[0], 5000), (top[1], 4000)] + [
            (t, rng.randint(1, 3000)) for t in rng.sample(range(5, UNIVERSE + 1), 4)]
        record = valid_delta(f"dev-{i}", 1, t0, watched)
        producer.produce(s.topic(TV_DELTAS), key=record["device_id"].encode(),
                         value=codec.encode("omega.TvDelta", record))
        delta = DeviceDelta(record["device_id"], 1, t0, tuple(
            WatchedTitle(t, sec, 0.5, None) for t, sec in watched), "test/1")
        applied = apply_delta(None, delta, window, Bounds(4, 1), None)
        titles.update(applied.titles)
        pairs.update(applied.pairs)

    queries: Counter[str] = Counter()
    web_titles: Counter[int] = Counter()
    sessions = [("HEAT", None)] * 40 + [("obscure film", None)] * 3 + [(None, 7)] * 20
    for i, (query, title) in enumerate(sessions):
        kind = "SEARCH" if query else "PLAY"
        record = {"session_id": f"s-{i}", "kind": kind, "query": query, "title_id": title,
                  "at_ms": t0}
        producer.produce(s.topic(WEB_INTERACTIONS), key=record["session_id"].encode(),
                         value=codec.encode("omega.WebInteraction", record))
        event = WebEvent(f"s-{i}", kind, normalize_query(query) if query else None, title, t0)
        _, q, t = apply_interaction(None, event, window, 1, 10, None)
        queries.update(q)
        web_titles.update(t)
    assert producer.flush(30) == 0

    def our_window_released(msgs: list[Any]) -> bool:
        decoded = [codec.decode(m.value(), "omega.TrendRelease") for m in msgs]
        return sum(r["window_start_ms"] == window for r in decoded) >= 2 * UNIVERSE

    trends = [codec.decode(m.value(), "omega.TrendRelease")
              for m in drain(s, TRENDS, our_window_released, timeout_s=60)]
    edges = [codec.decode(m.value(), "omega.CoviewEdge")
             for m in drain(s, COVIEW_EDGES, lambda ms: False, timeout_s=4)]
    searches = [codec.decode(m.value(), "omega.SearchTrendRelease")
                for m in drain(s, SEARCH_TRENDS, lambda ms: False, timeout_s=4)]

    end = window + WINDOW_MS
    by_window: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for record in trends:
        by_window[(record["window_start_ms"], record["source"])].append(record)
    assert (window, "tv") in by_window and (window, "web") in by_window
    for (start, source), records in by_window.items():
        counts = (titles if source == "tv" else web_titles) if start == window else Counter()
        sensitivity = 4 if source == "tv" else s.max_titles_per_session
        expected = release_trends(start, start + WINDOW_MS, counts, range(1, UNIVERSE + 1),
                                  1.0, sensitivity, SEED, source=source)
        assert sorted(records, key=lambda r: r["title_id"]) == expected, (start, source)

    expected_edges = release_coview_edges(window, end, pairs, 1.0, 0.01, 1, 5, SEED)
    assert [e for e in edges if e["window_start_ms"] == window] == expected_edges
    assert {(e["title_a"], e["title_b"]) for e in expected_edges} == {(1, 2)}
    assert all(e["window_start_ms"] != window for e in edges[len(expected_edges):])

    expected_searches = release_search_trends(window, end, queries, 1.0, 0.01, 1, 5, SEED)
    assert [q for q in searches if q["window_start_ms"] == window] == expected_searches
    assert [q["query"] for q in expected_searches] == ["heat"]
