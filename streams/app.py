"""The worker process: the TV delta loop started in a thread, and the Faust app for the web
agent, the partials publisher and the releaser, each a named piece around
`WindowPipeline`; `build_app` only assembles them."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

import faust
import mode

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import bootstrap_servers, ensure_topics, make_producer, produce_waiting
from omega.kafka.codecs import codec_for
from omega.kafka.topics import DEAD_LETTERS, WEB_INTERACTIONS, WINDOW_PARTIALS
from omega.partials import (
    PendingPartials,
    check_partial,
    complete_window,
    merge_partials,
    moved_on,
    partial_key,
)
from omega.settings import Settings
from streams.direct import TRANSACTION_STALL_S, DirectDeltas
from streams.pipeline import WindowPipeline
from streams.sink import WINDOW_STREAM, ReleaseSink, read_released_through
from streams.transport import (
    AcknowledgingProducer,
    FlushingTransactionManager,
    rewinding_consumer,
)

log = logging.getLogger(__name__)


def now_ms() -> int:
    return int(time.time() * 1000)


def owned_partitions(app: faust.App, names: dict[str, str]) -> dict[str, set[int]]:
    """The source partitions this worker owns now, by source ("tv", "web")."""
    owned: dict[str, set[int]] = {source: set() for source in names}
    by_topic = {topic: source for source, topic in names.items()}
    for tp in app.consumer.assignment():
        if tp.topic in by_topic:
            owned[by_topic[tp.topic]].add(tp.partition)
    return owned


def start_direct_deltas(app: faust.App, settings: Settings, codec: AvroCodec,
                        publish: Callable[[list[dict[str, Any]]], None],
                        released_through: Callable[[], int | None]) -> DirectDeltas:
    """Run streams/direct.py's TV delta loop in a thread of this worker: started with the
    app, stopped before it shuts down. If the loop fails, the process exits at once (the
    supervisor restarts it and the state is restored from Kafka, never from memory)."""
    engine = DirectDeltas(settings, codec, publish, released_through, now_ms)

    def restart(why: str, traceback: bool = False) -> None:
        log.error("%s; exiting so the worker restarts clean", why, exc_info=traceback)
        logging.shutdown()
        os._exit(70)

    def run() -> None:
        try:
            engine.run()
        except BaseException:  # noqa: BLE001 - whatever it was, the process must restart
            restart("the TV delta loop failed", traceback=True)

    def watch() -> None:
        """A transaction call can block past its own timeout (seen: send_offsets during a
        broker outage, still blocked after the broker was back): then restart too."""
        while True:
            time.sleep(1.0)
            stalled = engine.transaction_age_s()
            if stalled > TRANSACTION_STALL_S:
                restart(f"a TV delta transaction has been open {stalled:.0f} s")

    thread = threading.Thread(target=run, name="tv-deltas-direct", daemon=True)
    watchdog = threading.Thread(target=watch, name="tv-deltas-watchdog", daemon=True)

    class StartLoop(mode.Service):
        """Starts the loop with the app's own services, not after Faust's table recovery
        (as an app.task would): its restore overlaps Faust's, and restarts are sooner."""

        async def on_start(self) -> None:
            thread.start()
            watchdog.start()

    app.add_dependency(StartLoop())

    async def stop(_sender: Any, *_args: Any, signal: Any = None, **_kwargs: Any) -> None:
        engine.stop()
        await asyncio.get_event_loop().run_in_executor(None, thread.join, 30)

    app.on_before_shutdown.connect(stop)  # type: ignore[arg-type]  # mode types the handler narrower than it calls it
    return engine


async def tv_loop_ready(engine: DirectDeltas, then: Callable[[], None],
                        wait_warning_s: float = 30.0) -> None:
    """Wait until the direct TV loop owns its partitions with their state restored (so a
    delta sent after "ready" is counted, not found late), then call `then`."""
    waited = 0.0
    while not engine.ready.is_set():
        await asyncio.sleep(0.05)
        waited += 0.05
        if waited >= wait_warning_s:
            log.warning("still waiting for the TV delta loop's partitions (%.0f s)", waited)
            wait_warning_s += 30.0
    then()


def release_noise_log(settings: Settings) -> None:
    """Say at start where the release noise comes from."""
    if settings.release_seed is not None:
        log.warning("release noise: SEEDED with OMEGA_RELEASE_SEED=%d; for replays and audits "
                    "only, never production", settings.release_seed)
    elif not settings.release_keyed:
        log.warning("release noise: UNKEYED OS randomness (OMEGA_RELEASE_KEYED=false): a "
                    "release retried after an aborted transaction draws fresh noise")
    else:
        log.info("release noise: keyed per (stream, window)%s", "" if settings.release_key
                 else " (key from the data folder)")


