"""Kafka client factories: every client Omega opens comes from here, configured alike."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
    ResourceType,
)

from omega.kafka.acls import READ_TO_END_GROUPS, apply_acls
from omega.kafka.partitions import PER_UNIT, check_partitions
from omega.kafka.topics import TopicSpec, topic_catalog
from omega.settings import Settings

log = logging.getLogger(__name__)


class KafkaUnavailable(RuntimeError):
    """No Kafka to talk to; the message says how to get one."""


def bootstrap_servers(settings: Settings) -> str:
    """OMEGA_KAFKA_BOOTSTRAP when set, else the local broker started by `omega kafka start`."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    state_file = settings.data_dir / "kafka" / "broker.json"
    if state_file.exists():
        bootstrap: str = json.loads(state_file.read_text())["bootstrap"]
        return bootstrap
    raise KafkaUnavailable(
        "no Kafka to connect to: start the local broker with `omega kafka start` "
        "or set OMEGA_KAFKA_BOOTSTRAP=host:port"
    )


def client_config(settings: Settings) -> dict[str, Any]:
    """Where the cluster is and who this component is: SASL/SCRAM-SHA-512 with
    OMEGA_KAFKA_USERNAME and OMEGA_KAFKA_PASSWORD when set, over TLS checked against
    OMEGA_KAFKA_SSL_CA when that is set (docs/security.md)."""
    config: dict[str, Any] = {"bootstrap.servers": bootstrap_servers(settings)}
    tls = settings.kafka_ssl_ca is not None
    if settings.kafka_username:
        config |= {"security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
                   "sasl.mechanism": "SCRAM-SHA-512",
                   "sasl.username": settings.kafka_username,
                   "sasl.password": settings.kafka_password or ""}
    elif tls:
        config["security.protocol"] = "SSL"
    if tls:
        config["ssl.ca.location"] = str(settings.kafka_ssl_ca)
    return config


