"""A changed partition count would move devices away from their ledgers (device state is
kept per delta partition): the worker, `omega topics create` and every caller of
`ensure_topics` refuse it before anything is created, saying what to do."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka.admin import NewPartitions  # type: ignore[attr-defined]

from omega.kafka.clients import ensure_topics, make_admin
from omega.kafka.partitions import PartitionsChanged
from omega.kafka.topics import DEVICE_STATE, TV_DELTAS
from omega.settings import Settings
from tests.conftest import as_role, wait_for

pytestmark = pytest.mark.integration


def partitions(settings: Settings, short_name: str) -> int:
    topics = make_admin(settings).list_topics(timeout=10).topics
    name = settings.topic(short_name)
    return len(topics[name].partitions) if name in topics else 0


def test_a_changed_partition_count_is_refused_at_start(
        kafka_settings: Callable[..., Settings]) -> None:
    from streams.app import build_app

    settings = kafka_settings(delta_partitions=4)
    wait_for(lambda: partitions(settings, DEVICE_STATE) == 4, what="device-state created")
    assert ensure_topics(settings) == []  # the count it was made with: nothing to say

    changed = settings.model_copy(update={"delta_partitions": 8})
    with pytest.raises(PartitionsChanged, match="Set OMEGA_DELTA_PARTITIONS=4"):
        ensure_topics(changed)
    with pytest.raises(PartitionsChanged, match="move units away from their ledgers"):
        build_app(as_role(changed, "worker"))  # the worker stops before it reads a delta
    assert partitions(settings, TV_DELTAS) == 4 and partitions(settings, DEVICE_STATE) == 4

    # Partitions added to the deltas' topic by hand: devices are keyed anew, and their
    # ledgers stay behind, whatever the settings say.
    admin = make_admin(settings)
    for future in admin.create_partitions(
            [NewPartitions(settings.topic(TV_DELTAS), 6)]).values():
        future.result()
    wait_for(lambda: partitions(settings, TV_DELTAS) == 6, what="tv-deltas at 6 partitions")
    for count in (4, 6):
        with pytest.raises(PartitionsChanged, match="disagree on their partition count"):
            ensure_topics(settings.model_copy(update={"delta_partitions": count}))