def faust_app(settings: Settings, sources: dict[str, str]) -> faust.App:
    """The worker's Faust app, with its identity, and the transport fixes its exactly-once
    needs (streams/transport.py) on this instance only."""
    app = faust.App(
        settings.streams_app_id,
        broker=f"kafka://{bootstrap_servers(settings)}",
        store="rocksdb://",
        datadir=str(settings.data_dir / "streams"),
        topic_partitions=settings.delta_partitions,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        producer_acks=-1,
        processing_guarantee=settings.processing_guarantee,
        broker_session_timeout=settings.streams_session_timeout_s,
        broker_heartbeat_interval=settings.streams_heartbeat_s,
        broker_commit_livelock_soft_timeout=settings.streams_commit_stall_s,
        # The worker's identity (docs/security.md), as every confluent-kafka client has it.
        broker_credentials=faust.SASLCredentials(
            username=settings.kafka_username, password=settings.kafka_password or "",
            mechanism="SCRAM-SHA-512", ssl_context=ssl.create_default_context(
                cafile=settings.kafka_ssl_ca) if settings.kafka_ssl_ca else None)
        if settings.kafka_username else None,
    )
    # Before the consumer exists; on the instance, so only this app is affected.
    app.transport.Producer = AcknowledgingProducer  # type: ignore[misc]
    app.transport.TransactionManager = FlushingTransactionManager  # type: ignore[misc]
    app.transport.Consumer = rewinding_consumer(  # type: ignore[misc]
        {*sources.values(), settings.topic(WINDOW_PARTIALS)})
    return app


