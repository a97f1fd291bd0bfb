"""The API while Kafka is down: 503 with Retry-After, and nothing it refused shows up
later; health says which part is missing; writes work again when Kafka is back."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import KeyRing
from devstack.local_kafka import LocalKafka
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import ensure_topics_and_acls
from omega.kafka.topics import TV_DELTAS
from omega.settings import Settings
from tests.conftest import as_role, valid_delta, wait_for, wait_for_catalog
from tests.integration.conftest import read_all

pytestmark = pytest.mark.integration


def test_kafka_down_means_503_never_a_false_accept(
    own_broker: LocalKafka, make_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    state = own_broker.status()
    assert state is not None
    settings = make_settings(kafka_bootstrap=state.bootstrap, api_write_timeout_s=2,
                             rate_limit_ip_per_s=0, api_port=0)
    ensure_topics_and_acls(settings)
    keys = KeyRing(settings.sync_keys)

    def sync(client: TestClient, device: str) -> tuple[int, dict[str, str], str]:
        response = client.post("/v1/sync", json=valid_delta(device, 1, int(time.time() * 1000)),
                               headers={"X-Device-Id": device,
                                        "Authorization": f"Bearer {keys.token(device)}"})
        return response.status_code, dict(response.headers), response.text

    with TestClient(create_app(as_role(settings, "api"))) as client:
        wait_for_catalog(client)
        assert sync(client, "tv-before")[0] == 200
        own_broker.stop()
        started = time.monotonic()
        status, headers, text = sync(client, "tv-during")
        assert status == 503 and headers["retry-after"] == "5", text
        assert "not accepted" in text and time.monotonic() - started < 10
        health = client.get("/api/health")
        assert health.status_code == 503 and health.json()["kafka"]["reachable"] is False
        own_broker.start(timeout_s=90, die_with_parent=True)
        # The producer reconnects on its own; each try is a real sync, refused until then.
        wait_for(lambda: sync(client, "tv-after")[0] == 200, 60, "a sync accepted again")

    landed = read_all(settings, TV_DELTAS)
    assert {m.key() for m in landed} == {b"tv-before", b"tv-after"}, "the refused one is absent"
