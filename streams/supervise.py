"""Restart the Faust worker when it crashes, as a process manager would, with a limit.

Faust crashes the whole worker on some rebalance races in exactly-once mode (a
transactional producer fenced by the partition's new owner: faust-streaming/faust#323,
still open). A crash loses nothing here: the open transaction is aborted by Kafka, the
restarted worker recovers its tables from the changelog and re-reads from the committed
offsets, and device state drops a re-sent sequence number. So the right answer is the
one Kafka Streams gives: rejoin. The supervisor runs the worker as a child process,
restarts it after a crash with a growing pause, and gives up (exit 1) after
`max_crashes` crashes within `window_s`, so a worker that cannot start is not hidden.
SIGTERM and SIGINT are passed to the child and end the loop; the child dies with the
supervisor (PR_SET_PDEATHSIG) if the supervisor is killed.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from omega.processes import die_with_parent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestartPolicy:
    max_crashes: int = 5
    window_s: float = 300.0
    first_pause_s: float = 1.0
    max_pause_s: float = 30.0

    def pause(self, recent_crashes: int) -> float:
        return float(min(self.max_pause_s, self.first_pause_s * 2.0 ** max(0, recent_crashes - 1)))


def supervise(
    command: Sequence[str],
    policy: RestartPolicy = RestartPolicy(),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run `command` until it exits cleanly or is told to stop; returns the exit code."""
    stopping: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    crashes: deque[float] = deque()
    try:
        while True:
            child = subprocess.Popen(list(command), preexec_fn=die_with_parent)
            code = child.wait()
            if stopping or code == 0:
                return code
            now = time.monotonic()
            crashes.append(now)
            while crashes and now - crashes[0] > policy.window_s:
                crashes.popleft()
            if len(crashes) >= policy.max_crashes:
                log.error("worker crashed %d times in %.0f s (last exit %d); giving up",
                          len(crashes), policy.window_s, code)
                return 1
            pause = policy.pause(len(crashes))
            log.warning("worker exited with %d; restarting in %.0f s (crash %d of %d allowed "
                        "in %.0f s)", code, pause, len(crashes), policy.max_crashes - 1,
                        policy.window_s)
            sleep(pause)
            if stopping:
                return code
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
