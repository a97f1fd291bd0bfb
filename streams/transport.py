"""Faust's transport classes, with the fixes that keep exactly-once from losing events.

In a module of its own: Faust's `Service` subclasses attach a NullHandler to their
module's logger, which would swallow the log lines of anything else defined here.

1. **Commits include every table write made before them** (`FlushingTransactionManager`).
   Table changelog writes go through Faust's producer buffer (`send_soon`). In
   at-least-once mode Faust flushes that buffer before committing offsets; its
   exactly-once commit does not (faust 0.15.3, `TransactionManager.commit`), so a table
   write can land in the *next* transaction after its input offset was already
   committed, and be lost if that transaction aborts (crash, fencing, rebalance).
   Flushing first puts every write made so far in the transaction that commits its
   offsets. A write for a later offset may ride along; replaying that event is harmless
   (state dedups by sequence number and query).
   Faust's flush alone is not enough (`AcknowledgingProducer`): the buffer's flush waits
   at most 0.1 s for each message and never for the one its send task has already taken
   off the queue, so one write could still miss its commit (tests/streams/
   test_recovery.py shows it). That fits the one TV device (its titles and its pair) a
   CI run of the SIGKILL test lost on 2026-12-01, whose worker log was not kept. The
   producer now keeps every buffered message until Kafka acknowledges it, and its flush
   waits for all of them.
2. **A partition with no committed offset is rewound too** (`rewinding_consumer`).
   Faust drops records it fetched while the flow was stopped (rebalance, recovery) and
   relies on "seek to committed offsets" to read them again (faust 0.15.3,
   `Consumer.getmany`). aiokafka's `seek_to_committed` only seeks when the committed
   offset is > 0, so on a partition nobody has committed yet (a new topic, the first
   web interactions) dropped records were skipped for good: one web search went
   missing that way in the SIGKILL test. Such partitions now go back to their first
   offset, which is what "nothing committed, auto.offset.reset=earliest" means; events
   read twice are harmless for the same reason as above.
3. **Seeks happen with the flow stopped** (`rewinding_consumer`'s `perform_seek`). After
   table recovery Faust resumes the source partitions and seeks them to their committed
   offsets with its flow already running (faust 0.15.3, `Recovery.on_recovery_completed`;
   recovery resumed the flow to read the changelogs). Records fetched from the old
   positions then reach the agents in the middle of the seek, and its read-offset
   bookkeeping (a record below the last one read is dropped as already seen) skips the
   rewound records up to one delivered late: a local loop of the SIGKILL test lost one TV
   device that way, beside a "duplicate" dead letter for the one read twice. With the
   flow stopped, records fetched meanwhile are dropped and read again from the new
   positions.
4. **The commit monitor sees transactional commits** (`record_commits`). Faust's monitor
   (`verify_event_path`, every few seconds) logs ERROR "Has not committed TP(...) at all
   since worker start" for each partition whose last commit it does not know, and only
   its non-transactional commit records one (faust 0.15.3, `AIOKafkaConsumerThread.
   _commit`). Under exactly-once every commit goes through the transaction manager, so
   a healthy worker logged that ERROR for every web partition. The transaction manager
   now records its commits where the monitor looks, so a partition whose commits really
   stop is still reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from time import monotonic
from typing import Any

from faust.transport.consumer import TransactionManager
from faust.transport.drivers.aiokafka import Consumer, Producer, ensure_aiokafka_TPset
from faust.types import TP
from faust.types.tuples import FutureMessage

#: How long a flush waits for Kafka to acknowledge the buffered messages before it fails
#: (and with it the commit: the worker restarts and re-reads the events).
ACK_TIMEOUT_S = 60.0


class Unacknowledged:
    """Messages handed to a producer that Kafka has not acknowledged yet, and any that
    failed: a commit must wait for the first and must not happen after the second."""

    def __init__(self) -> None:
        self.pending: set[asyncio.Future[Any]] = set()
        self.failed: list[BaseException] = []

    def add(self, fut: asyncio.Future[Any]) -> None:
        self.pending.add(fut)
        fut.add_done_callback(self._done)

    def _done(self, fut: asyncio.Future[Any]) -> None:
        self.pending.discard(fut)
        if fut.cancelled():
            self.failed.append(asyncio.CancelledError("a buffered message was cancelled"))
        elif fut.exception() is not None:
            self.failed.append(fut.exception())  # type: ignore[arg-type]  # checked just above

    async def wait(self, timeout_s: float) -> None:
        """Return once every message added so far is acknowledged; raise if one failed or
        some are still unacknowledged after `timeout_s`."""
        if self.pending:
            _, late = await asyncio.wait(set(self.pending), timeout=timeout_s)
            if late:
                raise RuntimeError(f"{len(late)} buffered message(s) not acknowledged by "
                                   f"Kafka in {timeout_s:.0f} s")
        if self.failed:
            raise RuntimeError(f"{len(self.failed)} buffered message(s) failed to send; "
                               f"the first: {self.failed[0]!r}") from self.failed[0]


class AcknowledgingProducer(Producer):
    """Faust's producer, but `flush` returns only when every message given to
    `send_soon` (table changelog writes) is acknowledged by Kafka."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.unacknowledged = Unacknowledged()

    def send_soon(self, fut: FutureMessage) -> None:
        self.unacknowledged.add(fut)
        super().send_soon(fut)

    async def flush(self) -> None:
        await super().flush()
        await self.unacknowledged.wait(ACK_TIMEOUT_S)


class FlushingTransactionManager(TransactionManager):
    """Faust's transaction manager, but buffered sends join the commit they belong to,
    and the commit monitor learns of each commit (fix 4 above)."""

    async def commit(self, offsets: Mapping[TP, int],
                     start_new_transaction: bool = True) -> bool:
        await self.flush()
        committed: bool = await super().commit(offsets, start_new_transaction)
        if committed and offsets:
            record_commits(self.consumer, offsets, monotonic())
        return committed


def record_commits(consumer: Any, offsets: Mapping[TP, int], at: float) -> None:
    """Tell Faust's commit monitor (`verify_event_path`) that `offsets` were committed at
    `at` (time.monotonic, the monitor's clock). Only its non-transactional commit does."""
    committed_at = getattr(getattr(consumer, "_thread", None), "tp_last_committed_at", None)
    if committed_at is not None:
        committed_at.update({tp: at for tp in offsets})


def needs_rewind(committed: Mapping[TP, int | None], topics: Collection[str]) -> list[TP]:
    """The partitions of `topics` that "seek to committed" leaves where the fetcher was."""
    return sorted(tp for tp, offset in committed.items() if not offset and tp.topic in topics)


def rewinding_consumer(topics: Collection[str]) -> type[Consumer]:
    """Faust's aiokafka consumer, but uncommitted partitions of `topics` rewind too, and
    seeks stop the flow while they run."""
    rewound = frozenset(topics)

    class RewindingConsumer(Consumer):
        async def perform_seek(self) -> None:
            """Seek with the flow stopped (fix 3 above); as it was afterwards."""
            was_active = self.flow_active
            self.stop_flow()  # records fetched meanwhile are dropped, and read again
            try:
                await super().perform_seek()
            finally:
                if was_active:
                    self.resume_flow()

        async def seek_to_committed(self) -> Mapping[TP, int]:
            committed: Mapping[TP, int] = await super().seek_to_committed()
            fresh = needs_rewind(committed, rewound)
            if fresh:
                await self._thread.seek_to_beginning(*ensure_aiokafka_TPset(fresh))
            return committed

    return RewindingConsumer
