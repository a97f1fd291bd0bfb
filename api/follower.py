"""The thread that keeps the API's views (api/views.py) up to date: it reads the catalog,
trend, search-trend, co-view-edge and title-vector topics from the start, decodes each
record once and applies it to the views under their lock; vectors go to the index
replica in batches."""

from __future__ import annotations

import gc
import logging
import threading
import uuid
from typing import Any

import numpy as np
from confluent_kafka import Consumer, KafkaError, Message

from api.views import Views
from omega.encoder import DIM
from omega.kafka.acls import API_GROUPS
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import assign_to_read_all, make_consumer
from omega.kafka.topics import CATALOG_TITLES, COVIEW_EDGES, SEARCH_TRENDS, TITLE_VECTORS, TRENDS
from omega.settings import Settings
from omega.titles import title_payload

log = logging.getLogger(__name__)

Record = dict[str, Any]
SCHEMAS = {CATALOG_TITLES: "omega.CatalogTitle", TRENDS: "omega.TrendRelease",
           COVIEW_EDGES: "omega.CoviewEdge", TITLE_VECTORS: "omega.TitleVector",
           SEARCH_TRENDS: "omega.SearchTrendRelease"}
MODEL_PREFIX = "all-MiniLM-L6-v2"


class ViewFollower:
    """One thread: replay the view topics from the start, then follow them."""

    def __init__(self, settings: Settings, codec: AvroCodec, views: Views) -> None:
        self.settings, self.codec, self.views = settings, codec, views
        self.consumer: Consumer = make_consumer(settings, f"{API_GROUPS}{uuid.uuid4().hex[:8]}",
                                                **{"enable.partition.eof": True})
        self.topics = {settings.topic(short): short for short in SCHEMAS}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="views", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.consumer.close()

    def _run(self) -> None:
        try:
            pending = assign_to_read_all(self.consumer, self.topics)
        except Exception as exc:  # noqa: BLE001 - reported by /api/health
            self.error = f"cannot read the view topics: {exc}"
            log.exception("views: cannot assign topics")
            return
        if not pending:
            self.views.caught_up = True
        while not self._stop.is_set():
            messages = self.consumer.consume(1024, 0.5)
            vectors: dict[int, Record | None] = {}  # the batch's last word on each id
            for msg in messages:
                topic, partition, offset = (msg.topic() or "", msg.partition() or 0,
                                            msg.offset() or 0)
                error = msg.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        log.warning("views: %s", error)
                    # Caught up with a partition at its first EOF past the end it had at
                    # start: its last offset may be a transaction marker, never delivered.
                    elif offset >= pending.get((topic, partition), offset + 1):
                        del pending[(topic, partition)]
                    continue
                if topic in self.topics:
                    self._take(self.topics[topic], msg, vectors)
            self._add_vectors(vectors)
            if not pending and not self.views.caught_up:
                self._drop_untitled_vectors()
                self.views.caught_up = True
                # The catalog's ~1M objects live as long as the process: take them out of
                # the cyclic collector's sight, or each full collection walks them all (a
                # tail-latency pause that grows with the catalog).
                gc.collect()
                gc.freeze()
                log.info("views caught up: %d titles, %d vectors (%d objects frozen)",
                         len(self.views.titles),
                         self.views.replica.count() if self.views.replica else -1,
                         gc.get_freeze_count())
            if self.views.replica is not None:
                self.views.replica.maintain()

    def _take(self, short: str, msg: Message, vectors: dict[int, Record | None]) -> None:
        """Decode one record and apply it; a title vector waits in `vectors` for its batch."""
        value = msg.value()
        try:
            if value is None:  # a tombstone: a catalog title or its vector is gone
                title_id = int(msg.key() or b"")
                if short == CATALOG_TITLES:
                    self.views.remove_title(title_id)  # its vector too, even in this batch
                elif short == TITLE_VECTORS:
                    vectors[title_id] = None
                return
            record = self.codec.decode(value, SCHEMAS[short])
        except Exception:  # noqa: BLE001 - count and go on; never die
            self.views.skipped += 1
            log.warning("views: undecodable record on %s@%d skipped (key %r)", msg.topic(),
                        msg.offset(), msg.key())
            return
        if short == TITLE_VECTORS:
            vectors[record["title_id"]] = record
        else:
            self._apply(short, record)

    def _drop_untitled_vectors(self) -> None:
        """Once every topic is read: vectors of titles the catalog does not hold (retired
        ids whose tombstones compaction removed) leave the index."""
        replica = self.views.replica
        if replica is None or not self.views.titles:
            return
        with self.views.lock:
            untitled = replica.ids() - self.views.titles.keys()
        if untitled:
            log.info("views: %d vectors of titles not in the catalog dropped", len(untitled))
            replica.remove(untitled)

    def _apply(self, short: str, record: Record) -> None:
        if short == CATALOG_TITLES:
            self.views.add_title(record)
        elif short == TRENDS:
            self.views.add_release(record)
        elif short == COVIEW_EDGES:
            self.views.add_edge(record)
        elif short == SEARCH_TRENDS:
            self.views.add_search_release(record)

    def _add_vectors(self, batch: dict[int, Record | None]) -> None:
        if self.views.replica is None:
            return
        self.views.replica.remove([i for i, r in batch.items() if r is None])
        records = [r for r in batch.values() if r is not None
                   and r["model"].startswith(MODEL_PREFIX) and len(r["vector"]) == DIM * 4
                   and r["title_id"] not in self.views.retired]
        if not records:
            return
        ids = [r["title_id"] for r in records]
        matrix = np.vstack([np.frombuffer(r["vector"], "<f4") for r in records])
        payloads = [title_payload(self.views.titles[i]) if i in self.views.titles else {}
                    for i in ids]
        self.views.replica.add(ids, matrix, payloads)
