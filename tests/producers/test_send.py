"""The shared send loop counts refused deliveries and says why, never reports them sent."""

from __future__ import annotations

from confluent_kafka import Producer

from producers.send import send_all


def test_undeliverable_messages_are_counted_as_failed_with_kafkas_reason() -> None:
    # A real client whose broker never answers: every delivery times out after 0.3 s.
    producer = Producer({"bootstrap.servers": "127.0.0.1:9", "message.timeout.ms": 300,
                         "socket.connection.setup.timeout.ms": 1000})
    messages = ((str(i).encode(), b"title", None) for i in range(5))
    report = send_all(producer, "omega.data.catalog-titles.v1", messages, total=5, unit="title")
    assert report.sent == 5 and report.failed == 5 and not report.ok
    assert report.first_error is not None and "timed out" in report.first_error.lower()
    assert "5 failed" in report.line("titles") and report.first_error in report.line("titles")
