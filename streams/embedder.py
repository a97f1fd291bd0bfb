"""`omega-embedder`: catalog titles and released co-view edges → blended vectors → index
and the title-vectors topic.

A plain confluent-kafka consumer loop rather than a Faust agent: it embeds titles in
batches (one ONNX call per ≤ 256 titles) and its state is the index itself, rebuilt on
start by replaying the two compacted topics it reads (catalog, co-view edges). Text
vectors are cached in RocksDB by hash(model, text), so a restart re-embeds nothing that
did not change. Upserts are by title id, so replays are idempotent. A catalog tombstone
(a retired id, omega/data/twins.py) deletes the title's point and tombstones its vector on
the title-vectors topic; after the replay, points of titles the catalog no longer holds
(their tombstones compacted away) are deleted the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition
from rocksdict import Rdict

from omega.encoder import DIM, Precision, TextEncoder, load_encoder
from omega.index import VectorIndex, open_index
from omega.kafka.acls import embedder_group
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import (
    assign_to_read_all,
    make_consumer,
    make_producer,
    produce_waiting,
    read_to_end,
    records_on,
    settings_or_exit,
)
from omega.kafka.codecs import codec_for
from omega.kafka.topics import CATALOG_TITLES, COVIEW_EDGES, TITLE_VECTORS
from omega.settings import Settings
from omega.titles import title_payload, title_text
from streams.blend import CoviewGraph, blend

log = logging.getLogger(__name__)
BATCH = 256


class VectorPublisher:
    """Every vector the index gets also goes to the compacted title-vectors topic, where
    API replicas materialize their own index from it (Qdrant Edge is in-process)."""

    def __init__(self, settings: Settings, codec: AvroCodec, model_id: str,
                 alpha: float) -> None:
        self.producer = make_producer(settings)
        self.topic, self.codec = settings.topic(TITLE_VECTORS), codec
        self.model_id, self.alpha = model_id, alpha

    def publish(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        at_ms = int(time.time() * 1000)
        for title_id, vector in zip(ids, vectors, strict=True):
            record = {"title_id": int(title_id), "model": self.model_id, "alpha": self.alpha,
                      "vector": vector.astype("<f4").tobytes(), "at_ms": at_ms}
            produce_waiting(self.producer, self.topic, str(title_id).encode(),
                            self.codec.encode("omega.TitleVector", record))

    def retire(self, ids: Iterable[int]) -> None:
        """Tombstones: API replicas drop these titles' vectors."""
        for title_id in ids:
            produce_waiting(self.producer, self.topic, str(title_id).encode(), None)

    def flush(self) -> None:
        left = self.producer.flush(60)
        if left:
            raise RuntimeError(f"{left} title vectors not acknowledged by Kafka in 60 s")


