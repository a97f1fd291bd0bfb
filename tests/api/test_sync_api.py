"""/v1/sync and /api/analytics on the real broker: what the API accepts is on Kafka."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from api.app import create_app
from api.security import KeyRing
from api.sessions import SALT, SessionSigner
from omega.kafka.topics import TV_DELTAS, WEB_INTERACTIONS
from omega.keys import folder_secret
from tests.api.conftest import World
from tests.conftest import as_role, valid_delta
from tests.integration.conftest import read_all

pytestmark = pytest.mark.integration


def device_headers(world: World, device: str, content_type: str = "application/json",
                   key_id: str | None = None) -> dict[str, str]:
    token = KeyRing(world.settings.sync_keys).token(device, key_id)
    return {"X-Device-Id": device, "Authorization": f"Bearer {token}",
            "Content-Type": content_type}


def on_topic(world: World, topic: str, key: bytes) -> list[Any]:
    """The records with `key` on `topic`: the API answers only once Kafka has acknowledged
    a write, so what it accepted is there when the call returns."""
    return [m for m in read_all(world.settings, topic) if m.key() == key]


def test_sync_round_trip_lands_the_delta_and_returns_a_small_pattern(api_world: World) -> None:
    device = f"tv-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    record = valid_delta(device, 7, now, [(api_world.heat, 3000), (api_world.trending, 600)])
    body = api_world.state.codec.encode("omega.TvDelta", record)
    response = api_world.client.post("/v1/sync", content=body,
                                     headers=device_headers(api_world, device,
                                                            "application/avro"))
    assert response.status_code == 200, response.text
    assert len(response.content) <= 5 * 1024
    pattern = response.json()
    assert pattern["trending"][:2] == [api_world.trending, api_world.heat]
    assert pattern["watchedTogether"][str(api_world.heat)] == [api_world.ronin]
    landed = on_topic(api_world, TV_DELTAS, device.encode())
    assert [m.value() for m in landed] == [body]

    # JSON works too, and a token signed with the older key still verifies (rotation).
    json_record = valid_delta(device, 8, now, [(api_world.ronin, 100)])
    response = api_world.client.post("/v1/sync", content=json.dumps(json_record),
                                     headers=device_headers(api_world, device, key_id="old"))
    assert response.status_code == 200, response.text
    assert len(on_topic(api_world, TV_DELTAS, device.encode())) == 2

    # JSON may leave out what the schema gives a default (a title's rating), and write
    # 1 for 1.0: the delta on the topic is the Avro record with both filled in.
    sparse = valid_delta(device, 9, now, [(api_world.ronin, 100)])
    del sparse["titles"][0]["rating"]
    sparse["titles"][0]["completion"] = 1
    response = api_world.client.post("/v1/sync", content=json.dumps(sparse),
                                     headers=device_headers(api_world, device))
    assert response.status_code == 200, response.text
    last = api_world.state.codec.decode(
        on_topic(api_world, TV_DELTAS, device.encode())[-1].value(), "omega.TvDelta")
    assert last["titles"][0]["rating"] is None and last["titles"][0]["completion"] == 1.0


def test_bad_tokens_and_bad_deltas_are_refused_with_reasons(api_world: World) -> None:
    device = f"tv-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    good = json.dumps(valid_delta(device, 1, now, [(api_world.heat, 10)]))
    client = api_world.client
    headers = device_headers(api_world, device)
    times = f"{now // 1000}.{now // 1000 + 60}"
    wrong = dict(headers, Authorization=f"Bearer new.{times}.{'0' * 64}")
    assert client.post("/v1/sync", content=good, headers=wrong).status_code == 401
    unknown_key = dict(headers, Authorization=f"Bearer gone.{times}.{'0' * 64}")
    assert client.post("/v1/sync", content=good, headers=unknown_key).status_code == 401
    other = device_headers(api_world, "tv-someone-else")
    assert client.post("/v1/sync", content=good, headers=other).status_code == 403
    cases = [
        (b"\x00\x01garbage", "application/avro", 400, "not_avro"),
        (b"{}", "application/json", 400, "TvDelta"),
        (b"[1]", "application/json", 400, "JSON object"),
        (json.dumps(valid_delta(device, -1, now)).encode(), "application/json", 400, "bad_seq"),
        (json.dumps(valid_delta(device, 1, now + 10**9)).encode(), "application/json", 400,
         "future_time"),
        (b"x" * 2000, "application/json", 413, "at most 1024"),
        (good.encode(), "text/plain", 415, "Content-Type"),
    ]
    for body, content_type, status, words in cases:
        response = client.post("/v1/sync", content=body,
                               headers=dict(headers, **{"Content-Type": content_type}))
        assert response.status_code == status, (body[:40], response.text)
        assert words in response.json()["error"], response.json()
    assert on_topic_count(api_world, device) == 0


def test_expired_future_or_unprefixed_tokens_get_401_saying_why(api_world: World) -> None:
    """A token carries its issue and expiry times, and only `Bearer <token>` is read."""
    device = f"tv-{uuid.uuid4().hex[:8]}"
    now = int(time.time())
    keys = KeyRing.from_settings(api_world.settings)
    body = json.dumps(valid_delta(device, 1, now * 1000, [(api_world.heat, 10)]))

    def sync(authorization: str) -> httpx.Response:
        return api_world.client.post("/v1/sync", content=body, headers={
            "X-Device-Id": device, "Authorization": authorization,
            "Content-Type": "application/json"})

    month_ago = keys.token(device, issued=now - 31 * 86_400)  # the 30-day lifetime is over
    refused = {
        f"Bearer {month_ago}": f"expired at {time.strftime('%Y-%m-%d', time.gmtime(now - 86_400))}",
        f"Bearer {keys.token(device, issued=now + 3600)}": "ahead of this server's clock",
        keys.token(device): "Bearer prefix is required",
        "": "no device token",
        f"Bearer {keys.token(device)}x": "malformed",
    }
    for authorization, reason in refused.items():
        response = sync(authorization)
        assert response.status_code == 401, (authorization, response.text)
        assert reason in response.json()["error"], response.json()
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert on_topic_count(api_world, device) == 0
    within_skew = keys.token(device, issued=now + 60)  # an issuer's clock a minute ahead
    assert sync(f"Bearer {within_skew}").status_code == 200
    assert on_topic_count(api_world, device) == 1


def on_topic_count(world: World, device: str) -> int:
    return len(on_topic(world, TV_DELTAS, device.encode()))


def test_analytics_events_land_on_the_web_topic_under_the_issued_session(
        api_world: World) -> None:
    issued = api_world.client.post("/api/session")
    assert issued.status_code == 201
    token = issued.json()["session"]
    assert issued.json()["expiresAtMs"] > time.time() * 1000
    session = api_world.state.sessions.verify(token)
    events = [{"kind": "SEARCH", "query": "heist movies"},
              {"kind": "PLAY", "titleId": api_world.heat}]
    response = api_world.client.post("/api/analytics", json={"session": token, "events": events})
    assert response.status_code == 202 and response.json() == {"accepted": 2}
    landed = on_topic(api_world, WEB_INTERACTIONS, session.encode())
    decoded = [api_world.state.codec.decode(m.value(), "omega.WebInteraction") for m in landed]
    assert [(d["session_id"], d["kind"], d["query"], d["title_id"]) for d in decoded] == [
        (session, "SEARCH", "heist movies", None), (session, "PLAY", None, api_world.heat)]
    bad = api_world.client.post("/api/analytics", json={"session": token, "events": [
        {"kind": "PLAY"}]})
    assert bad.status_code == 422 and "titleId" in bad.json()["error"]


class HourAgo(TimestampSigner):
    """Signs as if an hour ago: a token past the API's 30-minute session lifetime."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 3600


