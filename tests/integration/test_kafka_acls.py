"""A broker with identities and ACLs (LocalKafka(auth=True), omega/kafka/acls.py): the API's
identity cannot read raw data, reads releases fine, may not write them; a client without
credentials is refused."""

from __future__ import annotations

import secrets
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from confluent_kafka import KafkaError, Message

from devstack.local_kafka import LocalKafka
from omega.cli import main
from omega.kafka.acls import API_GROUPS, ROLES, TRENDS_GROUPS, apply_acls, as_role, grants
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import ensure_topics, make_admin, make_consumer, make_producer, read_to_end
from omega.kafka.topics import DEAD_LETTERS, DEVICE_STATE, TRENDS, TV_DELTAS, WINDOW_PARTIALS
from omega.release import release_trends
from omega.settings import REPO_ROOT, Settings, get_settings
from omega.windows import window_start
from tests.conftest import valid_delta
from tests.integration.conftest import WorkerProcess
from tests.integration.workload import SETTINGS, collect_release

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, dict[str, str]]]:
    tmp_path = tmp_path_factory.mktemp("secured")
    broker = LocalKafka(REPO_ROOT / "infra" / "kafka", tmp_path / "kafka", auth=True)
    state = broker.start(timeout_s=90, die_with_parent=True)
    credentials = broker.credentials()
    assert (broker.credentials_file.stat().st_mode & 0o777) == 0o600
    admin = Settings(kafka_bootstrap=state.bootstrap, kafka_username="admin",
                     kafka_password=credentials["admin"], data_dir=tmp_path / "data",
                     topic_namespace=f"acl{uuid.uuid4().hex[:6]}")
    ensure_topics(admin)
    apply_acls(admin, make_admin(admin))
    yield admin, credentials
    broker.stop()


def delivery_error(settings: Settings, topic: str) -> KafkaError | None:
    """Produce one record and wait for its delivery report: its error, or None."""
    reports: list[KafkaError | None] = []
    producer = make_producer(settings, **{"message.timeout.ms": 10_000})
    producer.produce(topic, key=b"k", value=b"v",
                     on_delivery=lambda err, _msg: reports.append(err))
    deadline = time.monotonic() + 30
    while not reports and time.monotonic() < deadline:
        producer.poll(0.2)
    assert reports, "no delivery report within the producer's own timeout"
    return reports[0]


def fetch_error(settings: Settings, topic: str, group: str | None = None) -> int | None:
    """Fetch `topic` from the start (in the role's own kind of group unless `group`): the
    error code the broker answers, or None once a record arrives."""
    prefix = {"api": API_GROUPS, "analytics": TRENDS_GROUPS}[settings.kafka_username or ""]
    consumer = make_consumer(settings, group or f"{prefix}acl-test-{uuid.uuid4().hex[:6]}")
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg: Message | None = consumer.poll(0.5)
            if msg is None:
                continue
            error = msg.error()
            return None if error is None else int(error.code())
        raise AssertionError(f"neither a record nor an error from {topic} in 30 s")
    finally:
        consumer.close()


def test_the_api_identity_reads_releases_only_and_no_credentials_is_refused(
        secured: tuple[Settings, dict[str, str]]) -> None:
    admin, credentials = secured
    for short in (TRENDS, DEVICE_STATE, WINDOW_PARTIALS, DEAD_LETTERS):
        assert delivery_error(admin, admin.topic(short)) is None, "the admin writes anywhere"
    api = as_role(admin, "api", credentials)
    for short in (DEVICE_STATE, WINDOW_PARTIALS, DEAD_LETTERS):
        assert fetch_error(api, api.topic(short)) == KafkaError.TOPIC_AUTHORIZATION_FAILED, short
    assert fetch_error(api, api.topic(TRENDS)) is None
    assert fetch_error(api, api.topic(TRENDS), group=api.streams_app_id) == \
        KafkaError.GROUP_AUTHORIZATION_FAILED, "a reader cannot join the worker's group"
    assert [m.value() for m in read_to_end(api, [api.topic(TRENDS)])] == [b"v"]
    assert delivery_error(api, api.topic(TV_DELTAS)) is None, "the API writes inputs"
    refused = delivery_error(api, api.topic(TRENDS))
    assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    analytics = as_role(admin, "analytics", credentials)
    assert fetch_error(analytics, analytics.topic(DEVICE_STATE)) == \
        KafkaError.TOPIC_AUTHORIZATION_FAILED
    wrong = api.model_copy(update={"kafka_password": "not-the-password"})
    assert delivery_error(wrong, api.topic(TV_DELTAS)) is not None
    anonymous = api.model_copy(update={"kafka_username": None, "kafka_password": None})
    assert delivery_error(anonymous, api.topic(TV_DELTAS)) is not None


