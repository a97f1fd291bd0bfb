"""Publishes a window's release atomically: all its records and its mark, in one transaction."""

from __future__ import annotations

import logging
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

from omega.avro import AvroCodec
from omega.kafka import make_consumer, make_producer
from omega.settings import Settings
from omega.topics import RELEASE_LOG, TRENDS
from streams.pipeline import WindowRelease

log = logging.getLogger(__name__)

TRENDS_STREAM = "trends"


class ReleaseSink:
    """A transactional producer: a window is released entirely or not at all.

    The release log (compacted, key = stream) holds the last released window; it is
    written in the same transaction, so a restarted worker never releases a window twice.
    """

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.trends_topic = settings.topic(TRENDS)
        self.log_topic = settings.topic(RELEASE_LOG)
        self.producer = make_producer(
            settings, **{"transactional.id": f"{settings.streams_app_id}-releaser",
                         "linger.ms": 20})
        self.producer.init_transactions(30)

    def publish(self, release: WindowRelease) -> None:
        self.producer.begin_transaction()
        try:
            for record in release.records:
                self.producer.produce(
                    self.trends_topic, key=str(record["title_id"]).encode(),
                    value=self.codec.encode("omega.TrendRelease", record))
                self.producer.poll(0)
            mark = {"stream": TRENDS_STREAM, "released_through_ms": release.window_start_ms,
                    "at_ms": int(time.time() * 1000)}
            self.producer.produce(self.log_topic, key=TRENDS_STREAM.encode(),
                                  value=self.codec.encode("omega.ReleaseMark", mark))
            self.producer.commit_transaction(60)
        except Exception:
            self.producer.abort_transaction(30)
            raise

    def close(self) -> None:
        self.producer.flush(10)


def read_released_through(settings: Settings, codec: AvroCodec, stream: str) -> int | None:
    """The last window `stream` released, from the committed release log."""
    consumer: Consumer = make_consumer(
        settings, f"{settings.streams_app_id}-release-log-reader",
        **{"enable.partition.eof": True})
    try:
        topic = settings.topic(RELEASE_LOG)
        consumer.assign([TopicPartition(topic, 0, 0)])
        released: int | None = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    return released
                raise RuntimeError(f"reading {topic}: {error}")
            value = msg.value()
            if msg.key() == stream.encode() and value is not None:
                released = codec.decode(value, "omega.ReleaseMark")["released_through_ms"]
        raise RuntimeError(f"reading {topic} did not reach its end in 30 s")
    finally:
        consumer.close()
