"""Children that die with their parent: the worker's supervisor, the local dev stack
(devstack/) and the tests start theirs so."""

from __future__ import annotations

import ctypes
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this child when the process that started it dies (pass as
    `preexec_fn`: tests, `omega run`)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