@pytest.fixture
def cli_settings() -> Iterator[None]:
    """The CLI reads the environment once per process: read it afresh, and leave none."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_settings")
def test_topics_create_sets_the_acls_as_the_admin(
        secured: tuple[Settings, dict[str, str]]) -> None:
    admin, credentials = secured
    env = {"OMEGA_KAFKA_BOOTSTRAP": admin.kafka_bootstrap or "",
           "OMEGA_TOPIC_NAMESPACE": admin.topic_namespace, "OMEGA_DATA_DIR": str(admin.data_dir)}
    runner = CliRunner()
    done = runner.invoke(main, ["topics", "create"], env={
        **env, "OMEGA_KAFKA_USERNAME": "admin", "OMEGA_KAFKA_PASSWORD": credentials["admin"]})
    assert done.exit_code == 0, done.output
    assert f"set {len(all_grants(admin))} ACL bindings" in done.output
    get_settings.cache_clear()
    refused = runner.invoke(main, ["topics", "create"], env={
        **env, "OMEGA_KAFKA_USERNAME": "api", "OMEGA_KAFKA_PASSWORD": credentials["api"]})
    assert refused.exit_code == 1 and "AUTHORIZATION_FAILED" in refused.output, refused.output


def all_grants(settings: Settings) -> list[object]:
    return [g for role in ROLES for g in grants(settings, role)]


def test_a_rotated_password_replaces_the_old_one(
        secured: tuple[Settings, dict[str, str]]) -> None:
    admin, credentials = secured
    broker = LocalKafka(REPO_ROOT / "infra" / "kafka", Path(admin.data_dir).parent / "kafka",
                        auth=True)
    old = credentials["producer"]
    new = broker.rotate("producer", make_admin(admin))
    assert broker.credentials()["producer"] == new != old
    assert (broker.credentials_file.stat().st_mode & 0o777) == 0o600
    producer = as_role(admin, "producer", {"producer": new})
    assert delivery_error(producer, admin.topic(TV_DELTAS)) is None
    stale = as_role(admin, "producer", {"producer": old})
    assert delivery_error(stale, admin.topic(TV_DELTAS)) is not None


def test_the_worker_counts_and_releases_under_its_own_identity(
        secured: tuple[Settings, dict[str, str]], codec: AvroCodec, tmp_path: Path) -> None:
    """The whole flow with one identity per role: producer → worker → analytics reader."""
    admin, _ = secured
    credentials = LocalKafka(REPO_ROOT / "infra" / "kafka", Path(admin.data_dir).parent / "kafka",
                             auth=True).credentials()  # as now: a test may have rotated one
    settings = admin.model_copy(update={**SETTINGS, "window_seconds": 10, "release_seed": 3,
                                        "data_dir": tmp_path,
                                        "dead_letter_key": secrets.token_hex(32),
                                        "topic_namespace": f"aclw{uuid.uuid4().hex[:6]}"})
    ensure_topics(settings)  # a namespace of its own: the other tests wrote junk records
    apply_acls(settings, make_admin(settings))
    # One value on device-state that is not a worker's state: the restore skips it.
    junk = make_producer(settings)
    junk.produce(settings.topic(DEVICE_STATE), key=b"tv-junk", value=b"not json", partition=0)
    assert junk.flush(30) == 0
    worker = WorkerProcess(as_role(settings, "worker", credentials), tmp_path / "w.log", 0)
    try:
        worker.wait_for_log("ready: rebuilt counts", timeout_s=120)
        now = int(time.time() * 1000)
        window = window_start(now, 10_000)
        producer = make_producer(as_role(settings, "producer", credentials))
        for i in range(12):
            delta = valid_delta(f"acl-tv-{i}", 1, now, [(1, 900), (2, 600), (3 + i % 5, 60)])
            producer.produce(settings.topic(TV_DELTAS), key=delta["device_id"].encode(),
                             value=codec.encode("omega.TvDelta", delta))
        assert producer.flush(30) == 0
        released = collect_release(as_role(settings, "analytics", credentials), codec, window)
        counts = Counter({1: 12, 2: 12} | {3 + j: sum(i % 5 == j for i in range(12))
                                           for j in range(5)})
        expected = release_trends(window, window + 10_000, counts,
                                  range(1, settings.title_universe_size + 1), settings.epsilon,
                                  settings.max_titles_per_device, 3)
        assert released["tv"] == expected
        assert "AUTHORIZATION_FAILED" not in worker.log()
        assert "tv[0]: 1 device-state values are not a worker's state" in worker.log()
        assert "restarting in" not in worker.log()
    finally:
        worker.stop()
