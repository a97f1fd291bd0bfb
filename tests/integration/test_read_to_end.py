"""omega.kafka.clients.read_to_end: committed records up to each partition's end at call time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import KafkaException

from omega.kafka.clients import make_producer, read_to_end
from omega.kafka.topics import TRENDS, TV_DELTAS
from omega.settings import Settings
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def values(settings: Settings, topic: str) -> list[bytes | None]:
    return [m.value() for m in read_to_end(settings, [settings.topic(topic)], timeout_s=20)]


def test_it_stops_at_the_end_past_commit_markers_and_before_open_transactions(
    kafka_settings: Callable[..., Settings],
) -> None:
    settings = kafka_settings()
    topic = settings.topic(TRENDS)
    producer = make_producer(settings, **{"transactional.id": f"test-{uuid.uuid4().hex[:8]}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"committed")
    producer.commit_transaction(30)  # the partition's last offset is now the marker
    # commit_transaction returns once the coordinator decided; the partition's marker (and
    # so its last stable offset) follows a moment later
    wait_for(lambda: values(settings, TRENDS) == [b"committed"], 30, "the commit visible")

    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"open")
    producer.flush(30)
    started = time.monotonic()
    assert values(settings, TRENDS) == [b"committed"], "an open transaction is not read"
    assert time.monotonic() - started < 10, "it did not wait for the open transaction"
    producer.abort_transaction(30)
    assert values(settings, TRENDS) == [b"committed"], "an aborted record is never read"


def test_every_partition_is_read_and_empty_ones_are_not_waited_for(
    kafka_settings: Callable[..., Settings],
) -> None:
    settings = kafka_settings()
    assert values(settings, TV_DELTAS) == []
    producer = make_producer(settings)
    sent = {f"tv-{i}".encode() for i in range(40)}  # keys spread over the 4 partitions
    for key in sent:
        producer.produce(settings.topic(TV_DELTAS), key=key, value=key)
    assert producer.flush(30) == 0
    assert set(values(settings, TV_DELTAS)) == sent
    first = list(read_to_end(settings, [settings.topic(TV_DELTAS)], partitions=[0]))
    assert first and {m.partition() for m in first} == {0}


def test_a_missing_topic_is_an_error_that_names_it(
    kafka_settings: Callable[..., Settings],
) -> None:
    settings = kafka_settings()
    with pytest.raises(KafkaException, match="no topic nope.v1"):
        list(read_to_end(settings, ["nope.v1"]))