class TitleEmbedder:
    """Keeps text vectors, the co-view graph and the index in step."""

    def __init__(self, encoder: TextEncoder, index: VectorIndex, alpha: float,
                 cache: Rdict | None, model_id: str,
                 publisher: VectorPublisher | None = None) -> None:
        self.encoder, self.index, self.alpha = encoder, index, alpha
        self.cache, self.model_id, self.publisher = cache, model_id, publisher
        self.text_vectors: dict[int, np.ndarray] = {}
        self.payloads: dict[int, dict[str, Any]] = {}
        self.graph = CoviewGraph()
        self.embedded = 0

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha256(f"{self.model_id}\n{t}".encode()).hexdigest() for t in texts]
        out = np.zeros((len(texts), DIM), np.float32)
        missing = []
        for i, key in enumerate(keys):
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is None:
                missing.append(i)
            else:
                out[i] = np.frombuffer(cached, np.float32)
        if missing:
            vectors = self.encoder.encode([texts[i] for i in missing])
            self.embedded += len(missing)
            for i, vector in zip(missing, vectors, strict=True):
                out[i] = vector
                if self.cache is not None:
                    self.cache[keys[i]] = vector.tobytes()
        return out

    def on_titles(self, records: Sequence[dict[str, Any]]) -> int:
        """Embed new or changed titles; upsert them and their neighbours. Returns upserts."""
        changed = [r for r in records
                   if self.payloads.get(r["title_id"]) != title_payload(r)
                   or r["title_id"] not in self.text_vectors]
        if not changed:
            return 0
        vectors = self._embed([title_text(r) for r in changed])
        for record, vector in zip(changed, vectors, strict=True):
            self.text_vectors[record["title_id"]] = vector
            self.payloads[record["title_id"]] = title_payload(record)
        touched = {r["title_id"] for r in changed}
        for title in list(touched):
            touched |= set(self.graph.neighbours(title))
        return self._upsert(touched)

    def on_retired(self, ids: Iterable[int]) -> int:
        """Delete retired titles' points and vectors; re-blend their neighbours. Returns
        the neighbours upserted."""
        retired = sorted(set(ids))
        if not retired:
            return 0
        touched: set[int] = set()
        for title_id in retired:
            self.text_vectors.pop(title_id, None)
            self.payloads.pop(title_id, None)
            touched |= set(self.graph.neighbours(title_id))
        self.index.delete(retired)
        if self.publisher is not None:
            self.publisher.retire(retired)
        upserts = self._upsert(touched - set(retired))
        if self.publisher is not None:
            self.publisher.flush()
        return upserts

    def retire_unlisted(self) -> int:
        """After a replay: delete the points of titles the catalog no longer holds (a
        restart after compaction removed their tombstones). Returns how many."""
        if not self.text_vectors:
            return 0  # no catalog read: nothing to compare the index with
        stale = self.index.ids() - set(self.text_vectors)
        if stale:
            log.info("deleting %d indexed titles the catalog no longer holds", len(stale))
            self.on_retired(stale)
        return len(stale)

    def on_edges(self, records: Iterable[dict[str, Any]]) -> int:
        touched = self.graph.add((r["title_a"], r["title_b"], r["noisy_count"]) for r in records)
        return self._upsert(touched)

    def _upsert(self, titles: Iterable[int]) -> int:
        ready = sorted(t for t in titles if t in self.text_vectors)
        for start in range(0, len(ready), BATCH):
            batch = ready[start:start + BATCH]
            vectors = np.vstack([blend(t, self.text_vectors, self.graph, self.alpha)
                                 for t in batch])
            self.index.upsert(batch, vectors, [self.payloads[t] for t in batch])
            if self.publisher is not None:
                self.publisher.publish(batch, vectors)
        if self.publisher is not None and ready:
            self.publisher.flush()
        return len(ready)


def run(settings: Settings, embedder: TitleEmbedder, codec: AvroCodec, follow: bool) -> None:
    """Replay both topics from the start to their ends, then delete what the catalog no
    longer holds; with `follow`, keep up with them."""
    topics = {settings.topic(CATALOG_TITLES): "omega.CatalogTitle",
              settings.topic(COVIEW_EDGES): "omega.CoviewEdge"}
    progress = EmbedProgress(records_on(settings, settings.topic(CATALOG_TITLES)))
    consumer = _follower(settings, topics) if follow else None
    try:
        chunk: list[Message] = []
        for msg in read_to_end(settings, topics, group_id=embedder_group(settings),
                               batch=BATCH * 4):
            chunk.append(msg)
            if len(chunk) == BATCH * 4:
                _embed(embedder, codec, topics, chunk, progress)
                chunk = []
        _embed(embedder, codec, topics, chunk, progress)
        embedder.retire_unlisted()
        if embedder.index.count():
            embedder.index.optimize()
        while consumer is not None:
            messages = consumer.consume(BATCH * 4, 1.0)
            if messages:
                _embed(embedder, codec, topics, messages, progress)
            elif embedder.index.count():
                embedder.index.optimize()  # background; queries never wait for it
    finally:
        if consumer is not None:
            consumer.close()