def producer_config(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Idempotent, acks=all: a retried send is never written twice."""
    config: dict[str, Any] = {
        **client_config(settings),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
    }
    config.update(overrides)
    return config


def make_producer(settings: Settings, **overrides: Any) -> Producer:
    return Producer(producer_config(settings, **overrides))


def make_consumer(settings: Settings, group_id: str, **overrides: Any) -> Consumer:
    """A consumer that reads committed data only, from the start when it has no offset."""
    config: dict[str, Any] = {
        **client_config(settings),
        "group.id": group_id,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    }
    config.update(overrides)
    return Consumer(config)


def make_admin(settings: Settings) -> AdminClient:
    return AdminClient(client_config(settings))


def check_reachable(settings: Settings, timeout_s: float = 5.0) -> None:
    """Raise KafkaUnavailable with a clear message when the cluster does not answer."""
    bootstrap = bootstrap_servers(settings)
    admin = AdminClient({**client_config(settings), "log_level": 0})
    try:
        admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"Kafka at {bootstrap} did not answer in {timeout_s:.0f} s ({exc}); is it running? "
            "Start the local one with `omega kafka start` or fix OMEGA_KAFKA_BOOTSTRAP"
        ) from exc


def ensure_topics(settings: Settings, specs: list[TopicSpec] | None = None,
                  update_existing: bool = False) -> list[str]:
    """Create the catalog's topics that do not exist yet; returns the names created. With
    `update_existing`, existing topics get the catalog's retention and cleanup policy.
    Raises PartitionsChanged, before creating any, when the topics keyed by device or
    session exist with another partition count than the settings' (omega/kafka/partitions.py)."""
    specs = specs if specs is not None else list(topic_catalog(settings).values())
    admin = make_admin(settings)
    metadata = admin.list_topics(timeout=10).topics
    if any(spec.short_name in PER_UNIT for spec in specs):
        check_partitions(settings, metadata)
    existing = set(metadata)
    wanted = [
        NewTopic(settings.topic(spec.short_name), num_partitions=spec.partitions,
                 replication_factor=1 if not settings.kafka_bootstrap else -1,
                 config=spec.config())
        for spec in specs if settings.topic(spec.short_name) not in existing
    ]
    if update_existing:
        update_configs(admin, [(settings.topic(spec.short_name), spec.config())
                               for spec in specs if settings.topic(spec.short_name) in existing])
    created = []
    for name, future in admin.create_topics(wanted).items() if wanted else []:
        try:
            future.result()
            created.append(name)
        except KafkaException as exc:
            if exc.args[0].name() in ("TOPIC_AUTHORIZATION_FAILED",
                                      "CLUSTER_AUTHORIZATION_FAILED"):
                raise KafkaUnavailable(
                    f"topic {name} does not exist and {settings.kafka_username} may not "
                    "create it: run `omega topics create` as the admin first "
                    "(docs/security.md)") from exc
            if exc.args[0].name() != "TOPIC_ALREADY_EXISTS":
                raise
    if created:
        log.info("created topics %s", ", ".join(sorted(created)))
    return created


def ensure_topics_and_acls(settings: Settings) -> tuple[list[str], int]:
    """As the admin: the catalog's topics (retention brought up to date), and every role's
    ACLs when the cluster authenticates (`omega topics create`)."""
    created = ensure_topics(settings, update_existing=True)
    if not settings.kafka_username:
        return created, 0
    return created, apply_acls(settings, make_admin(settings))


def update_configs(admin: AdminClient, configs: list[tuple[str, dict[str, str]]]) -> None:
    """Set these topic configs (incrementally: others are left as they are)."""
    if not configs:
        return
    resources = [ConfigResource(ResourceType.TOPIC, name, incremental_configs=[
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
        for key, value in config.items()]) for name, config in configs]
    for future in admin.incremental_alter_configs(resources).values():
        future.result()


def settings_or_exit(prog: str) -> Settings:
    """For CLIs: the settings, or exit with a message that says how to get a Kafka."""
    import sys

    from omega.settings import get_settings

    settings = get_settings()
    try:
        check_reachable(settings)
    except KafkaUnavailable as exc:
        sys.exit(f"{prog}: {exc}")
    return settings


def assign_from_start(consumer: Consumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Assign every partition of `topics` (those that exist) from the beginning; for
    readers that rebuild a view from whole compacted topics, without a consumer group's
    offsets."""
    metadata = consumer.list_topics(timeout=10).topics
    parts = [TopicPartition(topic, p, OFFSET_BEGINNING) for topic in topics
             if topic in metadata for p in metadata[topic].partitions]
    consumer.assign(parts)
    return parts


def assign_to_read_all(consumer: Consumer, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    """`assign_from_start`, and the end offset of each partition that holds data: a reader
    has read everything there was once it reaches all of them (empty partitions, and those
    retention emptied, are not waited for)."""
    deadline = time.monotonic() + 30
    ends = {}
    for tp in assign_from_start(consumer, topics):
        low, high = _watermarks(consumer, tp, deadline)
        if high > low:
            ends[(tp.topic, tp.partition)] = high
    return ends


def records_on(settings: Settings, topic: str) -> int:
    """How many records `topic` (full name) holds now, over all partitions (before
    compaction removes any): a reader's progress is measured against it."""
    consumer = make_consumer(settings, f"{READ_TO_END_GROUPS}{uuid.uuid4().hex[:8]}")
    try:
        deadline = time.monotonic() + 30
        return sum(high - low for low, high in
                   (_watermarks(consumer, tp, deadline)
                    for tp in assign_from_start(consumer, [topic])))
    finally:
        consumer.close()


class ReadTimeout(TimeoutError):
    """A topic was not read to its end in time: the broker is slow or gone."""


def read_to_end(settings: Settings, topics: Iterable[str], *,
                partitions: Collection[int] | None = None, group_id: str | None = None,
                timeout_s: float = 60.0, batch: int = 1000,
                **overrides: Any) -> Iterator[Message]:
    """Every committed record of `topics` (full names) from the start, up to the end each
    partition had when this was called: an absence after it means "not in the topic".

    The end is the high watermark read at call time (in read_committed mode, the last
    stable offset); a partition is done at the first partition-EOF at or past it. Offsets
    alone cannot say it: a transaction's commit marker takes the last offset and is never
    delivered. Empty partitions are not read. `partitions` limits every topic to those.
    Raises ReadTimeout when Kafka hands over nothing for `timeout_s` before the ends.
    """
    consumer: Consumer = make_consumer(
        settings, group_id or f"{READ_TO_END_GROUPS}{uuid.uuid4().hex[:8]}",
        **{"enable.partition.eof": True, "fetch.wait.max.ms": 10, **overrides})
    try:
        ends = _end_offsets(consumer, list(topics), partitions, timeout_s)
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in ends])
        deadline = time.monotonic() + timeout_s
        while ends:
            messages = consumer.consume(batch, 0.1)
            if not messages:
                if time.monotonic() > deadline:
                    raise ReadTimeout(f"{sorted(ends)} not read to their end offsets: nothing "
                                      f"came in {timeout_s:.0f} s")
                continue
            for msg in messages:
                error = msg.error()
                if error is None:
                    yield msg
                    continue
                if error.code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(error)
                topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
                assert topic is not None and partition is not None and offset is not None
                if offset >= ends.get((topic, partition), offset + 1):
                    del ends[(topic, partition)]
                    consumer.pause([TopicPartition(topic, partition)])
            # Only time spent waiting on Kafka counts, not the caller's work between records.
            deadline = time.monotonic() + timeout_s
    finally:
        consumer.close()


# What a partition answers while its leader is not in place yet (a topic created a moment
# ago, a broker starting): worth asking again.
_NO_LEADER_YET = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE}


def _end_offsets(consumer: Consumer, topics: list[str], partitions: Collection[int] | None,
                 timeout_s: float) -> dict[tuple[str, int], int]:
    """The end offset of each named partition that holds data."""
    metadata = consumer.list_topics(timeout=10).topics
    missing = [t for t in topics if t not in metadata]
    if missing:
        raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART,
                                        f"no topic {', '.join(missing)} on the cluster"))
    deadline = time.monotonic() + timeout_s
    ends = {}
    for topic in topics:
        for p in metadata[topic].partitions if partitions is None else partitions:
            low, high = _watermarks(consumer, TopicPartition(topic, p), deadline)
            if high > low:
                ends[(topic, p)] = high
    return ends


def _watermarks(consumer: Consumer, tp: TopicPartition, deadline: float) -> tuple[int, int]:
    """A partition's (low, high) offsets, asked again until `deadline` while it has no
    leader in place yet."""
    while True:
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            return int(low), int(high)
        except KafkaException as exc:
            if exc.args[0].code() not in _NO_LEADER_YET or time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # back-off before asking the partition again


def produce_waiting(producer: Producer, topic: str, key: bytes | None, value: bytes | None,
                    **kwargs: Any) -> None:
    """produce(), serving delivery reports while the client's queue is full instead of
    raising BufferError: a transaction that writes a million records (a state sweep)
    fills librdkafka's queue long before it commits. While a broker is down the queue
    never drains; a transaction's caller has a watchdog for that (streams/app.py)."""
    while True:
        try:
            producer.produce(topic, key=key, value=value, **kwargs)
            break
        except BufferError:
            producer.poll(0.1)
    producer.poll(0)
