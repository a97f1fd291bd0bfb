"""The Faust application: thin agents around `TrendsPipeline`."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust

from omega.avro import AvroCodec, codec_for
from omega.kafka import bootstrap_servers, ensure_topics
from omega.settings import Settings
from omega.topics import DEAD_LETTERS, TV_DELTAS
from streams.pipeline import TrendsPipeline
from streams.sink import TRENDS_STREAM, ReleaseSink, read_released_through
from streams.validation import DeltaRejected

log = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def dead_letter_record(
    raw: bytes, key: bytes | None, topic: str, partition: int, offset: int, exc: Exception,
) -> dict[str, Any]:
    code = exc.code if isinstance(exc, DeltaRejected) else "processing_error"
    return {"payload": raw, "payload_key": key, "source_topic": topic,
            "source_partition": partition, "source_offset": offset,
            "reason_code": code, "reason": str(exc) or repr(exc),
            "error_class": type(exc).__name__, "at_ms": now_ms()}


def build_app(settings: Settings, codec: AvroCodec | None = None) -> faust.App:
    """Wire topics, the contributions table, the delta agent and the release timer."""
    codec = codec or codec_for(settings)
    ensure_topics(settings)
    pipeline = TrendsPipeline(settings, codec)
    pipeline.released_through_ms = read_released_through(settings, codec, TRENDS_STREAM)
    sink = ReleaseSink(settings, codec)
    (settings.data_dir / "streams").mkdir(parents=True, exist_ok=True)

    app = faust.App(
        settings.streams_app_id,
        broker=f"kafka://{bootstrap_servers(settings)}",
        store="rocksdb://",
        datadir=str(settings.data_dir / "streams"),
        topic_partitions=settings.delta_partitions,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        producer_acks=-1,
    )
    deltas = app.topic(settings.topic(TV_DELTAS), key_type=bytes, value_type=bytes,
                       key_serializer="raw", value_serializer="raw")
    dead_letters = app.topic(settings.topic(DEAD_LETTERS), key_type=bytes, value_type=bytes,
                             key_serializer="raw", value_serializer="raw")
    contributions = app.Table("device-contributions", default=None,
                              partitions=settings.delta_partitions,
                              key_type=str)  # values: JSON, see streams/windows.py

    @contributions.on_recover
    async def rebuild_counts() -> None:
        read = pipeline.counts.rebuild(contributions.values(), pipeline.released_through_ms)
        log.info("ready: rebuilt counts from %d contributions; released through %s",
                 read, pipeline.released_through_ms)

    @app.agent(deltas)
    async def count_deltas(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            try:
                accepted = pipeline.accept(
                    message.key, message.value,
                    contributions.get, now_ms())
            except Exception as exc:  # noqa: BLE001 - a worker never dies on bad input
                if not isinstance(exc, DeltaRejected):
                    log.exception("unexpected error on %s[%d]@%d; dead-lettering it",
                                  message.topic, message.partition, message.offset)
                    pipeline.metrics["dead_letter.processing_error"] += 1
                record = dead_letter_record(message.value, message.key, message.topic,
                                            message.partition, message.offset, exc)
                await dead_letters.send(key=message.key,
                                        value=codec.encode("omega.DeadLetter", record))
                continue
            contributions[accepted.delta.device_id] = accepted.state

    @app.timer(interval=settings.release_check_interval_s)  # type: ignore[untyped-decorator]
    async def release_closed_windows() -> None:
        loop = asyncio.get_running_loop()
        for window in pipeline.due_windows(now_ms()):
            release = pipeline.release(window)
            await loop.run_in_executor(None, sink.publish, release)
            pipeline.mark_released(window)
            log.info("released window %d: %d titles; metrics %s",
                     window, len(release.records), dict(pipeline.metrics))

    return app
