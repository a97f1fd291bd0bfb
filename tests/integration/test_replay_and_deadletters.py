"""On the real broker: a replay puts the same bytes on the topic for the same seed, and a
dead letter re-driven after its cause is fixed counts once, even when re-driven twice."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer
from omega.kafka.topics import DEAD_LETTERS, TV_DELTAS
from omega.release import release_trends
from omega.settings import REPO_ROOT, Settings
from omega.validation import WatchedTitle
from omega.windows import bound_titles, window_start
from tests.conftest import as_role, valid_delta
from tests.integration.conftest import (
    WorkerProcess,
    read_all,
    read_dead_letters,
    wait_until_consumed,
)
from tests.integration.workload import collect_release

pytestmark = pytest.mark.integration


ROLES = {"producers.movielens": "producer", "consumers.deadletters": "deadletters"}


def cli(settings: Settings, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a command line as its role (omega/kafka/acls.py)."""
    env = as_role(settings, ROLES[module]).subprocess_env()
    result = subprocess.run([sys.executable, "-m", module, *args], env=env,
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result


def topic_contents(settings: Settings) -> list[tuple[int, int, bytes, bytes]]:
    """What the replay left on the topic (its CLI returns once Kafka acknowledged all)."""
    messages = read_all(settings, TV_DELTAS)
    return sorted((m.partition(), m.offset(), m.key(), m.value()) for m in messages)


def test_the_same_seed_replays_the_same_bytes(kafka_settings: Callable[..., Settings]) -> None:
    args = ("--no-pace", "--start-ms", "1767225600000", "--limit", "1500", "--seed", "3")
    runs = []
    for _ in range(2):
        settings = kafka_settings()
        result = cli(settings, "producers.movielens", *args)
        assert "sent 1,500 deltas" in result.stderr and "0 failed, 0 undelivered" in result.stderr
        runs.append(topic_contents(settings))
    assert len(runs[0]) == 1500
    assert runs[0] == runs[1]


def test_a_fixed_dead_letter_re_driven_twice_counts_once(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[..., WorkerProcess],
    codec: AvroCodec,
) -> None:
    window_ms = 30_000
    settings = kafka_settings(window_seconds=window_ms / 1000, allowed_lateness_seconds=5,
                              release_seed=8, title_universe_size=100)
    worker = worker_factory(settings)
    now = int(time.time() * 1000)
    # Everything happens in one window: the next one if this one closes too soon.
    sent_at = now if window_start(now, window_ms) + window_ms - now > 25_000 else (
        window_start(now, window_ms) + window_ms + 200)
    window = window_start(sent_at, window_ms)
    valid = [valid_delta(f"dev-{i}", 1, sent_at, [(i + 1, 600), (50, 300)]) for i in range(3)]
    broken = valid_delta("dev-fix", 1, sent_at, [(150, 900), (7, 300)])  # 150 > universe 100
    producer = make_producer(settings)
    for record in [*valid, broken]:
        producer.produce(settings.topic(TV_DELTAS), key=record["device_id"].encode(),
                         value=codec.encode("omega.TvDelta", record))
    assert producer.flush(30) == 0
    wait_until_consumed(settings)
    assert [r["reason_code"] for r in read_dead_letters(settings, codec)] == ["unknown_title"]
    # On the topic, without the key: no device id, no title id, no original bytes in clear.
    on_topic = re.sub(rb"masked:[0-9a-f]{16}", b"", b"".join(  # the unit's keyed digest
        (m.key() or b"") + (m.value() or b"") for m in read_all(settings, DEAD_LETTERS)))
    original = codec.encode("omega.TvDelta", broken)
    # The letter names its source topic, whose namespace is random hex: "150" there once
    # failed this check, so the names this test made up are left out of it.
    in_clear = on_topic.replace(settings.topic_namespace.encode(), b"").replace(
        settings.streams_app_id.encode(), b"")
    assert b"dev-fix" not in on_topic and b"150" not in in_clear
    assert original not in on_topic and original[:16] not in on_topic
    assert b"title_id is" not in on_topic and b"unknown_title" in on_topic  # the code stays

    # The fix: the catalog grew, the worker restarts knowing titles up to 200.
    worker.stop()
    fixed = settings.model_copy(update={"title_universe_size": 200})
    worker_factory(fixed, instance=0)
    shown = cli(fixed, "consumers.deadletters", "show", "--reason", "unknown_title").stdout
    assert "title_id is 150" in shown and "masked:" in shown and "dev-fix" not in shown
    for _ in range(2):
        assert "re-drove 1 dead letter" in cli(
            fixed, "consumers.deadletters", "redrive", "--reason", "unknown_title").stderr
    wait_until_consumed(fixed)
    codes = [r["reason_code"] for r in read_dead_letters(settings, codec)]
    assert codes == ["unknown_title", "duplicate"]
    summary = cli(fixed, "consumers.deadletters", "summary").stdout
    assert "unknown_title" in summary and "duplicate" in summary and "2  total" in summary

    counts: Counter[int] = Counter()
    for record in [*valid, broken]:
        counts.update(bound_titles([WatchedTitle(t["title_id"], t["seconds_watched"], 0.5, None)
                                    for t in record["titles"]], [], fixed.max_titles_per_device))
    assert counts[150] == counts[7] == 1
    expected = release_trends(window, window + window_ms, counts, range(1, 201), fixed.epsilon,
                              fixed.max_titles_per_device, fixed.release_seed)
    released = collect_release(fixed, codec, window, timeout_s=120)
    assert released["tv"] == sorted(expected, key=lambda r: r["title_id"])
