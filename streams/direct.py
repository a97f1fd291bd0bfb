"""TV deltas without Faust's per-event machinery: a confluent-kafka consume-transform-
produce loop around the same `WindowPipeline` (docs/adr/0001-delta-engine.md).

Why: a Faust agent that does nothing stops at about 17K events/s on a core here, and one
changelogged table write per event brings it to 3.6K/s (`python -m bench.ingest --floor`,
docs/adr/0001-delta-engine.md); issue 5 asks 20K deltas/s per core. librdkafka does the
Kafka work in C and hands over batches.

What it keeps, and how:
- **One state write per delta**, as Faust's table did: the device's new contribution
  (JSON, omega/windows.py) goes to the compacted `device-state` topic, partition =
  the delta's partition; the worker keeps the partition's values in a dict.
- **Exactly-once**: each batch's state writes, dead letters and input offsets are one
  Kafka transaction (`send_offsets_to_transaction` with the consumer group's metadata,
  KIP-447, so a worker that lost its partitions cannot commit for them). The
  transactional.id is the worker's own and survives restarts (a file in its data
  folder), so a restarted worker aborts what its previous incarnation left open.
- **Recovery**: on assignment, a partition's state is read back from `device-state`
  (committed records only, to the end) and its counts rebuilt from it, as Faust did from
  its changelog. In-memory state is never trusted after a failure: a transaction that
  cannot commit ends the process, and the supervisor starts a new one.
- **Window close**: after a committed batch, closed windows of the owned partitions go to
  the releaser as partials (omega/partials.py), exactly as the Faust timer does.

It runs in a thread of the Faust worker process (streams/app.py), which keeps the web
interactions, the releaser and the timers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_consumer, make_producer, produce_waiting, read_to_end
from omega.kafka.topics import DEAD_LETTERS, DEVICE_STATE, TV_DELTAS
from omega.settings import Settings
from omega.windows import DeviceRecord, decode_state, retire, state_bytes
from streams.pipeline import WindowPipeline
from streams.sink import WINDOW_STREAM, read_released_through

log = logging.getLogger(__name__)

# Deltas per transaction: each commit waits on the broker (offsets, markers); at 2,000 the
# waits took about a tenth of the loop's time, at 10,000 a fiftieth (bench/streams.py).
BATCH = 10_000
# A batch's transaction takes about a second; one open this long is stuck, and the worker
# restarts (streams/app.py's watchdog). librdkafka's send_offsets_to_transaction can block
# past its own timeout while the group coordinator is down, and stay blocked after it is
# back (confluentinc/librdkafka#5456, open; seen here in a broker outage). Short, so that
# after a short outage the restarted worker reads its deltas again before they are late.
TRANSACTION_STALL_S = 15.0
# State changes per transaction of a retirement sweep: one transaction for a million
# devices would hold them all in librdkafka's queue and outlast TRANSACTION_STALL_S.
# Each transaction is whole (a device's new state lands or not); a crash between two
# leaves devices not yet swept, which the next sweep after the restart finds again.
SWEEP_BATCH = 20_000
Publish = Callable[[list[dict[str, Any]]], None]


def device_state_changelog(settings: Settings) -> str:
    """The compacted topic the TV loop changelogs device state to."""
    return settings.topic(DEVICE_STATE)


def delta_group(settings: Settings) -> str:
    """The consumer group that reads TV deltas."""
    return f"{settings.streams_app_id}-tv"


def worker_identity(folder: Path) -> str:
    """This worker's stable name (kept in its data folder), for its transactional.id."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "worker-id"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(uuid.uuid4().hex[:12])
        os.replace(tmp, path)
    return path.read_text().strip()


def read_state(settings: Settings, partitions: list[int]) -> dict[int, dict[str, bytes]]:
    """Committed device state of `partitions`, each read to its end, with one consumer (a
    consumer each, one after another, took about 2 s a partition: restarts wait on it)."""
    state: dict[int, dict[str, bytes]] = {p: {} for p in partitions}
    for msg in read_to_end(settings, [settings.topic(DEVICE_STATE)], partitions=partitions,
                           group_id=f"{settings.streams_app_id}-state-restore", batch=5000,
                           timeout_s=300, **{"fetch.min.bytes": 100_000}):
        key, value, partition = msg.key(), msg.value(), msg.partition()
        assert partition is not None
        if key is None:
            continue
        if value is None:
            state[partition].pop(key.decode(), None)
        else:
            state[partition][key.decode()] = value
    return state


