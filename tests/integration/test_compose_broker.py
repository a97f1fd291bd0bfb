"""The compose stack's broker (infra/compose/kafka-start.sh), run here from the local
broker's jars: clients reach it only over TLS checked against the CA `make certs` makes,
each as its role; a plaintext client, or one that trusts another CA, is refused."""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.local_kafka import LocalKafka
from devstack.processes import free_port
from omega.kafka.acls import ROLES, as_role
from omega.kafka.clients import (
    KafkaUnavailable,
    check_reachable,
    ensure_topics_and_acls,
    read_to_end,
)
from omega.kafka.topics import TV_DELTAS
from omega.processes import die_with_parent
from omega.settings import REPO_ROOT, Settings
from tests.conftest import wait_for
from tests.integration.test_kafka_acls import delivery_error

pytestmark = pytest.mark.integration


def make_certs(folder: Path) -> Path:
    done = subprocess.run(["bash", str(REPO_ROOT / "infra" / "tls" / "make-certs.sh"),
                           str(folder)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return folder / "ca.pem"


def reachable(settings: Settings) -> bool:
    try:
        check_reachable(settings, timeout_s=3)
    except KafkaUnavailable:
        return False
    return True


@pytest.fixture(scope="module")
def compose_broker(tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[Settings, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("compose-broker")
    ca = make_certs(tmp / "tls")
    port = free_port()
    passwords = {role: secrets.token_urlsafe(16) for role in ROLES}
    libs = LocalKafka(REPO_ROOT / "infra" / "kafka", tmp / "unused").ensure_jars()
    env = {**os.environ, "KAFKA_LIBS": str(libs), "KAFKA_DATA": str(tmp / "data"),
           "KAFKA_ADVERTISED_HOST": "localhost", "KAFKA_PORT": str(port),
           "KAFKA_CONTROLLER_PORT": str(free_port()), "KAFKA_TLS_DIR": str(tmp / "tls"),
           "KAFKA_HEAP_OPTS": "-Xmx384m -Xms384m",
           **{f"SCRAM_{role.upper()}_PASSWORD": pw for role, pw in passwords.items()}}
    with open(tmp / "kafka.log", "wb") as log:
        proc = subprocess.Popen(["bash", str(REPO_ROOT / "infra" / "compose" / "kafka-start.sh")],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)
    admin = Settings(kafka_bootstrap=f"localhost:{port}", kafka_username="admin",
                     kafka_password=passwords["admin"], kafka_ssl_ca=ca, data_dir=tmp / "omega",
                     topic_namespace=f"tls{uuid.uuid4().hex[:6]}")
    try:
        wait_for(lambda: proc.poll() is None and reachable(admin), 120,
                 f"the TLS broker answering (log: {tmp / 'kafka.log'})")
        ensure_topics_and_acls(admin)
        yield admin, passwords
    finally:
        proc.terminate()
        proc.wait(30)


def test_a_role_writes_over_tls_and_the_admin_reads_it_back(
        compose_broker: tuple[Settings, dict[str, str]]) -> None:
    admin, passwords = compose_broker
    producer = as_role(admin, "producer", passwords)
    assert delivery_error(producer, admin.topic(TV_DELTAS)) is None
    records = list(read_to_end(admin, [admin.topic(TV_DELTAS)]))
    assert [(m.key(), m.value()) for m in records] == [(b"k", b"v")]


def test_plaintext_and_a_foreign_ca_are_refused(
        compose_broker: tuple[Settings, dict[str, str]], tmp_path: Path) -> None:
    admin, _ = compose_broker
    assert not reachable(admin.model_copy(update={"kafka_ssl_ca": None})), \
        "SASL without TLS must not be served"
    foreign = make_certs(tmp_path / "other-ca")
    assert not reachable(admin.model_copy(update={"kafka_ssl_ca": foreign})), \
        "a broker certificate from another CA must not be trusted"
    assert reachable(admin)
