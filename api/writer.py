"""Writes to Kafka that a request can wait for: answered only once Kafka has the record.

The API never says "accepted" for what Kafka has not acknowledged: each write resolves
when the delivery report arrives, or fails with `KafkaUnavailable` (→ 503 + Retry-After)
when it does not arrive within OMEGA_API_WRITE_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from confluent_kafka import KafkaError, Producer

from omega.kafka.clients import make_producer
from omega.settings import Settings


class KafkaUnavailable(RuntimeError):
    pass


class KafkaWriter:
    def __init__(self, settings: Settings) -> None:
        timeout_ms = int(settings.api_write_timeout_s * 1000)
        self.producer: Producer = make_producer(
            settings, **{"linger.ms": 2, "message.timeout.ms": timeout_ms,
                         "socket.timeout.ms": min(timeout_ms, 10_000)})
        self.timeout_s = settings.api_write_timeout_s
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="kafka-writer", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.producer.poll(0.05)

    async def write(self, topic: str, key: bytes, value: bytes) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def report(err: KafkaError | None, _msg: Any) -> None:
            def settle() -> None:
                if done.done():
                    return
                if err is None:
                    done.set_result(None)
                else:
                    done.set_exception(KafkaUnavailable(f"Kafka did not take the write: {err}"))
            # A report after the request's loop closed (the app shut down) has no one to
            # tell; raising here would abort the flush that closes the producer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle)

        try:
            self.producer.produce(topic, key=key, value=value, on_delivery=report)
        except BufferError as exc:
            raise KafkaUnavailable("Kafka write queue is full") from exc
        try:
            await asyncio.wait_for(done, self.timeout_s + 1)
        except TimeoutError as exc:
            raise KafkaUnavailable("Kafka did not acknowledge the write in time") from exc

    def close(self) -> None:
        """Deliver what is queued (up to OMEGA_API_WRITE_TIMEOUT_S), then destroy the
        producer: one left open would retry its broker until the process exits."""
        self._stop.set()
        self._poller.join(2)
        self.producer.flush(self.timeout_s)
        self.producer.close()
