"""The API's views catch up with release topics the worker writes in transactions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from omega.kafka.avro import AvroCodec
from omega.release import WindowRelease
from omega.settings import Settings
from streams.sink import ReleaseSink
from tests.api.conftest import trend_release
from tests.conftest import as_role, wait_for

pytestmark = pytest.mark.integration


def test_views_catch_up_when_a_release_ends_with_a_transaction_marker(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    """A committed transaction's last offset is its marker, which no consumer is handed:
    a reader that waits for the last offset itself never catches up (health said 503)."""
    settings = kafka_settings(api_port=0, rate_limit_ip_per_s=0)
    end = 4 * 3_600_000 * 10
    ReleaseSink(settings, codec).publish(WindowRelease(
        end - 4 * 3_600_000, end, [trend_release(7, 1200, end)], [], [], []))
    with TestClient(create_app(as_role(settings, "api"))) as client:
        views = client.app.state.omega.views
        wait_for(lambda: views.caught_up, 30, "the API's views caught up")
        assert [r["title_id"] for r in views.releases["tv"]] == [7]
        assert client.get("/api/health").json()["views"]["caughtUp"] is True