class EmbedProgress:
    """How long until every title is searchable, from this run's measured rate: a first
    run embeds the whole catalog, and how fast depends on the machine and its load."""

    def __init__(self, catalog_records: int) -> None:
        self.expected = catalog_records  # less the tombstones of retired ids, as read
        self.started = time.monotonic()

    def line(self, embedder: TitleEmbedder) -> str:
        ready, elapsed = len(embedder.text_vectors), time.monotonic() - self.started
        if not embedder.embedded or ready >= self.expected:
            return f"{ready:,} titles searchable ({embedder.embedded:,} embedded, {elapsed:.0f} s)"
        rate = embedder.embedded / max(elapsed, 1e-3)
        left_min = (self.expected - ready) / rate / 60
        return (f"{ready:,} of about {self.expected:,} titles searchable; embedding "
                f"{rate:,.0f} titles/s here, so about {left_min:,.0f} min left")


def _follower(settings: Settings, topics: dict[str, str]) -> Consumer:
    """A consumer at the ends the topics have now: it follows from where the replay
    (which reads at least that far) leaves off."""
    consumer: Consumer = make_consumer(settings, embedder_group(settings))
    ends = assign_to_read_all(consumer, topics)
    consumer.assign([TopicPartition(tp.topic, tp.partition,
                                    ends.get((tp.topic, tp.partition), OFFSET_BEGINNING))
                     for tp in consumer.assignment()])
    return consumer


def _embed(embedder: TitleEmbedder, codec: AvroCodec, topics: dict[str, str],
           messages: list[Message], progress: EmbedProgress) -> None:
    """Decode a batch of catalog titles (tombstones: retired ids) and co-view edges and
    upsert or delete what they change."""
    titles: dict[int, dict[str, Any] | None] = {}  # the batch's last word on each id
    edges: list[dict[str, Any]] = []
    for msg in messages:
        value, topic = msg.value(), msg.topic()
        if msg.error() is not None or topic is None:
            continue
        catalog = topics[topic] == "omega.CatalogTitle"
        try:
            if value is None:
                if catalog:
                    titles[int(msg.key() or b"")] = None
                continue
            record = codec.decode(value, topics[topic])
        except Exception:  # noqa: BLE001 - log, count, keep going
            log.exception("undecodable record on %s@%d", msg.topic(), msg.offset())
            continue
        if catalog:
            titles[record["title_id"]] = record
        else:
            edges.append(record)
    live = [r for r in titles.values() if r is not None]
    progress.expected -= len(titles) - len(live)  # tombstones are no titles to embed
    upserts = (embedder.on_retired(t for t, r in titles.items() if r is None)
               + embedder.on_titles(live) + embedder.on_edges(edges))
    log.info("upserted %d vectors; %s", upserts, progress.line(embedder))


def model_id(precision: Precision) -> str:
    return f"all-MiniLM-L6-v2-{precision}"


def build_embedder(settings: Settings, codec: AvroCodec,
                   precision: Precision = "fp32") -> TitleEmbedder:
    encoder = load_encoder(settings.data_dir / "models", precision)
    index = open_index(settings.data_dir, settings.qdrant_url, settings.index_quantization)
    cache_dir = settings.data_dir / "text-vector-cache"
    publisher = VectorPublisher(settings, codec, model_id(precision), settings.blend_alpha)
    return TitleEmbedder(encoder, index, settings.blend_alpha, Rdict(str(cache_dir)),
                         model_id(precision), publisher)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omega-embedder",
        description="Embed catalog titles with MiniLM (ONNX), blend them with released co-view "
                    "neighbours and keep the vector index (Qdrant Edge, or OMEGA_QDRANT_URL) "
                    "up to date.",
        epilog="example: omega-embedder --follow   |   omega-embedder --precision int8")
    parser.add_argument("--follow", action="store_true", help="keep consuming new records")
    parser.add_argument("--precision", choices=["fp32", "int8"], default="fp32")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_or_exit("omega-embedder")
    codec = codec_for(settings)
    embedder = build_embedder(settings, codec, args.precision)
    try:
        run(settings, embedder, codec, args.follow)
    except KeyboardInterrupt:
        pass
    finally:
        embedder.index.close()
        if isinstance(embedder.cache, Rdict):
            embedder.cache.close()


if __name__ == "__main__":
    main()

