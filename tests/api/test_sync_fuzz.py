"""A property of /v1/sync: whatever body a device with a valid token sends (nested,
huge integers, wrong types, odd unicode, not an object, not JSON), the answer is a 2xx or
a JSON 4xx with the security headers, never a 5xx."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.security import SECURITY_HEADERS
from tests.api.conftest import World

pytestmark = pytest.mark.integration

EDGES = [2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 2**70,
         10**400, -0, float("nan"), float("inf"), -float("inf"), 1e308, 1.5, True, False]
scalars = (st.none() | st.booleans() | st.integers() | st.sampled_from(EDGES) | st.floats()
           | st.text(max_size=20) | st.sampled_from(["\ud800", "\udfff\ud800", "\x00", "é",
                                                     "😀" * 40, " " * 70]))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def either(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a good value, sometimes anything at all."""
    return st.one_of(good, good, good, json_values)


titles = st.fixed_dictionaries(
    {"title_id": either(st.integers(1, 70_000)),
     "seconds_watched": either(st.integers(0, 86_400)),
     "completion": either(st.floats(0, 1)),
     "rating": either(st.none() | st.floats(0, 5))})


@st.composite
def delta(draw: st.DrawFn, device: str) -> dict[str, Any]:
    """A delta shaped like the contract, each field perhaps replaced or dropped."""
    record: dict[str, Any] = {
        "device_id": draw(either(st.just(device))),
        "seq": draw(either(st.integers(0, 2**40))),
        "sent_at_ms": draw(either(st.integers(1_600_000_000_000, 1_800_000_000_000))),
        "titles": draw(either(st.lists(titles, max_size=40))),
        "app_version": draw(either(st.text(max_size=40)))}
    for name in draw(st.lists(st.sampled_from(sorted(record)), max_size=2)):
        record.pop(name, None)
    return record


def encoded(value: Any, ascii_only: bool) -> bytes:
    """JSON bytes; unpaired surrogates become invalid UTF-8 when not escaped."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


nesting = st.builds(lambda n, opener: (opener * n).encode(), st.integers(1, 3000),
                    st.sampled_from(["[", '{"a":', '[{"b":']))
DEVICE = "tv-fuzz"


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["delta", "delta", "json", "nesting", "bytes"]))
    if kind == "nesting":
        return draw(nesting)
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    value = draw(delta(DEVICE)) if kind == "delta" else draw(json_values)
    return encoded(value, draw(st.booleans()))


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=bodies())
def test_any_sync_body_gets_2xx_or_a_json_4xx(api_world: World, body: bytes) -> None:
    # a fresh device each time, so the per-device rate limit never answers first
    device = f"{DEVICE}-{uuid.uuid4().hex[:8]}"
    body = body.replace(DEVICE.encode(), device.encode())
    response = api_world.client.post("/v1/sync", content=body, headers={
        "X-Device-Id": device, "Content-Type": "application/json",
        "Authorization": f"Bearer {api_world.state.keys.token(device)}"})
    assert 200 <= response.status_code < 500, (response.status_code, response.text, body[:300])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    if response.status_code >= 400:
        problem = response.json()
        assert problem["status"] == response.status_code and problem["error"], problem
