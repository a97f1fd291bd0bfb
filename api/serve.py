"""Running the API's processes: one, or `--workers N` sharing the port.

Apart from api/__main__.py because multiprocessing's spawn re-imports the target's
module in each child, and it never re-imports a package's `__main__`.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import signal
import socket

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


def serve(settings: Settings, reuse_port: bool = True) -> None:
    """Run one API process (`omega-api`, or one of `--workers N`) until it is stopped."""
    import uvicorn

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sock = listening_socket(settings.api_host, settings.api_port, reuse_port)
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


def supervise(settings: Settings) -> int:
    """Start `api_workers` processes on the port; stop them all on SIGTERM/SIGINT, or when
    one of them ends (whatever runs omega-api restarts it whole). Returns the exit code."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked threads
    processes = [context.Process(target=serve, args=(settings,), name=f"omega-api-{i}")
                 for i in range(settings.api_workers)]
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
    log.info("omega-api: %d processes on %s:%d (SO_REUSEPORT)", len(processes),
             settings.api_host, settings.api_port)
    multiprocessing.connection.wait([p.sentinel for p in processes])
    if not stopping:
        ended = next(p for p in processes if not p.is_alive())
        log.error("API process %s ended with %s; stopping the others", ended.name,
                  ended.exitcode)
        stop(signal.SIGTERM, None)
    for process in processes:
        process.join(60)
    return 0 if stopping else 1
