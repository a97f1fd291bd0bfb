"""Running the API's processes: one, or `--workers N` sharing the port.

Apart from api/__main__.py because multiprocessing's spawn re-imports the target's
module in each child, and it never re-imports a package's `__main__`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
from collections.abc import Iterable
from pathlib import Path

from omega.settings import Settings

log = logging.getLogger("omega-api")


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """The API's listening socket. With `reuse_port`, each process binds its own on the
    same port (SO_REUSEPORT) and the kernel spreads new connections across them by
    address hash; one socket shared by all would hand a burst of connections to whichever
    process wakes first (asyncio accepts all that are waiting), leaving the others idle."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def pin_process(pid: int, cores: set[int]) -> None:
    """Pin every thread of `pid` (a JVM has dozens) to `cores`; a thread that ends
    meanwhile is skipped."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), cores)


def worker_cores(workers: int, pin: bool, allowed: Iterable[int] | None = None) -> list[int | None]:
    """The core each of `workers` processes is pinned to: the `allowed` cores (by default
    those this process may use), round robin; all None when not pinning."""
    if not pin:
        return [None] * workers
    cores = sorted(os.sched_getaffinity(0) if allowed is None else allowed)
    return [cores[i % len(cores)] for i in range(workers)]


def serve(settings: Settings, reuse_port: bool = True, core: int | None = None) -> None:
    """Run one API process (`omega-api`, or one of `--workers N`) until it is stopped;
    on `core` only, when given."""
    import uvicorn

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if core is not None:  # every thread started so far; later ones inherit it
        pin_process(os.getpid(), {core})
    sock = listening_socket(settings.api_host, settings.api_port, reuse_port)
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(settings: Settings) -> int:
    """Start `api_workers` processes on the port; stop them all on SIGTERM/SIGINT, or when
    one of them ends (whatever runs omega-api restarts it whole). Returns the exit code."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked threads
    cores = worker_cores(settings.api_workers, settings.api_pin_workers)
    processes = [context.Process(target=serve, args=(settings, True, core),
                                 name=f"omega-api-{i}") for i, core in enumerate(cores)]
    stopping = False

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes what it is answering

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.start()
    log.info("omega-api: %d processes on %s:%d (SO_REUSEPORT)%s", len(processes),
             settings.api_host, settings.api_port,
             f", pinned to cores {cores}" if settings.api_pin_workers else "")
    multiprocessing.connection.wait([p.sentinel for p in processes])
    if not stopping:
        ended = next(p for p in processes if not p.is_alive())
        log.error("API process %s ended with %s; stopping the others", ended.name,
                  ended.exitcode)
        stop(signal.SIGTERM, None)
    for process in processes:
        process.join(60)
    return 0 if stopping else 1
