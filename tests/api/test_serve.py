"""Which core each `omega-api --workers N` process is pinned to."""

from __future__ import annotations

import os

from api.serve import worker_cores


def test_workers_take_the_allowed_cores_round_robin() -> None:
    assert worker_cores(2, True, allowed=[1, 0]) == [0, 1]
    assert worker_cores(3, True, allowed=[2, 5]) == [2, 5, 2]
    assert worker_cores(1, True, allowed=[3]) == [3]


def test_by_default_the_cores_this_process_may_use() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    assert worker_cores(len(allowed), True) == allowed


def test_not_pinned_when_switched_off() -> None:
    assert worker_cores(2, False, allowed=[0, 1]) == [None, None]
