"""One window end to end on the real broker: 950 valid deltas, 50 malformed ones."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer
from omega.kafka.topics import TRENDS, TV_DELTAS
from omega.release import release_trends
from omega.settings import Settings
from omega.validation import WatchedTitle
from omega.windows import bound_titles, window_start
from tests.conftest import valid_delta
from tests.integration.conftest import (
    WorkerProcess,
    read_dead_letters,
    wait_for_records,
    wait_until_consumed,
)

pytestmark = pytest.mark.integration

UNIVERSE = 200
SEED = 20261125


def malformed_deltas(codec: AvroCodec, rng: random.Random, t0: int) -> list[tuple[str, bytes]]:
    """50 bad deltas, 10 of each kind, as (expected reason code, bytes)."""
    bad: list[tuple[str, bytes]] = []
    for i in range(10):
        junk = bytes([rng.randrange(0, 0xC3)]) + rng.randbytes(rng.randrange(0, 200))
        bad.append(("not_avro", junk))
        whole = codec.encode("omega.TvDelta", valid_delta(f"bad-trunc-{i}", 1, t0,
                                                           [(5, 100), (6, 200)]))
        bad.append(("truncated", whole[: len(whole) - 1 - i]))
        wrong = codec.encode("omega.WebInteraction", {
            "session_id": f"s{i}", "kind": "SEARCH", "query": "heat", "title_id": None,
            "at_ms": t0})
        bad.append(("wrong_schema", wrong))
        huge = valid_delta(f"bad-huge-{i}-" + "x" * 1200, 1, t0)
        bad.append(("oversize", codec.encode("omega.TvDelta", huge)))
        forty = valid_delta(f"bad-forty-{i}", 1, t0, [(t, 60) for t in range(1, 41)])
        bad.append(("too_many_titles", codec.encode("omega.TvDelta", forty)))
    return bad


def test_valid_deltas_counted_exactly_and_bad_ones_dead_lettered(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    codec: AvroCodec,
) -> None:
    settings = kafka_settings(window_seconds=4, allowed_lateness_seconds=6,
                              release_seed=SEED, title_universe_size=UNIVERSE)
    worker = worker_factory(settings)
    rng = random.Random(SEED)
    t0 = int(time.time() * 1000)

    valid: list[dict[str, Any]] = []
    for i in range(950):
        titles = rng.sample(range(1, UNIVERSE + 1), rng.randint(1, 12))
        valid.append(valid_delta(f"dev-{i}", 1, t0, [(t, rng.randint(1, 5000)) for t in titles]))
    bad = malformed_deltas(codec, rng, t0)
    outbox: list[tuple[bytes, bytes, str | None]] = [
        (d["device_id"].encode(), codec.encode("omega.TvDelta", d), None) for d in valid]
    outbox += [(f"bad-{i}".encode(), payload, code) for i, (code, payload) in enumerate(bad)]
    rng.shuffle(outbox)
    expected_code = {payload: code for _, payload, code in outbox if code}

    producer = make_producer(settings)
    for key, payload, _ in outbox:
        producer.produce(settings.topic(TV_DELTAS), key=key, value=payload)
    assert producer.flush(30) == 0

    # Pre-noise counts: each device counts once per title, at most K titles (bounding).
    expected_counts: Counter[int] = Counter()
    for d in valid:
        watched = [WatchedTitle(t["title_id"], t["seconds_watched"], 0.5, None)
                   for t in d["titles"]]
        expected_counts.update(bound_titles(watched, [], settings.max_titles_per_device))
    window = window_start(t0, 4000)
    expected = release_trends(window, window + 4000, expected_counts, range(1, UNIVERSE + 1),
                              settings.epsilon, settings.max_titles_per_device, SEED)

    def window_complete(msgs: list[Any]) -> bool:
        decoded = (codec.decode(m.value(), "omega.TrendRelease") for m in msgs)
        return sum(r["window_start_ms"] == window and r["source"] == "tv"
                   for r in decoded) >= UNIVERSE

    released = [codec.decode(m.value(), "omega.TrendRelease")
                for m in wait_for_records(settings, TRENDS, window_complete, timeout_s=60)]
    ours = sorted((r for r in released if r["window_start_ms"] == window and r["source"] == "tv"),
                  key=lambda r: r["title_id"])
    assert ours == expected, "released values differ from release_trends(true counts, seed)"
    assert any(r["noisy_count"] != expected_counts[r["title_id"]] for r in ours), "no noise?"

    wait_until_consumed(settings)
    letters = read_dead_letters(settings, codec)
    assert len(letters) == 50
    assert {letter["payload"] for letter in letters} == set(expected_code)
    for letter in letters:
        assert letter["reason_code"] == expected_code[letter["payload"]], letter["reason"]
        assert letter["source_topic"] == settings.topic(TV_DELTAS)
        assert letter["reason"]
    reasons = {letter["reason_code"]: letter["reason"] for letter in letters}
    assert "40 entries; at most 32" in reasons["too_many_titles"]
    assert "at most 1024" in reasons["oversize"]
    assert "omega.WebInteraction" in reasons["wrong_schema"]

    # Still consuming: more deltas are taken in and committed.
    later = [valid_delta(f"late-{i}", 1, int(time.time() * 1000)) for i in range(5)]
    for d in later:
        producer.produce(settings.topic(TV_DELTAS), key=d["device_id"].encode(),
                         value=codec.encode("omega.TvDelta", d))
    assert producer.flush(30) == 0
    wait_until_consumed(settings, timeout_s=30)
    assert worker.alive()