def test_analytics_under_a_forged_expired_or_missing_session_is_refused(
        api_world: World) -> None:
    token = api_world.client.post("/api/session").json()["session"]
    payload, _, signature = token.rpartition(".")
    forged = f"{payload}.{'A' * len(signature)}"
    other_key = SessionSigner("not-this-services-secret", 60).issue().token
    secret = folder_secret(api_world.settings.data_dir / "api", "session-secret")
    old = URLSafeTimedSerializer(secret, salt=SALT, signer=HourAgo).dumps("an-old-session")
    event = [{"kind": "SEARCH", "query": "forged sessions"}]
    for bad, words in [(forged, "not issued by this service"),
                       (other_key, "not issued by this service"),
                       ("made-up-session", "not issued by this service")]:
        response = api_world.client.post("/api/analytics", json={"session": bad, "events": event})
        assert response.status_code == 401 and words in response.json()["error"], response.text
    response = api_world.client.post("/api/analytics", json={"session": old, "events": event})
    assert response.status_code == 401 and "expired" in response.json()["error"]
    missing = api_world.client.post("/api/analytics", json={"events": event})
    assert missing.status_code == 422 and "session" in missing.json()["error"]
    forged_id = api_world.client.post("/api/analytics", json={
        "session": token, "events": [{"sessionId": "chosen-by-me", **event[0]}]})
    assert forged_id.status_code == 422 and "sessionId" in forged_id.json()["error"]


def test_a_tv_may_sync_any_catalog_title_whatever_the_configured_universe(
        api_world: World) -> None:
    """OMEGA_TITLE_UNIVERSE_SIZE bounds title ids only while no catalog is known: once the
    views hold the catalog, its ids are what a TV may watch (`make run` syncs 63,209)."""
    state = dataclasses.replace(api_world.state, limits=dataclasses.replace(
        api_world.state.limits, title_universe_size=10))
    device = f"tv-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    top = api_world.state.views.max_title_id
    assert top == max(api_world.catalog) and api_world.heat > 10
    with TestClient(create_app(as_role(api_world.settings, "api"), state=state)) as client:
        ok = client.post("/v1/sync", content=json.dumps(valid_delta(
            device, 1, now, [(api_world.heat, 600)])), headers=device_headers(api_world, device))
        beyond = client.post("/v1/sync", content=json.dumps(valid_delta(
            device, 2, now, [(top + 1, 600)])), headers=device_headers(api_world, device))
    assert ok.status_code == 200, ok.text
    assert beyond.status_code == 400
    assert f"catalog ids are 1..{top}" in beyond.json()["error"]


def test_a_sync_before_the_catalog_is_read_is_told_to_retry(
        api_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Title ids cannot be checked until the views hold the catalog: a 503 the TV retries,
    not a 400 that would drop a valid delta (make run's first syncs got 400s)."""
    monkeypatch.setattr(api_world.state.views, "caught_up", False)
    device = f"tv-early-{uuid.uuid4().hex[:6]}"
    delta = valid_delta(device, 1, int(time.time() * 1000), [(api_world.heat, 600)])
    response = api_world.client.post("/v1/sync", content=json.dumps(delta),
                                     headers=device_headers(api_world, device))
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert "still reading the catalog" in response.json()["error"]
    monkeypatch.setattr(api_world.state.views, "caught_up", True)
    again = api_world.client.post("/v1/sync", content=json.dumps(delta),
                                  headers=device_headers(api_world, device))
    assert again.status_code == 200, again.text
