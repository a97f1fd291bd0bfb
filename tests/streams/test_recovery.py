"""Three recovery gaps closed (streams/transport.py, streams/recovery.py), on known answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import faust
import pytest
from faust.transport.drivers.aiokafka import Producer as FaustProducer
from faust.types import TP
from faust.types.tuples import FutureMessage, PendingMessage

from streams.recovery import mark_clean_stop, prepare_table_dir
from streams.transport import AcknowledgingProducer, Unacknowledged, needs_rewind


def test_partitions_without_a_committed_offset_of_source_topics_are_rewound() -> None:
    committed = {TP("web", 0): None, TP("web", 1): 0, TP("web", 2): 17,
                 TP("app-device-contributions-changelog", 0): None}
    assert needs_rewind(committed, {"web"}) == [TP("web", 0), TP("web", 1)]
    assert needs_rewind(committed, {"tv"}) == []


def test_tables_are_wiped_after_an_unclean_stop_only(tmp_path: Path) -> None:
    tables, markers = tmp_path / "v1" / "tables", tmp_path
    (tables / "device-contributions-0.db").mkdir(parents=True)
    (tables / "device-contributions-0.db" / "000001.sst").write_bytes(b"dirty")

    mark_clean_stop(markers)
    assert prepare_table_dir(tables, markers) is False  # clean stop: local state kept
    assert (tables / "device-contributions-0.db" / "000001.sst").exists()

    assert prepare_table_dir(tables, markers) is True  # this run never marked: crash
    assert not tables.exists()


def test_a_first_start_or_empty_tables_wipe_nothing(tmp_path: Path) -> None:
    assert prepare_table_dir(tmp_path / "absent", tmp_path) is False
    (tmp_path / "empty").mkdir()
    assert prepare_table_dir(tmp_path / "empty", tmp_path) is False
    assert (tmp_path / "empty").exists()


class AcknowledgedLater:
    """A changelog topic as the producer's send task sees it: the message is handed over
    at once and Kafka acknowledges it `delay_s` later."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        asyncio.get_running_loop().call_later(self.delay_s, fut.set_result,
                                              cast(Any, "acknowledged"))


def table_write(channel: AcknowledgedLater) -> FutureMessage:
    return FutureMessage(PendingMessage(
        channel=cast(Any, channel), key=b"dev-1", value=b"{}", partition=0, timestamp=None,
        headers=None, key_serializer=None, value_serializer=None, callback=None))


def test_flush_waits_for_table_writes_the_send_task_already_took() -> None:
    """Faust's own flush returns once its queue is empty, with the writes its send task
    holds still unacknowledged: a commit then could land before them (streams/transport.py)."""
    async def run() -> tuple[list[bool], list[bool]]:
        producer = AcknowledgingProducer(faust.App("t", web_enabled=False).transport)
        await producer.buffer.start()
        try:
            writes = [table_write(AcknowledgedLater(0.3)) for _ in range(3)]
            for write in writes:
                producer.send_soon(write)
            await asyncio.sleep(0.05)  # the send task takes them off the queue
            await FaustProducer.flush(producer)
            after_faust = [w.done() for w in writes]
            await producer.flush()
            return after_faust, [w.done() for w in writes]
        finally:
            await producer.buffer.stop()

    after_faust, after_ours = asyncio.run(run())
    assert after_faust == [False, False, False]
    assert after_ours == [True, True, True]


def test_a_failed_or_unacknowledged_write_fails_the_flush() -> None:
    async def wait_for(*futures: asyncio.Future[str]) -> None:
        unacked = Unacknowledged()
        for fut in futures:
            unacked.add(fut)
        await unacked.wait(timeout_s=0.2)

    async def acknowledged() -> None:
        fut = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.05, fut.set_result, "ok")
        await wait_for(fut)
        assert fut.done()

    async def failed() -> None:
        fut = asyncio.get_running_loop().create_future()
        fut.set_exception(ConnectionError("broker gone"))
        await asyncio.sleep(0)  # its done-callback runs: the failure is remembered
        await wait_for(fut)

    async def never() -> None:
        await wait_for(asyncio.get_running_loop().create_future())

    asyncio.run(acknowledged())
    with pytest.raises(RuntimeError, match="1 buffered message.s. failed to send.*broker gone"):
        asyncio.run(failed())
    with pytest.raises(RuntimeError, match="1 buffered message.s. not acknowledged by Kafka"):
        asyncio.run(never())
