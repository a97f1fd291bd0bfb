"""Crash and scale-out give exactly the release of an uninterrupted single worker.

The reference is the release step applied to the true counts with the same seed, which
is what an uninterrupted worker releases (test_releases_reproducible.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_admin, make_consumer, read_to_end
from omega.settings import Settings
from streams.direct import delta_group, device_state_changelog
from tests.conftest import wait_for
from tests.integration.conftest import WorkerProcess, read_dead_letters
from tests.integration.workload import (
    SETTINGS,
    build_workload,
    collect_release,
    expected_release,
    send,
)

pytestmark = pytest.mark.integration


def changelog_writes(s: Settings) -> int:
    """Device-state writes the worker has made so far (the changelog's end offsets)."""
    topic = device_state_changelog(s)
    consumer = make_consumer(s, f"probe-{uuid.uuid4().hex[:6]}")
    try:
        total = 0
        for p in range(s.delta_partitions):
            try:
                total += consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
            except Exception:  # noqa: BLE001 - not created yet
                return 0
        return total
    finally:
        consumer.close()


def changelog_keys(s: Settings, topic: str) -> set[str]:
    """The keys of a state changelog, committed writes only: the state a worker that takes
    the partitions over would restore. Faust's keys are JSON strings, ours plain."""
    keys: set[str] = set()
    for msg in read_to_end(s, [topic]):
        key = msg.key()
        if key is not None and msg.value() is not None:
            keys.add(json.loads(key) if key.startswith(b'"') else key.decode())
    return keys


def faust_child(worker: WorkerProcess) -> int:
    """The pid of the Faust process the worker's supervisor runs."""
    pid = worker.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, f"supervisor {pid} has children {children}"
    return int(children[0])


def what_went_wrong(s: Settings, codec: AvroCodec, *workers: WorkerProcess) -> str:
    """For a failed comparison: the dead letters (a workload of valid events has none) and
    the workers' warnings and errors, so a rare failure in CI can be read from its log."""
    letters = read_dead_letters(s, codec)
    reasons = Counter(f"{r['reason_code']}: {r['reason']}" for r in letters)
    lines = [f"dead letters: {len(letters)} {dict(reasons.most_common(3))}"]
    lines += [f"  {r['payload_key']!r} from {r['source_topic']}[{r['source_partition']}]@"
              f"{r['source_offset']} at {time.strftime('%H:%M:%S', time.gmtime(r['at_ms'] / 1000))}"
              f".{r['at_ms'] % 1000:03d}" for r in letters[:5]]
    for worker in dict.fromkeys(workers):
        lines.append(f"--- {worker.log_path.name}")
        lines += [line for line in worker.log().splitlines()
                  if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|ready: |release step: window",
                               line)][-40:]
    return "\n".join(lines)


@pytest.mark.parametrize("killed", ["worker", "faust-child"])
def test_sigkill_mid_window_and_restart_release_exactly_the_true_counts(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[..., WorkerProcess],
    codec: AvroCodec,
    killed: str,
) -> None:
    """`worker`: the whole worker is killed and started again by hand, on the same data
    folder. `faust-child`: only the Faust process dies; its supervisor restarts it."""
    s = kafka_settings(window_seconds=10, release_seed=5,
                       **{**SETTINGS, "allowed_lateness_seconds": 60})
    worker = worker_factory(s)
    work = build_workload(codec, s, int(time.time() * 1000), devices=3000, seed=5)
    half = len(work.messages) // 2
    send(s, work.messages[:half])
    wait_for(lambda: changelog_writes(s) >= 300, 30, "300 device-state writes")
    if killed == "worker":
        worker.stop(signal.SIGKILL)
    else:
        os.kill(faust_child(worker), signal.SIGKILL)
    written = changelog_writes(s)
    assert 300 <= written < 3000, f"killed with {written} of 3000 device writes: not mid-window"
    send(s, work.messages[half:])
    survivor = worker_factory(s, instance=0) if killed == "worker" else worker
    released = collect_release(s, codec, work.window)
    assert released == expected_release(s, work), what_went_wrong(s, codec, worker, survivor)
    # The state a partition's next owner restores holds every unit once: no event was
    # taken for a duplicate of a write the crash rolled back (streams/recovery.py).
    sent = {key.decode() for _, key, _ in work.messages}
    assert changelog_keys(s, device_state_changelog(s)) | changelog_keys(
        s, f"{s.streams_app_id}-session-contributions-changelog") == sent
    assert survivor.alive()
    if killed == "worker":
        assert "did not stop cleanly: local tables" in survivor.log()
    if killed == "faust-child":
        assert "restarting in" in worker.log() and worker.log().count("ready: rebuilt") == 2


def tv_owners(s: Settings, workers: list[WorkerProcess]) -> list[set[int]]:
    """The TV partitions each worker owns now, asked of streams/direct.py's group."""
    admin = make_admin(s)  # held: the futures die with it
    members = admin.describe_consumer_groups([delta_group(s)])[delta_group(s)].result(
        timeout=10).members
    return sorted(({tp.partition for tp in m.assignment.topic_partitions} for m in members),
                  key=lambda owned: min(owned, default=-1))


def test_two_workers_on_four_partitions_release_what_one_worker_does(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[[Settings], WorkerProcess],
    codec: AvroCodec,
) -> None:
    s = kafka_settings(window_seconds=8, release_seed=9,
                       **{**SETTINGS, "allowed_lateness_seconds": 45})
    first = worker_factory(s)
    second = worker_factory(s)
    first.wait_for_log("ready: rebuilt counts", occurrences=2, timeout_s=60)  # rebalanced
    first.wait_for_log("tv partitions revoked", timeout_s=60)
    work = build_workload(codec, s, int(time.time() * 1000), devices=2000, seed=9)
    send(s, work.messages)
    assert collect_release(s, codec, work.window) == expected_release(s, work)

    owned = tv_owners(s, [first, second])
    assert all(owned) and not owned[0] & owned[1], f"each worker owns its own: {owned}"
    assert owned[0] | owned[1] == set(range(4))
    assert first.alive() and second.alive()
