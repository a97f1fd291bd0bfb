"""Internal topics keep raw data only as long as their job needs: set at creation, and
brought to the catalog's values on existing topics by `omega topics create`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

from omega.kafka.clients import ensure_topics, make_admin, update_configs
from omega.kafka.topics import DEAD_LETTERS, DEVICE_STATE, TRENDS, WINDOW_PARTIALS
from omega.settings import Settings
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def topic_config(settings: Settings, short_name: str, key: str) -> int:
    resource = ConfigResource(ResourceType.TOPIC, settings.topic(short_name))
    admin = make_admin(settings)  # held: a collected client fails its pending futures
    configs = next(iter(admin.describe_configs([resource]).values())).result()
    return int(configs[key].value)


def retention_ms(settings: Settings, short_name: str) -> int:
    return topic_config(settings, short_name, "retention.ms")


def shows(settings: Settings, short_name: str, key: str, value: int) -> bool:
    """Whether the broker shows `key` = `value` yet: KRaft applies creations and config
    changes through its metadata log, so a broker answers for them a moment later."""
    try:
        return topic_config(settings, short_name, key) == value
    except KafkaException:  # the topic is not in this broker's metadata yet
        return False


def test_dead_letters_and_partials_are_kept_only_as_long_as_configured(
        kafka_settings: Callable[..., Settings]) -> None:
    settings = kafka_settings(dead_letter_retention_hours=48, partials_retention_hours=2)
    wait_for(lambda: shows(settings, DEAD_LETTERS, "retention.ms", 48 * 3_600_000),
             what="dead letters created with 48 h retention")
    wait_for(lambda: shows(settings, WINDOW_PARTIALS, "retention.ms", 2 * 3_600_000),
             what="window partials created with 2 h retention")
    wait_for(lambda: shows(settings, TRENDS, "retention.ms", 7 * 24 * 3_600_000),
             what="trends with the broker's default week")
    # device-state is compacted: hourly segments, so replaced values go within hours.
    wait_for(lambda: shows(settings, DEVICE_STATE, "segment.ms", 3_600_000),
             what="device-state rolls hourly segments")

    # An existing deployment: the catalog's values are applied to its topics.
    admin = make_admin(settings)
    update_configs(admin, [(settings.topic(DEAD_LETTERS), {"retention.ms": "1"})])
    wait_for(lambda: shows(settings, DEAD_LETTERS, "retention.ms", 1),
             what="retention.ms set to 1")
    assert ensure_topics(settings, update_existing=True) == []
    wait_for(lambda: shows(settings, DEAD_LETTERS, "retention.ms", 48 * 3_600_000),
             what="retention.ms brought back to the catalog's 48 h")
