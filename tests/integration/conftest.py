"""The real local broker, started once per session, and factories for isolated use of it.

Each test gets its own topic namespace and app id (uuid), so tests never share state.
Every process started here dies with the test session (PR_SET_PDEATHSIG) and is stopped
in the finalizers, pass or fail.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Message, TopicPartition

from devstack.local_kafka import LocalKafka
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import (
    assign_from_start,
    ensure_topics_and_acls,
    make_consumer,
    read_to_end,
)
from omega.kafka.topics import DEAD_LETTERS, TV_DELTAS
from omega.keys import dead_letter_key, open_letter
from omega.processes import die_with_parent
from omega.settings import REPO_ROOT, Settings
from streams.direct import delta_group
from tests.conftest import as_role, close_unreferenced_clients, start_broker


@pytest.fixture
def kafka_settings(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> Callable[..., Settings]:
    """Settings on the session broker in a fresh topic namespace, topics created."""

    def build(**overrides: Any) -> Settings:
        unique = uuid.uuid4().hex[:10]
        # Workers here have a data folder each, as on separate hosts: the dead-letter key
        # is set, as it must be there, so that the inspector opens every worker's letters.
        values: dict[str, Any] = {"kafka_bootstrap": kafka_bootstrap,
                                  "topic_namespace": f"t{unique}",
                                  "streams_app_id": f"omega-streams-{unique}",
                                  "dead_letter_key": secrets.token_hex(32)}
        values.update(overrides)
        settings = make_settings(**values)
        ensure_topics_and_acls(settings)  # as the admin: components connect as their roles
        return settings

    return build


class WorkerProcess:
    """A real `python -m streams` worker with its own data folder and its log in a file."""

    def __init__(self, settings: Settings, log_path: Path, instance: int) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")
        own = as_role(settings, "worker").model_copy(
            update={"data_dir": settings.data_dir / f"worker-{instance}"})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams", "--loglevel", "info"],
            env=own.subprocess_env(), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=REPO_ROOT, preexec_fn=die_with_parent)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout_s: float = 60.0, occurrences: int = 1) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.log().count(needle) >= occurrences:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited ({self.proc.returncode}):\n{self.log()}")
            time.sleep(0.2)
        raise AssertionError(f"no {needle!r} in worker log after {timeout_s} s:\n{self.log()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker for one test alone (stopping the session's would break the others); a
    restart keeps its address."""
    broker = start_broker(tmp_path / "kafka")
    yield broker
    close_unreferenced_clients()
    broker.stop()


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a worker; `instance` picks its data folder (a restart passes the same one)."""
    workers: list[WorkerProcess] = []

    def start(settings: Settings, instance: int | None = None) -> WorkerProcess:
        instance = len(workers) if instance is None else instance
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(workers)}.log", instance)
        workers.append(worker)
        worker.wait_for_log("ready: rebuilt counts")
        return worker

    yield start
    for worker in workers:
        worker.stop()


def read_all(settings: Settings, topic: str) -> list[Message]:
    """Every committed record of `topic` (short name), up to its end at call time: what is
    not in the list is not in the topic."""
    return list(read_to_end(settings, [settings.topic(topic)]))


def wait_for_records(settings: Settings, topic: str, until: Callable[[list[Message]], bool],
                     timeout_s: float = 60.0) -> list[Message]:
    """Follow `topic` (committed data, from the start) until `until(messages)` holds; fail
    when it never does."""
    consumer: Consumer = make_consumer(settings, f"test-{uuid.uuid4().hex[:8]}")
    assign_from_start(consumer, [settings.topic(topic)])
    messages: list[Message] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met in {timeout_s:.0f} s with "
                                     f"{len(messages)} records read")
            messages += [m for m in consumer.consume(1000, 0.2) if m.error() is None]
    finally:
        consumer.close()
    return messages


def read_dead_letters(settings: Settings, codec: AvroCodec) -> list[dict[str, Any]]:
    """Every dead letter on the topic now, decoded and opened with the deployment's key,
    as `omega-deadletters` opens them (the sealed bytes: test_replay_and_deadletters.py)."""
    return opened(settings, codec, read_all(settings, DEAD_LETTERS))


def opened(settings: Settings, codec: AvroCodec, messages: list[Message]) -> list[dict[str, Any]]:
    assert settings.dead_letter_key, "kafka_settings sets the key every worker seals with"
    key = dead_letter_key(settings.dead_letter_key, settings.data_dir)
    return [open_letter(key, codec.decode(m.value(), "omega.DeadLetter")) for m in messages]


def wait_for_dead_letters(settings: Settings, codec: AvroCodec, n: int,
                          timeout_s: float = 60.0) -> list[dict[str, Any]]:
    """The dead letters on the topic, decoded, once there are at least `n`."""
    found = wait_for_records(settings, DEAD_LETTERS, lambda ms: len(ms) >= n, timeout_s)
    return opened(settings, codec, found)


def committed_lag(settings: Settings, group: str, topic: str) -> int:
    """Messages in `topic` not yet committed by consumer group `group`."""
    consumer: Consumer = make_consumer(settings, group)
    try:
        name = settings.topic(topic)
        parts = consumer.list_topics(name, timeout=10).topics[name].partitions
        tps = [TopicPartition(name, p) for p in parts]
        lag = 0
        for tp in consumer.committed(tps, timeout=10):
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            lag += high - max(tp.offset, 0)
        return lag
    finally:
        consumer.close()


def wait_until_consumed(settings: Settings, topic: str = TV_DELTAS,
                        timeout_s: float = 60.0) -> None:
    """Wait until the worker has committed every record of `topic` (TV deltas: with their
    dead letters and state writes, in the same transactions)."""
    group = delta_group(settings) if topic == TV_DELTAS else settings.streams_app_id
    deadline = time.monotonic() + timeout_s
    while (lag := committed_lag(settings, group, topic)) > 0:
        if time.monotonic() > deadline:
            raise AssertionError(f"{topic}: {lag} records not committed by the worker "
                                 f"in {timeout_s:.0f} s")
        time.sleep(0.1)
