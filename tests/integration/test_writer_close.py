"""The API's Kafka writer closes what it opened: a producer left open after the app shuts
down retries its broker once a second until the process exits (once, in CI, forever)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from api.writer import KafkaWriter
from omega.kafka.clients import ensure_topics, read_to_end
from omega.kafka.topics import topic_catalog
from omega.settings import Settings

pytestmark = pytest.mark.integration


def test_close_destroys_the_producer_even_after_its_event_loop_closed(
        kafka_bootstrap: str, make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap,
                             topic_namespace=f"w{uuid.uuid4().hex[:8]}")
    spec = topic_catalog(settings)["web-interactions.v1"]
    topic = settings.topic(spec.short_name)
    ensure_topics(settings, [spec])
    writer = KafkaWriter(settings)
    failures: list[BaseException] = []
    hook = threading.excepthook

    def record(args: Any) -> None:
        failures.append(args.exc_value)

    threading.excepthook = record
    try:
        asyncio.run(writer.write(topic, b"k", b"acknowledged"))

        # A write whose request's loop closes before Kafka's report arrives (an app shut
        # down mid-request): the report must not kill the poller or abort the close.
        async def abandon() -> None:
            pending = asyncio.ensure_future(writer.write(topic, b"k", b"abandoned"))
            await asyncio.sleep(0)  # the write is queued; its report comes after the loop
            pending.cancel()

        asyncio.run(abandon())
        writer.close()
    finally:
        threading.excepthook = hook
    assert failures == []
    with pytest.raises(RuntimeError, match="closed"):
        writer.producer.poll(0)
    values = [m.value() for m in read_to_end(settings, [topic])]
    assert values == [b"acknowledged", b"abandoned"]
