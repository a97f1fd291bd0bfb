"""10,000 hostile deltas through the API and 10,000 straight into Kafka: no 5xx, no worker
crash, and every one accounted for — a 4xx with a message, a dead letter with its reason,
or (a 1 MB message) refused by Kafka's own size limit."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from confluent_kafka import KafkaError
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import KeyRing
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer
from omega.kafka.topics import TV_DELTAS
from omega.settings import Settings
from omega.validation import DeltaLimits, DeltaRejected, parse_delta
from tests.conftest import as_role, wait_for_catalog
from tests.integration.conftest import (
    WorkerProcess,
    read_all,
    read_dead_letters,
    wait_until_consumed,
)
from tests.support.hostile import HostileCase, hostile_cases

pytestmark = pytest.mark.integration

N = 10_000
API_STATUS = {  # what each kind may get from /v1/sync
    "random_bytes": {400}, "truncated_avro": {400}, "huge_string": {413},
    "negative_number": {400}, "nan_number": {400}, "odd_unicode": {400, 403},
    "far_future": {400}, "ancient_time": {400}, "valid_original": {200},
    "replayed_seq": {200}, "megabyte_body": {413}, "wrong_json_type": {400},
    "wrong_content_type": {415}, "too_many_titles": {400},
}
DEAD_LETTER_CODES = {  # what each kind may be dead-lettered as on the Kafka path
    "random_bytes": {"not_avro", "unknown_schema"},
    "truncated_avro": {"not_avro", "truncated", "undecodable"},
    "huge_string": {"oversize"}, "negative_number": {"unknown_title", "bad_seconds",
                                                     "bad_completion", "bad_rating", "bad_seq"},
    "nan_number": {"bad_completion", "bad_rating"},
    "odd_unicode": {"bad_device_id", "key_mismatch"}, "far_future": {"future_time"},
    "ancient_time": {"ancient_time"}, "replayed_seq": {"duplicate"},
    "wrong_json_type": {"not_avro"}, "wrong_content_type": {"not_avro"},
    "too_many_titles": {"too_many_titles"},
}


def predicted(case: HostileCase, codec: AvroCodec, limits: DeltaLimits, now: int) -> str | None:
    """The dead-letter code the worker must give `case` (None: it counts)."""
    if case.replay_of is not None:
        return "duplicate"
    try:
        delta = parse_delta(case.body, codec, limits, now)
    except DeltaRejected as exc:
        return exc.code
    return None if delta.device_id == case.device_id else "key_mismatch"


def test_hostile_deltas_straight_into_kafka_are_each_dead_lettered_with_a_reason(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[..., WorkerProcess],
    codec: AvroCodec,
) -> None:
    settings = kafka_settings(window_seconds=600)
    worker = worker_factory(settings)
    now = int(time.time() * 1000)
    cases = list(hostile_cases(N, seed=9, codec=codec, now_ms=now))
    limits = DeltaLimits.from_settings(settings)
    refused: Counter[str] = Counter()

    def on_delivery(err: KafkaError | None, _msg: object) -> None:
        if err is not None:
            refused[err.name()] += 1

    producer = make_producer(settings)
    oversized = 0
    for case in cases:
        try:
            producer.produce(settings.topic(TV_DELTAS), key=case.device_id.encode(),
                             value=case.body, on_delivery=on_delivery)
        except Exception as exc:  # noqa: BLE001 - the client refuses 1 MB locally
            assert "MSG_SIZE_TOO_LARGE" in str(exc) and case.kind == "megabyte_body", exc
            oversized += 1
        producer.poll(0)
    assert producer.flush(60) == 0
    assert oversized + refused["MSG_SIZE_TOO_LARGE"] == sum(
        c.kind == "megabyte_body" for c in cases) and set(refused) <= {"MSG_SIZE_TOO_LARGE"}

    on_kafka = [c for c in cases if c.kind != "megabyte_body"]
    expected = [(c.kind, predicted(c, codec, limits, now)) for c in on_kafka]
    bad = [(kind, code) for kind, code in expected if code is not None]
    for kind, code in bad:
        assert code in DEAD_LETTER_CODES[kind], (kind, code)
    wait_until_consumed(settings, timeout_s=180)  # then every letter is on the topic
    letters = read_dead_letters(settings, codec)
    assert Counter(r["reason_code"] for r in letters) == Counter(code for _, code in bad)
    assert all(r["reason"] and r["error_class"] for r in letters)
    counted = [kind for kind, code in expected if code is None]
    assert counted == ["valid_original"] * sum(c.kind == "replayed_seq" for c in cases)
    assert worker.alive() and "worker exited with" not in worker.log()


def test_hostile_deltas_through_the_api_get_4xx_with_reasons_never_500(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[..., WorkerProcess],
    codec: AvroCodec,
) -> None:
    settings = kafka_settings(window_seconds=600, rate_limit_ip_per_s=0, api_port=0)
    worker = worker_factory(settings)
    keys = KeyRing(settings.sync_keys)
    now = int(time.time() * 1000)
    cases = list(hostile_cases(N, seed=10, codec=codec, now_ms=now, prefix="api"))
    statuses: Counter[tuple[str, int]] = Counter()
    with TestClient(create_app(as_role(settings, "api"))) as client:
        wait_for_catalog(client)
        for case in cases:
            response = client.post("/v1/sync", content=case.body, headers={
                "X-Device-Id": case.device_id, "Content-Type": case.content_type,
                "Authorization": f"Bearer {keys.token(case.device_id)}"})
            statuses[(case.kind, response.status_code)] += 1
            assert response.status_code < 500, (case.kind, response.text)
            assert response.status_code in API_STATUS[case.kind], (case.kind, response.text)
            if response.status_code >= 400:
                assert len(response.json()["error"]) > 10, response.text
    accepted = sum(n for (kind, status), n in statuses.items() if status == 200)
    replays = sum(n for (kind, status), n in statuses.items() if kind == "replayed_seq")
    assert sum(statuses.values()) == len(cases) and accepted == 2 * replays
    # What the API accepted is on Kafka; the worker counts the originals once and
    # dead-letters every blind replay as a duplicate.
    assert len(read_all(settings, TV_DELTAS)) == accepted
    wait_until_consumed(settings, timeout_s=180)
    letters = read_dead_letters(settings, codec)
    assert Counter(r["reason_code"] for r in letters) == Counter({"duplicate": replays})
    assert worker.alive() and "worker exited with" not in worker.log()
