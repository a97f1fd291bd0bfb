"""Files at rest are this user's only: the broker's topics (raw TV deltas among them) and
its logs are 0600 in 0700 folders, as is a data folder an earlier run left readable."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

from devstack.local_kafka import LocalKafka
from devstack.processes import make_private
from omega.kafka.acls import as_role
from omega.kafka.clients import make_admin, make_producer, read_to_end
from omega.settings import Settings

pytestmark = pytest.mark.integration


def readable_by_others(folder: Path) -> list[str]:
    return [f"{oct(stat.S_IMODE(p.stat().st_mode))} {p}" for p in [folder, *folder.rglob("*")]
            if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077]


def test_the_brokers_data_and_logs_are_private(own_broker: LocalKafka, tmp_path: Path) -> None:
    bootstrap = own_broker.start().bootstrap
    settings = as_role(Settings(data_dir=tmp_path / "omega", kafka_bootstrap=bootstrap),
                       "admin", own_broker.credentials())
    admin = make_admin(settings)
    admin.create_topics([NewTopic("raw-deltas", 1, 1)])["raw-deltas"].result(30)
    producer = make_producer(settings)
    producer.produce("raw-deltas", key=b"tv-1", value=b"a raw delta")
    assert producer.flush(30) == 0
    assert [m.value() for m in read_to_end(settings, ["raw-deltas"])] == [b"a raw delta"]
    segments = list((own_broker.data_dir / "kraft-log").glob("raw-deltas-0/*.log"))
    assert segments and segments[0].stat().st_size > 0
    assert readable_by_others(own_broker.data_dir) == []


def test_an_earlier_runs_readable_files_are_made_private(tmp_path: Path) -> None:
    old = tmp_path / "data"
    (old / "kafka" / "kraft-log").mkdir(parents=True)
    (old / "kafka" / "kraft-log" / "00.log").write_bytes(b"raw")
    (old / "run.sh").write_text("#!/bin/sh\n")
    for path in [old, *old.rglob("*")]:
        path.chmod(0o755 if path.is_dir() or path.name == "run.sh" else 0o644)
    make_private(old)
    assert readable_by_others(old) == []
    assert stat.S_IMODE((old / "run.sh").stat().st_mode) == 0o700
    assert stat.S_IMODE((old / "kafka" / "kraft-log" / "00.log").stat().st_mode) == 0o600
