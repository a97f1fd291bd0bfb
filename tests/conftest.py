"""Shared fixtures: settings built per test, and the unit-level codec."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from confluent_kafka import Consumer, KafkaException, Producer

from devstack.local_kafka import LocalKafka
from omega.kafka import acls
from omega.kafka.avro import AvroCodec
from omega.kafka.codecs import load_codec
from omega.settings import REPO_ROOT, Settings
from tests.backends import BackendError, chosen_backend, kafka_container, qdrant_container

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# `make run` in a browser (tests/stack/) takes both cores for minutes: `make check-run`
# runs it on its own (OMEGA_STACK_CHECK=1), never inside the suite.
collect_ignore = [] if os.environ.get("OMEGA_STACK_CHECK") == "1" else ["stack"]


def pytest_configure(config: pytest.Config) -> None:
    try:
        chosen_backend()  # a typo in OMEGA_TEST_BACKEND fails before any test runs
    except BackendError as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Broker tests first: most of them wait for windows to close, so under pytest-xdist
    the short tests fill the end of the run instead of one long wait."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`make test` runs `pytest -n 3`: tests/api/ is one unit of work, so the API's session
    world (MiniLM over 4,452 titles) is built by one worker only; every other test is
    its own unit. (`--dist loadgroup` cannot do it: pytest 9 ignores the node-id suffix
    xdist 3.8 groups by.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ApiWorldScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "tests/api" if nodeid.startswith("tests/api/") else nodeid

    return ApiWorldScheduling(config, log)


# Each role's password on the brokers this test process started, by address: the suite
# runs with authentication and ACLs on (docs/security.md), as `make run` does.
_PASSWORDS: dict[str, dict[str, str]] = {}


def start_broker(data_dir: Path, heap: str = "512m") -> LocalKafka:
    """The project's own broker with identities and ACLs, dying with the test session."""
    broker = LocalKafka(REPO_ROOT / "infra" / "kafka", data_dir, heap, auth=True)
    state = broker.start(timeout_s=90, die_with_parent=True)
    _PASSWORDS[state.bootstrap] = broker.credentials()
    return broker


def close_unreferenced_clients() -> None:
    """Destroy the Kafka clients no test holds any more before their broker stops: one
    kept alive by a reference cycle would print librdkafka's "Connect … failed" lines
    until the session ends (confluent-kafka closes a client when it is collected)."""
    gc.collect()


def close_every_client() -> None:
    """At the end of the session, before its broker stops: close every Kafka client still
    open (session fixtures', and any a test left behind), so none outlives the broker."""
    close_unreferenced_clients()
    for client in [o for o in gc.get_objects() if isinstance(o, Producer | Consumer)]:
        if isinstance(client, Producer):
            # a delivery callback may raise (its event loop is gone): close it all the same
            with contextlib.suppress(Exception):
                client.flush(5)
        with contextlib.suppress(RuntimeError, KafkaException):  # already closed
            client.close()


def as_role(settings: Settings, role: str) -> Settings:
    """`settings` connecting as `role` (omega/kafka/acls.py) to a broker the suite started;
    unchanged on a cluster without authentication (OMEGA_KAFKA_BOOTSTRAP, containers)."""
    return acls.as_role(settings, role, _PASSWORDS.get(settings.kafka_bootstrap or "", {}))


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """OMEGA_KAFKA_BOOTSTRAP when set; else, by OMEGA_TEST_BACKEND (tests/backends.py), the
    project's own broker for this session (one per pytest-xdist worker) or a Kafka
    container."""
    external = os.environ.get("OMEGA_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    if chosen_backend() == "testcontainers":
        with kafka_container() as bootstrap:
            yield bootstrap
        return
    broker = start_broker(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker.start().bootstrap  # the running one's address
    finally:
        close_every_client()
        broker.stop()


@pytest.fixture(scope="session")
def qdrant_url() -> Iterator[str]:
    """A Qdrant server: OMEGA_QDRANT_URL, or a container under testcontainers; else skip."""
    url = os.environ.get("OMEGA_QDRANT_URL")
    if url:
        yield url
    elif chosen_backend() == "testcontainers":
        with qdrant_container() as url:
            yield url
    else:
        pytest.skip("no Qdrant server here (no Docker engine; the server is not on PyPI): "
                    "set OMEGA_QDRANT_URL, or OMEGA_TEST_BACKEND=testcontainers on a machine "
                    "with Docker, to run the same operations against one")


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    return load_codec(REPO_ROOT / "schemas")


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated to this test's temporary folder, with overrides; on a broker the
    suite started, as the admin unless an identity is given. In dev mode, as `make run`:
    an API started on them (also as `omega-api`) accepts the built-in sync key."""

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"data_dir": tmp_path / "omega-data", "dev_mode": True}
        values.update(overrides)
        settings = Settings(**values)
        return settings if settings.kafka_username else as_role(settings, "admin")

    return build


def valid_delta(device_id: str = "tv-1", seq: int = 1, sent_at_ms: int = 1_700_000_000_000,
                titles: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    """A TvDelta record; `titles` are (title_id, seconds_watched) pairs."""
    pairs = titles if titles is not None else [(1, 600), (2, 300)]
    return {
        "device_id": device_id, "seq": seq, "sent_at_ms": sent_at_ms,
        "titles": [{"title_id": t, "seconds_watched": s, "completion": 0.5, "rating": None}
                   for t, s in pairs],
        "app_version": "test/1",
    }


T = TypeVar("T")

def wait_for(check: Callable[[], T], timeout_s: float = 30, what: str = "",
             every_s: float = 0.05) -> T:
    """Poll `check` every `every_s` until it is true, and return what it returned; fail,
    naming `what`, when it never is."""
    deadline = time.monotonic() + timeout_s
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not met in {timeout_s:.0f} s: {what or check}")
        time.sleep(every_s)
    return value


def wait_for_catalog(client: Any) -> None:
    """Until the API under `client` (a TestClient) has read its views: /v1/sync answers
    503 before, since it cannot check title ids yet."""
    wait_for(lambda: client.app.state.omega.views.caught_up, 120, "the API's views caught up")
