"""Child processes and files at rest: children that die with their parent, and data
folders readable by this user only (docs/security.md). Used by the worker's supervisor
and by the local dev stack (devstack/)."""

from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this child when the process that started it dies (pass as
    `preexec_fn`: tests, `omega run`)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def private_child() -> None:
    """`preexec_fn` of a child that writes data: files it creates are 0600 and folders
    0700 (umask 077), so raw topics and state are not readable by other local users."""
    os.umask(0o077)


def private_child_dying_with_parent() -> None:
    private_child()
    die_with_parent()


def make_private(folder: Path) -> None:
    """`folder` and everything in it readable by this user only (folders 0700, files
    0600): data written by an earlier run before files at rest were private."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    for path in folder.rglob("*"):
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o100
        path.chmod(0o700 if executable else 0o600)
