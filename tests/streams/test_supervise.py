"""The worker supervisor restarts crashed children, stops on request, and gives up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from streams.supervise import RestartPolicy, supervise
from tests.conftest import wait_for

NO_PAUSE = RestartPolicy(max_crashes=3, window_s=60, first_pause_s=0.0)


def child(script: str) -> list[str]:
    return [sys.executable, "-c", script]


def test_a_crashed_child_is_restarted_until_it_exits_cleanly(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = (f"import pathlib, sys; p = pathlib.Path({str(runs)!r}); "
              "n = len(p.read_text()) if p.exists() else 0; p.write_text('x' * (n + 1)); "
              "sys.exit(0 if n == 2 else 1)")
    assert supervise(child(script), NO_PAUSE) == 0
    assert runs.read_text() == "xxx"  # crashed twice, restarted twice


def test_it_gives_up_after_too_many_crashes_in_the_window(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    script = f"import pathlib, sys; open({str(runs)!r}, 'a').write('x'); sys.exit(3)"
    assert supervise(child(script), NO_PAUSE) == 1
    assert runs.read_text() == "xxx"


def test_pauses_grow_and_are_capped() -> None:
    policy = RestartPolicy(first_pause_s=1, max_pause_s=5)
    assert [policy.pause(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]


def test_sigterm_is_passed_to_the_child_and_ends_the_loop(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    worker = (f"import pathlib, signal, sys, time; "
              f"signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); "
              f"pathlib.Path({str(ready)!r}).write_text('up'); time.sleep(60)")
    runner = (f"import sys; from streams.supervise import supervise; "
              f"sys.exit(supervise([sys.executable, '-c', {worker!r}]))")
    proc = subprocess.Popen([sys.executable, "-c", runner], cwd=Path(__file__).parents[2],
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    wait_for(ready.exists, 20, "the child started")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0  # the child's clean exit, and no restart
