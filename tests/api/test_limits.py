"""Rate limits (per address, per device) answer 429 with Retry-After; every response
carries the security headers; key rotation; secrets never reach the logs."""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import RateLimiter, retry_after
from api.security import SECURITY_HEADERS, KeyRing, TokenRefused
from api.state import session_limiter
from tests.api.conftest import World
from tests.conftest import valid_delta

pytestmark = pytest.mark.integration


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a") == pytest.approx(0.5)  # one token comes back in 1/2 s
    assert limiter.take("b") == 0, "buckets are per key"
    clock.now += 0.5
    assert limiter.take("a") == 0
    clock.now += 100
    assert [limiter.take("a") for _ in range(4)][-1] > 0, "refill stops at the burst"
    assert retry_after(0.01) == "1" and retry_after(2.2) == "3"


def test_memory_is_bounded_by_max_keys() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_keys=100, clock=FakeClock())
    for i in range(10_000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100


def test_an_address_over_its_limit_gets_429_with_retry_after(api_world: World) -> None:
    settings = api_world.settings.model_copy(update={"rate_limit_ip_per_s": 1,
                                                     "rate_limit_ip_burst": 5})
    with TestClient(create_app(settings, state=api_world.state)) as client:
        codes = [client.get("/api/discover").status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
        limited = client.get("/api/discover")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        assert "too many requests from this address" in limited.json()["error"]
        assert client.get("/api/health").status_code in (200, 503), "health is never limited"


def test_a_device_syncing_too_often_gets_429_and_others_do_not(api_world: World) -> None:
    keys = KeyRing(api_world.settings.sync_keys)
    device, other = f"tv-{uuid.uuid4().hex[:8]}", f"tv-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)

    def sync(dev: str, seq: int, token: str | None = None) -> int:
        headers = {"X-Device-Id": dev, "Authorization": f"Bearer {token or keys.token(dev)}"}
        return api_world.client.post("/v1/sync", json=valid_delta(
            dev, seq, now, [(api_world.heat, 600)]), headers=headers).status_code

    burst = int(api_world.settings.rate_limit_device_burst)
    assert [sync(device, i) for i in range(1, burst + 1)] == [200] * burst
    assert sync(device, burst + 1) == 429
    assert sync(other, 1) == 200
    # A wrong token never reaches the limiter: no one can spend another device's budget.
    forged = f"new.{int(time.time())}.{int(time.time()) + 60}.{'0' * 64}"  # a wrong MAC
    assert sync(other, 2, token=forged) == 401


def test_an_address_asking_for_too_many_sessions_gets_429(api_world: World) -> None:
    """Minting sessions to push a query past the release floor takes many addresses."""
    settings = api_world.settings.model_copy(update={"session_issue_per_min": 10,
                                                     "session_issue_burst": 3})
    state = dataclasses.replace(api_world.state, settings=settings,
                                session_rate=session_limiter(settings))
    app = create_app(settings, state=state)
    with TestClient(app, client=("203.0.113.7", 4000)) as one, \
            TestClient(app, client=("203.0.113.8", 4000)) as other:
        assert [one.post("/api/session").status_code for _ in range(3)] == [201] * 3
        refused = one.post("/api/session")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "6"
        assert "too many analytics sessions" in refused.json()["error"]
        assert "at most 10 a minute" in refused.json()["error"]
        assert other.post("/api/session").status_code == 201, "limits are per address"


def test_metrics_answer_this_host_or_a_bearer_token_only(api_world: World) -> None:
    app = api_world.client.app
    assert TestClient(app, client=("127.0.0.1", 1)).get("/metrics/").status_code == 200
    remote = TestClient(app, client=("203.0.113.7", 1)).get("/metrics/")
    assert remote.status_code == 403 and "OMEGA_METRICS_TOKEN" in remote.json()["error"]
    settings = api_world.settings.model_copy(update={"metrics_token": "scrape-secret"})
    with TestClient(create_app(settings, state=api_world.state),
                    client=("203.0.113.7", 1)) as scraper:
        assert scraper.get("/metrics/").status_code == 401
        assert scraper.get("/metrics/", headers={
            "Authorization": "Bearer wrong"}).status_code == 401
        scraped = scraper.get("/metrics/", headers={"Authorization": "Bearer scrape-secret"})
        assert scraped.status_code == 200 and "omega_api_requests_total" in scraped.text


def test_every_response_carries_the_security_headers(api_world: World) -> None:
    for response in (api_world.client.get("/"), api_world.client.get("/api/discover"),
                     api_world.client.post("/api/search", json={}),
                     api_world.client.post("/v1/sync", json={})):
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (response.request.url, name)
    assert "max-age=31536000" in SECURITY_HEADERS["Strict-Transport-Security"]
    assert "default-src 'self'" in SECURITY_HEADERS["Content-Security-Policy"]


def test_rotated_keys_verify_and_secrets_stay_out_of_logs(
    api_world: World, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ring = KeyRing("k2:second-secret,k1:first-secret")
    assert ring.token("tv-9").startswith("k2.")  # the first key signs
    ring.verify("tv-9", KeyRing("k1:first-secret").token("tv-9"))  # the old verifies
    with pytest.raises(TokenRefused, match="key 'k0' is not accepted"):  # a dropped one not
        ring.verify("tv-9", KeyRing("k0:gone").token("tv-9"))
    assert "secret" not in repr(ring)
    device = f"tv-{uuid.uuid4().hex[:8]}"
    token = KeyRing(api_world.settings.sync_keys).token(device)
    api_world.client.post("/v1/sync", json=valid_delta(device, 1, int(time.time() * 1000)),
                          headers={"X-Device-Id": device, "Authorization": f"Bearer {token}"})
    for secret in ("test-secret-2", "test-secret-1", token.split(".")[-1]):
        assert secret not in caplog.text
    assert "test-secret-2" not in repr(api_world.settings), "settings' repr hides the keys"
