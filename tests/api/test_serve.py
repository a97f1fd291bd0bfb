"""Which core each `omega-api --workers N` process is pinned to, and how connections are
handed to the processes round robin."""

from __future__ import annotations

import os
import socket
import threading

from api.serve import hand_over, listening_socket, worker_cores


def test_workers_take_the_allowed_cores_round_robin() -> None:
    assert worker_cores(2, True, allowed=[1, 0]) == [0, 1]
    assert worker_cores(3, True, allowed=[2, 5]) == [2, 5, 2]
    assert worker_cores(1, True, allowed=[3]) == [3]


def test_by_default_the_cores_this_process_may_use() -> None:
    allowed = sorted(os.sched_getaffinity(0))
    assert worker_cores(len(allowed), True) == allowed


def test_not_pinned_when_switched_off() -> None:
    assert worker_cores(2, False, allowed=[0, 1]) == [None, None]


def test_connections_are_handed_to_the_processes_in_turn() -> None:
    """Real sockets: each accepted connection's descriptor arrives on the next channel,
    still connected to its client."""
    listener = listening_socket("127.0.0.1", 0, reuse_port=False)
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(2)]
    accepting = threading.Thread(target=hand_over, args=(listener, [p[0] for p in pairs]))
    accepting.start()
    clients = [socket.create_connection(listener.getsockname()) for _ in range(4)]
    try:
        for n, client in enumerate(clients):
            client.sendall(f"client {n}".encode())
        received = []
        for n in range(4):
            _, fds, _, _ = socket.recv_fds(pairs[n % 2][1], 16, 4)
            assert len(fds) == 1
            with socket.socket(fileno=fds[0]) as conn:
                received.append(conn.recv(16).decode())
        assert received == ["client 0", "client 1", "client 2", "client 3"]
    finally:
        listener.shutdown(socket.SHUT_RDWR)  # how omega-api stops the accepting thread
        accepting.join(5)
        for client in clients:
            client.close()
        listener.close()
    assert not accepting.is_alive()
