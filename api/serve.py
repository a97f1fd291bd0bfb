"""Running the API's processes: one, or `--workers N` sharing the port.

With N processes, connections reach them one of two ways (`api_dispatch`):
- round-robin (default): the supervisor owns the listening socket, accepts each
  connection and hands its file descriptor to the next process over a Unix socket
  (SCM_RIGHTS), which serves it as if it had accepted it. 16 connections over 2 processes
  split 8/8, whatever their addresses.
- reuseport: each process binds its own SO_REUSEPORT socket and the kernel picks one per
  connection by address hash, so a few long-lived connections split binomially.

Apart from api/__main__.py because multiprocessing's spawn re-imports the target's
module in each child, and it never re-imports a package's `__main__`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import uvicorn

from omega.settings import Settings

log = logging.getLogger("omega-api")

READY = b"r"  # a process tells the supervisor it is serving; then connections come
BACKLOG = 2048


class HandedOverServer(uvicorn.Server):
    """uvicorn serving the connections the supervisor accepted and handed over on
    `channel`, instead of accepting its own."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan; no listening socket
        config = self.config
        protocol = functools.partial(  # as uvicorn's own startup builds it
            config.http_protocol_class, config=config,  # type: ignore[call-arg]
            server_state=self.server_state, app_state=self.lifespan.state)
        self.channel.setblocking(False)
        asyncio.get_running_loop().add_reader(self.channel.fileno(), self._adopt, protocol)
        self.channel.sendall(READY)

    def _adopt(self, protocol: Callable[[], asyncio.Protocol]) -> None:
        try:
            data, fds, _, _ = socket.recv_fds(self.channel, 64, 64)
        except BlockingIOError:
            return
        if not data:  # the supervisor is gone: no more connections will come
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
            self.should_exit = True
        for fd in fds:
            asyncio.ensure_future(self._serve_handed(protocol, socket.socket(fileno=fd)))

    @staticmethod
    async def _serve_handed(protocol: Callable[[], asyncio.Protocol], conn: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(protocol, conn)
        except OSError as exc:  # the client went away before we got to it
            log.info("a handed-over connection could not be served: %s", exc)
            conn.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        with contextlib.suppress(ValueError, OSError):  # already removed, or closed
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets)


def hand_over(listener: socket.socket, channels: list[socket.socket]) -> None:
    """Accept connections until `listener` is shut down and hand each to the next of
    `channels` in turn (round robin)."""
    for channel in itertools.cycle(channels):
        try:
            conn, _ = listener.accept()
        except OSError:  # shut down: omega-api is stopping
            return
        with conn:  # ours closes once sent: the kernel keeps the connection for the process
            try:
                socket.send_fds(channel, [b"c"], [conn.fileno()])
            except OSError as exc:  # that process ended; the supervisor stops everything
                log.error("could not hand a connection over: %s", exc)


def listening_socket(host: str, port: int, reuse_port: bool,
                     listen: bool = True) -> socket.socket:
    """The API's listening socket (bound; listening unless `listen` is False). With
    `reuse_port`, each process binds its own on the same port (SO_REUSEPORT) and the
    kernel spreads new connections across them by address hash; one socket shared by all
    would hand a burst of connections to whichever process wakes first (asyncio accepts
    all that are waiting), leaving the others idle: hence round-robin hand-over."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(BACKLOG)
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


def serve(settings: Settings, reuse_port: bool = True, core: int | None = None,
          channel: socket.socket | None = None) -> None:
    """Run one API process (`omega-api`, or one of `--workers N`) until it is stopped;
    on `core` only, when given. With `channel`, it serves the connections the supervisor
    hands over there; otherwise it listens on the port itself."""
    from threadpoolctl import threadpool_limits

    from api.app import create_app

    # One BLAS thread: the index's matrix-vector products run on several threads (the event
    # loop's portal, the encoder's); OpenBLAS's own pool entered from several of them once
    # spun for over ten minutes inside one 2,500 × 384 product, and a process has a core.
    threadpool_limits(1, user_api="blas")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if core is not None:  # every thread started so far; later ones inherit it
        pin_process(os.getpid(), {core})
    config = uvicorn.Config(create_app(settings), log_level="warning", access_log=False)
    if channel is not None:
        HandedOverServer(config, channel).run()
        return
    sock = listening_socket(settings.api_host, settings.api_port, reuse_port)
    uvicorn.Server(config).run(sockets=[sock])


def wait_ready(channels: list[socket.socket], processes: list[Any]) -> bool:
    """Wait until every process said it is serving (True), or one ended first (False)."""
    waiting = {channel.fileno(): channel for channel in channels}
    sentinels = {process.sentinel for process in processes}
    while waiting:
        for ready in multiprocessing.connection.wait([*waiting, *sentinels]):
            if ready in sentinels:
                return False
            if waiting.pop(int(ready)).recv(1) != READY:  # type: ignore[arg-type]
                return False
    return True


def supervise(settings: Settings) -> int:
    """Start `api_workers` processes on the port; stop them all on SIGTERM/SIGINT, or when
    one of them ends (whatever runs omega-api restarts it whole). Returns the exit code."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters: no forked threads
    cores = worker_cores(settings.api_workers, settings.api_pin_workers)
    round_robin = settings.api_dispatch == "round-robin"
    # One Unix socket pair per process: the process's end carries handed-over connections.
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) if round_robin
             else None for _ in cores]
    processes = [context.Process(target=serve, args=(settings, True, core,
                                                     pair[1] if pair else None),
                                 name=f"omega-api-{i}")
                 for i, (core, pair) in enumerate(zip(cores, pairs, strict=True))]
    stopping = False
    listener: socket.socket | None = None

    def stop(_signal: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        if listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread
                listener.shutdown(socket.SHUT_RDWR)
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes what it is answering

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if round_robin:  # bound before the processes start, so a port in use fails at once;
        # it listens once every process is ready (until then a client is refused, as when
        # no process is up with reuseport)
        listener = listening_socket(settings.api_host, settings.api_port, reuse_port=False,
                                    listen=False)
    for process in processes:
        process.start()
    pinned = f", pinned to cores {cores}" if settings.api_pin_workers else ""
    if round_robin:
        channels = [pair[0] for pair in pairs if pair is not None]
        for pair in pairs:
            if pair is not None:
                pair[1].close()  # the process has its own copy
        if wait_ready(channels, processes) and not stopping:
            assert listener is not None
            listener.listen(BACKLOG)
            threading.Thread(target=hand_over, args=(listener, channels), daemon=True,
                             name="omega-api-accept").start()
            log.info("omega-api: %d processes on %s:%d (connections handed over round "
                     "robin)%s", len(processes), settings.api_host, settings.api_port, pinned)
    else:
        log.info("omega-api: %d processes on %s:%d (SO_REUSEPORT)%s", len(processes),
                 settings.api_host, settings.api_port, pinned)
    multiprocessing.connection.wait([p.sentinel for p in processes])
    if not stopping:
        ended = next(p for p in processes if not p.is_alive())
        log.error("API process %s ended with %s; stopping the others", ended.name,
                  ended.exitcode)
        stop(signal.SIGTERM, None)
    for process in processes:
        process.join(60)
    return 0 if stopping else 1
