"""Publishes a window's release atomically: all its records and its mark, in one transaction."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaException, Producer

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer, produce_waiting, read_to_end
from omega.kafka.topics import COVIEW_EDGES, RELEASE_LOG, SEARCH_TRENDS, TRENDS
from omega.release import WindowRelease
from omega.settings import Settings
from omega.windows import window_start
from streams.pipeline import Record

log = logging.getLogger(__name__)

WINDOW_STREAM = "windows"


class ReleaseSink:
    """A transactional producer: a window is released entirely or not at all.

    The release log (compacted, key = stream) holds the last released window; it is
    written in the same transaction, so a restarted worker never releases a window twice.
    """

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.log_topic = settings.topic(RELEASE_LOG)
        self._producer: Producer | None = None
        self._lock = threading.Lock()

    @property
    def producer(self) -> Producer:
        """Created on first use, by the worker that holds the releaser role: every producer
        shares one transactional.id, so creating it fences the previous releaser."""
        if self._producer is None:
            self._producer = make_producer(
                self.settings, **{"transactional.id": f"{self.settings.streams_app_id}-releaser",
                                  "linger.ms": 20})
            self._producer.init_transactions(30)
        return self._producer

    def publish_once(self, window: int, build: Callable[[], WindowRelease]) -> int | None:
        """Release `window` unless the committed log says it already was; returns the last
        window released. Check and publish happen under one lock: a releaser agent that
        Faust cancels mid-commit and restarts must not start a second transaction."""
        with self._lock:
            release: WindowRelease | None = None
            for attempt in range(2):
                released = read_released_through(self.settings, self.codec, WINDOW_STREAM)
                if released is not None and window <= released:
                    return released
                release = release or build()
                try:
                    self.publish(release)
                    break
                except KafkaException as exc:
                    if attempt or not exc.args[0].fatal():
                        raise
                    # Fenced: another worker may have released in between; check again
                    # and retry once with a fresh producer.
                    log.warning("release producer fenced (%s); re-initialising", exc)
                    self._producer = None
            assert release is not None
            log.info("released window %d: %d titles, %d edges, %d searches", window,
                     len(release.trends), len(release.edges), len(release.searches))
            return window

    def publish(self, release: WindowRelease) -> None:
        self.producer.begin_transaction()
        try:
            self._produce(TRENDS, "omega.TrendRelease", release.trends + release.web_trends,
                          lambda r: f"{r['source']}:{r['title_id']}")
            self._produce(COVIEW_EDGES, "omega.CoviewEdge", release.edges,
                          lambda r: f"{r['title_a']}:{r['title_b']}")
            self._produce(SEARCH_TRENDS, "omega.SearchTrendRelease", release.searches,
                          lambda r: str(r["query"]))
            mark = {"stream": WINDOW_STREAM, "released_through_ms": release.window_start_ms,
                    "at_ms": int(time.time() * 1000)}
            self.producer.produce(self.log_topic, key=WINDOW_STREAM.encode(),
                                  value=self.codec.encode("omega.ReleaseMark", mark))
            self.producer.commit_transaction(60)
        except Exception:
            self.producer.abort_transaction(30)
            raise

    def _produce(self, topic: str, schema: str, records: list[Record],
                 key: Callable[[Record], str]) -> None:
        name = self.settings.topic(topic)
        for record in records:
            produce_waiting(self.producer, name, key(record).encode(),
                            self.codec.encode(schema, record))


def read_released_through(settings: Settings, codec: AvroCodec, stream: str) -> int | None:
    """The last window `stream` released, from the committed release log, on the grid of
    the current window size (`on_window_grid`)."""
    released: int | None = None
    for msg in read_to_end(settings, [settings.topic(RELEASE_LOG)], timeout_s=30,
                           group_id=f"{settings.streams_app_id}-release-log-reader"):
        value = msg.value()
        if msg.key() == stream.encode() and value is not None:
            released = codec.decode(value, "omega.ReleaseMark")["released_through_ms"]
    return on_window_grid(released, int(settings.window_seconds * 1000))


def on_window_grid(released: int | None, window_ms: int) -> int | None:
    """`released` moved down to a start of the current window size. Windows follow the
    release log (the next is the last released + one window), so a log written with
    another OMEGA_WINDOW_SECONDS would put every later window off the grid the deltas are
    counted on: each release would find no counts and publish noise alone. The window
    that holds the last released start counts as released (never released twice)."""
    if released is None or released % window_ms == 0:
        return released
    aligned = window_start(released, window_ms)
    log.warning("the release log's last window (%d) is not a start of a %d s window "
                "(OMEGA_WINDOW_SECONDS changed since it was written): releases go on from "
                "window %d", released, window_ms // 1000, aligned + window_ms)
    return aligned