def usable_states(table: dict[str, bytes]) -> dict[str, DeviceRecord]:
    """The decoded device states of a restored partition (each decoded once), without
    values that are not a worker's state (a restore never dies on them)."""
    records = {}
    for device, value in table.items():
        try:
            state = orjson.loads(value)
            if not isinstance(state, dict):
                continue
            records[device] = decode_state(state)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
            continue
    return records


class DirectDeltas:
    """The TV delta loop: consume a batch, count it, commit it in one transaction."""

    def __init__(self, settings: Settings, codec: AvroCodec, publish: Publish,
                 released_through: Callable[[], int | None], now_ms: Callable[[], int]) -> None:
        self.settings, self.codec, self.publish = settings, codec, publish
        self.released_through, self.now_ms = released_through, now_ms
        self.pipeline = WindowPipeline(settings, codec)
        self.source = settings.topic(TV_DELTAS)
        self.state_topic = settings.topic(DEVICE_STATE)
        self.dead_topic = settings.topic(DEAD_LETTERS)
        self.tables: dict[int, dict[str, bytes]] = {}
        self.stopping = threading.Event()
        # Set once this loop owns its partitions with their state restored; cleared while
        # a rebalance takes them away (the worker says "ready" only when it is set).
        self.ready = threading.Event()
        self._transaction_since: float | None = None  # monotonic start of the open one
        self.counted = 0
        identity = worker_identity(settings.data_dir / "streams")
        self.consumer: Consumer = make_consumer(
            settings, delta_group(settings), **{
                "fetch.min.bytes": 100_000, "fetch.wait.max.ms": 100,
                "session.timeout.ms": int(settings.streams_session_timeout_s * 1000),
                "heartbeat.interval.ms": int(settings.streams_heartbeat_s * 1000)})
        self.producer = make_producer(settings, **{
            "transactional.id": f"{settings.streams_app_id}-tv-{identity}",
            "linger.ms": 20, "compression.type": "none"})
        self.producer.init_transactions(60)
        self._next_check = 0.0
        self._retired_through: int | None = None  # released window the state was swept at

    # -- assignment ----------------------------------------------------------------------
    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # A partition that moved here: start after what was released, not what we knew.
        self.pipeline.released_through_ms = read_released_through(self.settings, self.codec,
                                                                  WINDOW_STREAM)
        started = time.perf_counter()
        restored = read_state(self.settings, [tp.partition for tp in partitions])
        for partition, table in restored.items():
            states = usable_states(table)
            if len(states) < len(table):  # only a worker writes here (docs/security.md)
                bad = len(table) - len(states)
                log.warning("tv[%d]: %d device-state values are not a worker's state; "
                            "ignored (those devices start afresh)", partition, bad)
                self.pipeline.metrics["state.undecodable"] += bad
                for device in table.keys() - states.keys():
                    del table[device]
            self.tables[partition] = table
            self.pipeline.rebuild_partition(partition, states.values())
            log.info("tv[%d] assigned: its devices' state restored", partition)
        log.info("tv partitions %s restored in %.1f s", sorted(restored),
                 time.perf_counter() - started)
        self.ready.set()

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.ready.clear()
        for tp in partitions:
            self.tables.pop(tp.partition, None)
            self.pipeline.forget_partition("tv", tp.partition)
        log.info("tv partitions revoked: %s", sorted(tp.partition for tp in partitions))

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> None:
        self.consumer.subscribe([self.source], on_assign=self._assigned,
                                on_revoke=self._revoked, on_lost=self._revoked)
        try:
            while not self.stopping.is_set():
                batch = [m for m in self.consumer.consume(BATCH, 0.2) if self._usable(m)]
                if batch:
                    self._commit(batch)
                self._close_windows()
        finally:
            self.consumer.close()
            self.producer.flush(10)

    def stop(self) -> None:
        self.stopping.set()

    def transaction_age_s(self) -> float:
        """How long the open transaction has been open (0 when none is)."""
        since = self._transaction_since
        return 0.0 if since is None else time.monotonic() - since

    def _usable(self, msg: Message) -> bool:
        error = msg.error()
        if error is None:
            return True
        if error.code() != KafkaError._PARTITION_EOF:
            log.warning("tv consumer: %s", error)
        return False

    def _commit(self, batch: list[Message]) -> None:
        self._transaction_since = time.monotonic()
        try:
            self._transact(batch)
        finally:
            self._transaction_since = None

    def _transact(self, batch: list[Message]) -> None:
        producer, now = self.producer, self.now_ms()
        producer.begin_transaction()
        offsets: dict[int, int] = {}
        for msg in batch:
            partition = msg.partition()
            assert partition is not None
            table = self.tables.get(partition)
            if table is None:  # revoked while the batch was fetched: the new owner has it
                continue
            offsets[partition] = msg.offset() + 1  # type: ignore[operator]
            self._count(msg, partition, table, now)
        producer.poll(0)
        if not offsets:  # every message was of partitions revoked meanwhile: nothing done
            producer.abort_transaction(30)
            return
        producer.send_offsets_to_transaction(
            [TopicPartition(self.source, p, o) for p, o in offsets.items()],
            self.consumer.consumer_group_metadata(), 30)
        producer.commit_transaction(60)
        self.counted += len(batch)

    def _count(self, msg: Message, partition: int, table: dict[str, bytes], now: int) -> None:
        key, raw = msg.key(), msg.value() or b""

        def state(device: str) -> object:
            value = table.get(device)
            return None if value is None else orjson.loads(value)

        try:
            accepted = self.pipeline.accept_delta(key, raw, state, now, partition)
        except Exception as exc:  # noqa: BLE001 - a worker never dies on bad input
            letter_key, letter = self.pipeline.dead_letter(
                exc, raw, key, self.source, partition, msg.offset() or 0)
            produce_waiting(self.producer, self.dead_topic, letter_key, letter)
            return
        if accepted.state is not None:
            value = state_bytes(accepted.state)
            table[accepted.unit] = value
            produce_waiting(self.producer, self.state_topic, accepted.unit.encode(), value,
                            partition=partition)

    def _close_windows(self) -> None:
        """Hand each owned partition's closed windows to the releaser (committed data only:
        called between transactions)."""
        if time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self.settings.release_check_interval_s
        released = self.released_through()
        if released is not None and (self.pipeline.released_through_ms is None
                                     or released > self.pipeline.released_through_ms):
            self.pipeline.released_through_ms = released
        published = 0
        for records in self.pipeline.take_due(self.now_ms(), {"tv": set(self.tables)}):
            self.publish(records)
            published += 1
        if published:
            log.info("tv partials published; faults so far: %s",
                     self.pipeline.health_metrics() or "none")
        if (self.pipeline.released_through_ms is not None
                and self.pipeline.released_through_ms != self._retired_through):
            self.retire_released(self.pipeline.released_through_ms)

    def retire_released(self, released_through_ms: int) -> int:
        """Rewrite, in transactions of at most SWEEP_BATCH, the state of every owned device
        whose windows are all released: its titles dropped (ledger kept), or a tombstone
        once no ledger cap can see its charges, so `device-state` holds no raw data it no
        longer needs. Returns how many devices changed."""
        keep_ms = self.pipeline.policy.keep_ms
        changes: list[tuple[int, str, bytes | None]] = []
        for partition, table in self.tables.items():
            for device, value in table.items():
                state = orjson.loads(value)
                retired = retire(state, released_through_ms, keep_ms)
                if retired is not state:
                    changes.append((partition, device,
                                    None if retired is None else state_bytes(retired)))
        for start in range(0, len(changes), SWEEP_BATCH):
            self._write_sweep(changes[start:start + SWEEP_BATCH])
        self._retired_through = released_through_ms
        return len(changes)

    def _write_sweep(self, changes: list[tuple[int, str, bytes | None]]) -> None:
        """One transaction of a sweep's changes; the tables follow once it commits."""
        self._transaction_since = time.monotonic()
        try:
            self.producer.begin_transaction()
            for partition, device, new in changes:
                produce_waiting(self.producer, self.state_topic, device.encode(), new,
                                partition=partition)
            self.producer.commit_transaction(60)
        finally:
            self._transaction_since = None
        for partition, device, new in changes:
            if new is None:
                self.tables[partition].pop(device, None)
            else:
                self.tables[partition][device] = new
