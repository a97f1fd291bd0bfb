"""What every benchmark needs: a broker (local or OMEGA_KAFKA_BOOTSTRAP) and a namespace."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from omega.kafka import ensure_topics
from omega.local_kafka import LocalKafka
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
            "streams_app_id": f"omega-bench-{unique}", "data_dir": Path(tmp) / "data"}
        values.update(overrides)
        settings = Settings(**values)  # type: ignore[arg-type]
        ensure_topics(settings)
        try:
            yield settings
        finally:
            if broker is not None:
                broker.stop()
