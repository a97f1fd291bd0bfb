"""A retirement sweep of a million devices commits, without filling the producer's queue.

`make run`'s worker once died with `BufferError: Local: Queue full` here: the sweep put
one state write per changed device into one transaction and only called `poll(0)`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer, read_to_end
from omega.settings import Settings
from omega.windows import state_bytes
from streams.direct import SWEEP_BATCH, DirectDeltas, device_state_changelog
from tests.conftest import as_role

pytestmark = pytest.mark.integration

DEVICES = 1_000_000
WINDOW_MS = 60_000
RELEASED_MS = 1_700_000_040_000 // WINDOW_MS * WINDOW_MS


def test_a_million_device_sweep_commits_every_change(
        kafka_settings: Callable[..., Settings], codec: AvroCodec) -> None:
    settings = as_role(kafka_settings(window_seconds=60), "worker")
    engine = DirectDeltas(settings, codec, publish=lambda _records: None,
                          released_through=lambda: RELEASED_MS, now_ms=lambda: RELEASED_MS)
    # A queue a tenth of librdkafka's default, as a loaded broker makes it: Python hands
    # over records faster than acknowledgements free room, so the sweep must wait for it.
    engine.producer.close()
    engine.producer = make_producer(settings, **{
        "transactional.id": f"{settings.streams_app_id}-sweep-test",
        "queue.buffering.max.messages": 10_000, "linger.ms": 20})
    engine.producer.init_transactions(60)
    try:
        # Every device counted in the released window: its titles go, its ledger stays.
        counted = state_bytes({"w": [[RELEASED_MS, [1, 2], [1]]], "l": [[RELEASED_MS, 0.2]]})
        partitions = settings.delta_partitions
        engine.tables = {p: {} for p in range(partitions)}
        for i in range(DEVICES):
            engine.tables[i % partitions][f"tv-{i}"] = counted
        assert DEVICES > 5 * SWEEP_BATCH  # more than one transaction, and than the queue

        assert engine.retire_released(RELEASED_MS) == DEVICES
    finally:
        engine.consumer.close()
        engine.producer.close()

    retired = state_bytes({"w": [], "l": [[RELEASED_MS, 0.2]]})
    assert all(value == retired for table in engine.tables.values() for value in table.values())
    latest: dict[bytes, bytes | None] = {}
    for msg in read_to_end(settings, [device_state_changelog(settings)], batch=10_000,
                           timeout_s=300):
        latest[msg.key()] = msg.value()  # type: ignore[index]
    assert len(latest) == DEVICES
    assert set(latest.values()) == {retired}
