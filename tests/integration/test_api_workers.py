"""`omega-api --workers 2`: two processes answer on one port, each pinned to a core, new
connections reach both (handed over round robin by the supervisor, or each process's own
SO_REUSEPORT socket), and /metrics, whichever process serves it, counts the requests both
answered."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devstack.processes import free_port
from omega.settings import REPO_ROOT, Settings
from tests.conftest import as_role

pytestmark = pytest.mark.integration


def workers_of(pid: int) -> list[int]:
    """Child processes of `pid` that omega-api spawned (multiprocessing's spawn)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(proc.name))
    return found


@pytest.mark.parametrize("dispatch", ["round-robin", "reuseport"])
def test_two_processes_share_the_port_and_the_metrics(
    kafka_settings: Callable[..., Settings], tmp_path: Path, dispatch: str,
) -> None:
    settings = kafka_settings(rate_limit_ip_per_s=0, api_dispatch=dispatch)
    port = free_port()
    log = tmp_path / "api.log"
    env = as_role(settings, "api").subprocess_env(api_port=port)
    api = subprocess.Popen([sys.executable, "-m", "api", "--workers", "2"], env=env,
                           cwd=REPO_ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=5).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            assert api.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)  # between health probes
        workers = workers_of(api.pid)
        assert len(workers) == 2
        # Pinned (OMEGA_API_PIN_WORKERS, on by default): each process to one of the cores
        # this one may use, round robin, every thread of it too.
        allowed = sorted(os.sched_getaffinity(0))
        assert sorted(os.sched_getaffinity(w) for w in workers) == sorted(
            {allowed[i % len(allowed)]} for i in range(2))
        for worker in workers:
            for thread in Path(f"/proc/{worker}/task").iterdir():
                assert len(os.sched_getaffinity(int(thread.name))) == 1
        answered = set()
        for _ in range(40):  # a new connection each
            answered.add(httpx.get(f"{base}/api/health", timeout=10).json()["process"])
        assert answered == set(workers), "new connections must reach every process"
        if dispatch == "round-robin":  # 16 open connections: 8 each, whatever their ports
            clients = [httpx.Client(base_url=base, timeout=10) for _ in range(16)]
            try:
                held = Counter(c.get("/api/health").json()["process"] for c in clients)
                assert Counter(c.get("/api/health").json()["process"] for c in clients) == held
            finally:
                for client in clients:
                    client.close()
            assert sorted(held.values()) == [8, 8], held
        sent = 40
        for _ in range(sent):
            assert httpx.get(f"{base}/api/discover?window=day", timeout=10).status_code == 200
        counts = []
        for _ in range(6):  # several scrapes: each may be answered by either process
            text = httpx.get(f"{base}/metrics/", timeout=10).text
            counts.append(sum(float(m.group(1)) for m in re.finditer(
                r'^omega_api_requests_total\{route="/api/discover",status="200"\} (\S+)$',
                text, re.M)))
        assert counts == [sent] * 6
    finally:
        api.terminate()
        api.wait(60)
    assert api.returncode == 0, log.read_text()[-3000:]


def test_out_of_range_flags_are_refused_with_the_settings_bounds(
    kafka_settings: Callable[..., Settings],
) -> None:
    settings = kafka_settings()
    for flags, message in ((["--workers", "0"], "--workers: Input should be greater than or "
                            "equal to 1"),
                           (["--workers", "65"], "--workers: Input should be less than or "
                            "equal to 64"),
                           (["--port", "70000"], "--port: Input should be less than or equal "
                            "to 65535")):
        done = subprocess.run([sys.executable, "-m", "api", *flags], cwd=REPO_ROOT,
                              env=settings.subprocess_env(), capture_output=True, timeout=60)
        assert done.returncode == 2, done.stderr.decode()
        assert message in done.stderr.decode()