class WebAgent:
    """Web interactions: one sessions-table write per accepted event, every rejected one
    dead-lettered (a worker never dies on bad input)."""

    def __init__(self, pipeline: WindowPipeline, sessions: Any, dead_letters: Any) -> None:
        self.pipeline, self.sessions, self.dead_letters = pipeline, sessions, dead_letters

    async def consume(self, stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            message = event.message
            try:
                accepted = self.pipeline.accept_interaction(
                    message.key, message.value, self.sessions.get, now_ms(), message.partition)
            except Exception as exc:  # noqa: BLE001 - a worker never dies on bad input
                letter_key, letter = self.pipeline.dead_letter(
                    exc, message.value, message.key, message.topic, message.partition,
                    message.offset)
                await self.dead_letters.send(key=letter_key, value=letter)
                continue
            if accepted.state is not None:
                self.sessions[accepted.unit] = accepted.state


class PartialsPublisher:
    """At each tick, each owned web partition's closed windows go to the releaser as
    partials, durably (the TV loop publishes its own through `publish`)."""

    def __init__(self, app: faust.App, settings: Settings, codec: AvroCodec,
                 pipeline: WindowPipeline, sources: dict[str, str]) -> None:
        self.app, self.settings, self.codec = app, settings, codec
        self.pipeline, self.sources = pipeline, sources
        self.producer = make_producer(settings)

    def publish(self, records: list[dict[str, Any]]) -> None:
        topic = self.settings.topic(WINDOW_PARTIALS)
        for record in records:
            produce_waiting(self.producer, topic, partial_key(record).encode(),
                            self.codec.encode("omega.ColumnarPartial", record))
        if self.producer.flush(60):
            raise RuntimeError("window partials not acknowledged by Kafka in 60 s")

    async def tick(self) -> None:
        try:
            await self._publish_due()
        except Exception:  # noqa: BLE001 - the timer must keep ticking; Faust would stop it
            log.exception("publishing window partials failed; retrying next tick")
            self.pipeline.metrics["partials.publish_errors"] += 1

    async def _publish_due(self) -> None:
        if self.app.rebalancing:  # counts of partitions just assigned are rebuilt at its end:
            return  # a first sight now would take their windows for empty ones
        pipeline, loop = self.pipeline, asyncio.get_event_loop()
        owned = owned_partitions(self.app, self.sources)
        for source, partition in list(pipeline.published):
            if partition not in owned[source]:
                pipeline.forget_partition(source, partition)
        new = [(s, p) for s, ps in owned.items() for p in ps if (s, p) not in pipeline.published]
        if new:  # a partition moved here: start after what was released, not what we knew
            pipeline.released_through_ms = await loop.run_in_executor(
                None, read_released_through, self.settings, self.codec, WINDOW_STREAM)
        for records in pipeline.take_due(now_ms(), owned):
            await loop.run_in_executor(None, self.publish, records)


class Releaser:
    """The one releaser (the partials topic has one partition): keeps each window's
    partials until every partition has reported, merges them, adds the noise and commits
    the release in one transaction (streams/sink.py)."""

    def __init__(self, settings: Settings, codec: AvroCodec, pipeline: WindowPipeline,
                 pending: PendingPartials) -> None:
        self.settings, self.codec, self.pipeline, self.pending = settings, codec, pipeline, pending
        self.sink = ReleaseSink(settings, codec)

    async def consume(self, stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            try:
                record = self.codec.decode(raw, "omega.ColumnarPartial")
                check_partial(record)  # one the merge could not take would stall its window
            except Exception:  # noqa: BLE001 - only streams/ writes here; log, never die
                log.exception("undecodable window partial skipped")
                self.pipeline.metrics["partials.undecodable"] += 1
                continue
            key = partial_key(record)
            released = self.pipeline.released_through_ms
            if ((released is None or record["window_start_ms"] > released)
                    and key not in self.pending):
                self.pending.add(key, raw, record)
            await self.release_complete_windows()

    async def release_complete_windows(self) -> None:
        pipeline, pending = self.pipeline, self.pending
        while (window := self.next_window()) is not None:
            records = complete_window(window, pending,
                                      partition_count=self.settings.delta_partitions,
                                      passed=moved_on(window, pending.keys()))
            if records is None:
                return
            started = time.perf_counter()
            totals = merge_partials(records)
            merged = time.perf_counter()
            build = functools.partial(pipeline.release, window, totals)
            pipeline.released_through_ms = await asyncio.get_event_loop().run_in_executor(
                None, self.sink.publish_once, window, build)
            log.info("release step: window %d: partials merged in %.2f s, noised and "
                     "committed in %.2f s; faults so far: %s", window, merged - started,
                     time.perf_counter() - merged, pipeline.health_metrics() or "none")
            for record in records:
                pending.discard(partial_key(record))

    def next_window(self) -> int | None:
        pipeline, pending = self.pipeline, self.pending
        if pipeline.released_through_ms is not None:
            return pipeline.released_through_ms + pipeline.window_ms
        windows = sorted({int(key.split("|")[0]) for key in pending.keys()})
        # First release of a deployment: older windows some worker never covered are skipped.
        return next((w for w in windows if complete_window(w, pending) is not None), None)


def build_app(settings: Settings, codec: AvroCodec | None = None) -> faust.App:
    """Assemble the worker: the TV delta loop (streams/direct.py), the web agent, the
    partials publisher's timer and the releaser (docs/adr/0001-delta-engine.md)."""
    codec = codec or codec_for(settings)
    ensure_topics(settings)
    pipeline = WindowPipeline(settings, codec)
    pipeline.released_through_ms = read_released_through(settings, codec, WINDOW_STREAM)
    release_noise_log(settings)
    (settings.data_dir / "streams").mkdir(parents=True, exist_ok=True)
    # TV deltas are counted by streams/direct.py's loop, not by a Faust agent: Faust reads
    # web interactions and partials only.
    sources = {"web": settings.topic(WEB_INTERACTIONS)}
    app = faust_app(settings, sources)

    def raw_topic(short_name: str) -> faust.TopicT:
        return app.topic(settings.topic(short_name), key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")

    # A session sends nothing after its token expires, and its windows are released one
    # window and the lateness after they end: past that, its entry (queries, titles,
    # charges) can serve nothing, so the changelog deletes it, hourly segments at a time.
    # (Faust refuses table writes outside an event, so no sweep can tombstone them.)
    # Values are JSON: see streams/web.py.
    session_keep_ms = int((settings.session_ttl_s + 2 * settings.window_seconds
                           + settings.allowed_lateness_seconds) * 1000)
    sessions = app.Table("session-contributions", default=None,
                         partitions=settings.delta_partitions, key_type=str,
                         extra_topic_configs={"cleanup.policy": "compact,delete",
                                              "retention.ms": session_keep_ms,
                                              "segment.ms": 3_600_000})
    # Partials waiting for their window to be complete, as the raw ColumnarPartial
    # messages (packed columns: JSON cannot hold them, and need not decode them twice).
    pending = PendingPartials(
        app.Table("pending-partials-v3", default=None, partitions=1, key_type=str,
                  value_type=bytes),  # bytes: Faust's raw serializer
        lambda raw: codec.decode(raw, "omega.ColumnarPartial"))

    web = WebAgent(pipeline, sessions, raw_topic(DEAD_LETTERS))
    publisher = PartialsPublisher(app, settings, codec, pipeline, sources)
    releaser = Releaser(settings, codec, pipeline, pending)
    app.agent(raw_topic(WEB_INTERACTIONS), name="count_interactions")(web.consume)
    app.agent(raw_topic(WINDOW_PARTIALS), name="release_windows")(releaser.consume)
    app.timer(interval=settings.release_check_interval_s,
              name="close_windows")(publisher.tick)

    engine = start_direct_deltas(app, settings, codec, publisher.publish,
                                 lambda: pipeline.released_through_ms)

    def announce_ready() -> None:
        log.info("ready: rebuilt counts of the open windows; released through %s",
                 pipeline.released_through_ms)

    async def rebuild() -> None:
        pipeline.rebuild_web(sessions.values())
        # the TV loop must own its partitions too; it starts after recovery
        asyncio.ensure_future(tv_loop_ready(engine, announce_ready))

    sessions.on_recover(rebuild)
    return app
