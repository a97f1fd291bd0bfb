"""The send loop every producer CLI shares: paced or as fast as possible, acked, counted."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from confluent_kafka import Producer

from omega.kafka.clients import produce_waiting
from omega.progress import progress

# (key, value (None: a tombstone, deleting the key), seconds after the start at which to
# send it; None = as soon as possible)
Outgoing = tuple[bytes, bytes | None, float | None]


@dataclass
class SendReport:
    sent: int
    failed: int
    undelivered: int
    elapsed_s: float
    first_error: str | None = None  # Kafka's reason for the first failed delivery

    @property
    def rate(self) -> float:
        return self.sent / max(self.elapsed_s, 1e-9)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.undelivered == 0

    def line(self, noun: str) -> str:
        reason = f" (first failure: {self.first_error})" if self.first_error else ""
        return (f"sent {self.sent:,} {noun} in {self.elapsed_s:.1f} s ({self.rate:,.0f}/s); "
                f"{self.failed} failed, {self.undelivered} undelivered{reason}")


def send_all(producer: Producer, topic: str, messages: Iterable[Outgoing], *,
             total: int | None, unit: str, rate: float = 0.0,
             clock: Callable[[], float] = time.monotonic) -> SendReport:
    """Send `messages` to `topic` in order; wait for every acknowledgement at the end.

    A message's own send time (seconds after the start) paces it; otherwise `rate` per
    second does (0 = as fast as the client takes them). Ctrl-C stops sending, and what
    was handed to the client is still flushed and counted.
    """
    failures: list[str] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    started = clock()
    sent = 0
    try:
        # a bar on a terminal only: in a log file it is thousands of \r-joined updates
        for key, value, at in progress(messages, total=total, unit=unit, desc=unit + "s"):
            due = at if at is not None else (sent / rate if rate > 0 else None)
            if due is not None:
                ahead = due - (clock() - started)
                if ahead > 0:
                    time.sleep(ahead)
            produce_waiting(producer, topic, key, value, on_delivery=on_delivery)
            sent += 1
    except KeyboardInterrupt:
        pass
    finally:
        left = producer.flush(60)
    return SendReport(sent, len(failures), left, clock() - started,
                      failures[0] if failures else None)
