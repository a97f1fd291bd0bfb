"""The local broker starts in time, stops cleanly and never outlives whoever started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from devstack.local_kafka import LocalKafka, LocalKafkaError
from devstack.processes import pid_alive
from omega.kafka.clients import KafkaUnavailable, check_reachable
from omega.settings import REPO_ROOT, Settings
from tests.conftest import wait_for

pytestmark = pytest.mark.integration
KAFKA_HOME = REPO_ROOT / "infra" / "kafka"


def test_start_status_stop(tmp_path: Path) -> None:
    broker = LocalKafka(KAFKA_HOME, tmp_path / "kafka")
    started = time.monotonic()
    state = broker.start(timeout_s=60, die_with_parent=True)
    took = time.monotonic() - started
    try:
        assert took < 60
        assert broker.status() == state
        assert broker.log_file.exists()
        check_reachable(Settings(kafka_bootstrap=state.bootstrap), timeout_s=10)
        assert broker.start() == state, "a second start must reuse the running broker"
    finally:
        assert broker.stop()
    assert not pid_alive(state.pid)
    assert broker.status() is None
    with pytest.raises(KafkaUnavailable, match="did not answer"):
        check_reachable(Settings(kafka_bootstrap=state.bootstrap), timeout_s=2)
    # Its data has no users for the roles: turning authentication on says so, whole.
    with pytest.raises(LocalKafkaError, match="made without authentication") as refused:
        LocalKafka(KAFKA_HOME, tmp_path / "kafka", auth=True).start(timeout_s=60)
    assert "OMEGA_KAFKA_AUTH=false" in str(refused.value)
    assert not (tmp_path / "kafka" / "credentials.json").exists()


def test_broker_dies_when_the_test_process_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from devstack.local_kafka import LocalKafka
        state = LocalKafka(Path({str(KAFKA_HOME)!r}), Path({str(tmp_path / 'k')!r})).start(
            timeout_s=60, die_with_parent=True)
        print(state.pid, flush=True)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              cwd=REPO_ROOT, text=True)
    assert parent.stdout is not None
    broker_pid = int(parent.stdout.readline())
    assert pid_alive(broker_pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    wait_for(lambda: not pid_alive(broker_pid), 15, "the broker died with its parent")
