"""The fleet's TVs that sync through the API (producers/tv_sync.py) do what a TV does:
their deltas are accepted under their own tokens and land on Kafka; a refusal is
counted with its reason, never dropped silently."""

from __future__ import annotations

import pytest

from omega.device_tokens import KeyRing
from omega.kafka.clients import read_to_end
from omega.kafka.topics import TV_DELTAS
from producers.tv_sync import ApiSync
from tests.api.conftest import World
from tests.conftest import valid_delta

pytestmark = pytest.mark.integration


def test_fleet_tvs_sync_through_the_api_with_their_tokens(api_world: World,
                                                          base_url: str) -> None:
    settings = api_world.settings
    titles = [api_world.heat, api_world.ronin]
    records = [valid_delta(f"fleet-test-{i}", 1, 0, [(t, 1200) for t in titles])
               for i in range(30)]
    tvs = ApiSync(base_url, KeyRing.from_settings(settings), workers=3)
    for record in records:
        tvs.submit(record)
    tvs.close()
    assert tvs.outcomes == {"accepted": 30}, tvs.line()
    landed = {m.key() for m in read_to_end(settings, [settings.topic(TV_DELTAS)])}
    assert {r["device_id"].encode() for r in records} <= landed


def test_a_refused_sync_is_counted_with_its_reason(api_world: World, base_url: str) -> None:
    strangers = ApiSync(base_url, KeyRing("new:not-the-secret"), workers=1)
    strangers.submit(valid_delta("fleet-stranger", 1, 0, [(api_world.heat, 600)]))
    strangers.close()
    assert strangers.outcomes == {"refused (401)": 1}
    assert strangers.first_refusal is not None and "401" in strangers.first_refusal
    assert "device token" in strangers.first_refusal
