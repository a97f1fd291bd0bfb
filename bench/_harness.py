"""What every benchmark needs: a broker (local or OMEGA_KAFKA_BOOTSTRAP) and a namespace."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from devstack.local_kafka import LocalKafka
from omega.kafka.clients import ensure_topics
from omega.settings import REPO_ROOT, Settings


@contextlib.contextmanager
def bench_settings(**overrides: object) -> Iterator[Settings]:
    """Settings on a fresh namespace of a broker that lives as long as the benchmark."""
    with tempfile.TemporaryDirectory(prefix="omega-bench-") as tmp:
        bootstrap = os.environ.get("OMEGA_KAFKA_BOOTSTRAP")
        broker = None
        if not bootstrap:
            broker = LocalKafka(REPO_ROOT / "infra" / "kafka", Path(tmp) / "kafka", heap="1g")
            bootstrap = broker.start(timeout_s=90, die_with_parent=True).bootstrap
        unique = uuid.uuid4().hex[:8]
        values: dict[str, object] = {
            "kafka_bootstrap": bootstrap, "topic_namespace": f"bench{unique}",
            "streams_app_id": f"omega-bench-{unique}", "data_dir": Path(tmp) / "data",
            "sync_keys": f"bench:{secrets.token_urlsafe(32)}"}  # omega-api refuses the built-in
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        ensure_topics(settings)
        try:
            yield settings
        finally:
            if broker is not None:
                broker.stop()


def start_worker(settings: Settings, log_path: Path, timeout_s: float = 180,
                 loglevel: str = "info") -> subprocess.Popen[bytes]:
    """`python -m streams` on `settings`, returned once it has rebuilt its open windows
    (its log says "ready: rebuilt counts"): events sent before that can be late."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        worker = subprocess.Popen([sys.executable, "-m", "streams", "--loglevel", loglevel],
                                  env=settings.subprocess_env(), stdout=log,
                                  stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    deadline = time.monotonic() + timeout_s
    while b"ready: rebuilt counts" not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"worker not ready within {timeout_s:.0f} s:\n{tail}")
        time.sleep(0.5)
    return worker
