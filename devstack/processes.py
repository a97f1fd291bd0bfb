"""Process helpers of the local dev stack and the tests: free ports, liveness, process
groups, children that write private files (docs/security.md), Java and the Maven builds
of the local broker's and registry's jars."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from omega.processes import die_with_parent

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "State:\tZ" not in status


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class JavaMissing(RuntimeError):
    """No Java to run the broker or the registry; the message says how to get one."""


def java() -> str:
    """$JAVA_HOME/bin/java, else the `java` on PATH."""
    home = os.environ.get("JAVA_HOME")
    path = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not path or not Path(path).exists():
        raise JavaMissing("no Java found; install OpenJDK 17 or set JAVA_HOME")
    return path


def signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


class MavenFailed(RuntimeError):
    """Maven is missing or its build failed; the message has its output."""


def maven_once(inputs: list[Path], output: Path, stamp: Path, goals: list[str],
               what: str, force: bool = False) -> bool:
    """Run `mvn -q -B <goals>` into a fresh `output` unless `stamp` already holds the digest
    of `inputs` (the local broker's jars, the local registry's build); True if it ran."""
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in inputs)).hexdigest()
    if not force and stamp.exists() and stamp.read_text() == digest:
        return False
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenFailed("Maven (mvn) is not on PATH; install it (apt-get install maven)")
    if output.exists():
        shutil.rmtree(output)
    log.info("%s from Maven Central into %s", what, output)
    done = subprocess.run([mvn, "-q", "-B", *goals], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise MavenFailed(f"mvn failed ({what}):\n{done.stdout[-4000:]}{done.stderr[-2000:]}")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return True


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
