"""The Faust application: thin agents around `WindowPipeline`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import faust

from omega.avro import AvroCodec, codec_for
from omega.kafka import bootstrap_servers, ensure_topics
from omega.settings import Settings
from omega.topics import DEAD_LETTERS, TV_DELTAS, WEB_INTERACTIONS
from streams.pipeline import Accepted, WindowPipeline
from streams.sink import WINDOW_STREAM, ReleaseSink, read_released_through
from streams.validation import DeltaRejected

log = logging.getLogger(__name__)

Accept = Callable[[bytes | None, bytes, Callable[[str], Any], int], Accepted]


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
    """Wire topics, the per-unit tables, the two agents and the release timer."""
    codec = codec or codec_for(settings)
    ensure_topics(settings)
    pipeline = WindowPipeline(settings, codec)
    pipeline.released_through_ms = read_released_through(settings, codec, WINDOW_STREAM)
    sink = ReleaseSink(settings, codec)
    if settings.release_seed is None:
        log.info("release noise: OS secure randomness (secrets.SystemRandom)")
    else:
        log.warning("release noise: SEEDED with OMEGA_RELEASE_SEED=%d; for replays and audits "
                    "only, never production", settings.release_seed)
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

    def raw_topic(short_name: str) -> faust.TopicT:
        return app.topic(settings.topic(short_name), key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")

    dead_letters = raw_topic(DEAD_LETTERS)
    # Values are JSON: see streams/windows.py (devices) and streams/web.py (sessions).
    devices = app.Table("device-contributions", default=None,
                        partitions=settings.delta_partitions, key_type=str)
    sessions = app.Table("session-contributions", default=None,
                         partitions=settings.delta_partitions, key_type=str)

    async def consume(stream: faust.StreamT[bytes], table: Any, accept: Accept) -> None:
        """One table write per accepted event; every rejected one is dead-lettered."""
        async for event in stream.events():
            message = event.message
            try:
                accepted = accept(message.key, message.value, table.get, now_ms())
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
            if accepted.state is not None:
                table[accepted.unit] = accepted.state

    @app.agent(raw_topic(TV_DELTAS))
    async def count_deltas(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, devices, pipeline.accept_delta)

    @app.agent(raw_topic(WEB_INTERACTIONS))
    async def count_interactions(stream: faust.StreamT[bytes]) -> None:
        await consume(stream, sessions, pipeline.accept_interaction)

    recovered: set[str] = set()

    async def rebuild(name: str) -> None:
        recovered.add(name)
        if name == "devices":
            read = pipeline.counts.rebuild(devices.values(), pipeline.released_through_ms)
            log.info("rebuilt counts from %d device contributions", read)
        else:
            pipeline.web.rebuild(sessions.values(), pipeline.released_through_ms)
        if recovered == {"devices", "sessions"}:
            log.info("ready: rebuilt counts; released through %s",
                     pipeline.released_through_ms)

    devices.on_recover(lambda: rebuild("devices"))
    sessions.on_recover(lambda: rebuild("sessions"))

    @app.timer(interval=settings.release_check_interval_s)  # type: ignore[untyped-decorator]
    async def release_closed_windows() -> None:
        loop = asyncio.get_running_loop()
        for window in pipeline.due_windows(now_ms()):
            release = pipeline.release(window)
            await loop.run_in_executor(None, sink.publish, release)
            pipeline.mark_released(window)
            log.info("released window %d: %d titles, %d edges, %d searches; metrics %s",
                     window, len(release.trends), len(release.edges), len(release.searches),
                     dict(pipeline.metrics))

    return app
