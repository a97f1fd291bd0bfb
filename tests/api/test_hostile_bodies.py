"""Bodies no one should be able to break the API with: nested too deep, integers past
Avro's ranges, chunked past the size limit, and bugs; each gets a JSON 4xx (or a logged
JSON 500) with the security headers, never a plain-text 500."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive

from api.app import create_app
from api.limits import MAX_JSON_DEPTH, JsonDepth
from api.security import SECURITY_HEADERS
from tests.api.conftest import World
from tests.conftest import valid_delta

pytestmark = pytest.mark.integration
HUGE_SEQ = 1180591620717411303424  # 2**70
HUGE_TITLE = 18446744073709551616  # 2**64


def sync(world: World, body: bytes | str, device: str | None = None) -> httpx.Response:
    """POST /v1/sync with a valid token for `device` (a fresh one by default)."""
    device = device or f"tv-{uuid.uuid4().hex[:12]}"
    headers = {"X-Device-Id": device, "Content-Type": "application/json",
               "Authorization": f"Bearer {world.state.keys.token(device)}"}
    return world.client.post("/v1/sync", content=body, headers=headers)


def assert_problem(response: httpx.Response, status: int, *says: str) -> None:
    """A JSON {error, status} answer with the security headers, its error saying `says`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert body["status"] == status and isinstance(body["error"], str), body
    for words in says:
        assert words in body["error"], body["error"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


def delta_with(world: World, device: str, **fields: Any) -> str:
    record = valid_delta(device, 1, int(time.time() * 1000), [(world.heat, 600)])
    for name, value in fields.items():
        if name.startswith("title_"):
            record["titles"][0][name.removeprefix("title_")] = value
        else:
            record[name] = value
    return json.dumps(record)


def test_the_three_probes_get_400_naming_what_is_wrong(api_world: World) -> None:
    """At 6766f72 each of these was a plain-text 500 without the security headers."""
    assert_problem(sync(api_world, "[" * 1000), 400, f"more than {MAX_JSON_DEPTH} deep")
    device = f"tv-{uuid.uuid4().hex[:12]}"
    assert_problem(sync(api_world, delta_with(api_world, device, seq=HUGE_SEQ), device), 400,
                   f"seq: {HUGE_SEQ} is outside the Avro long range")
    assert_problem(sync(api_world, delta_with(api_world, device, title_title_id=HUGE_TITLE),
                        device),
                   400, f"titles[0].title_id: {HUGE_TITLE} is outside the Avro long range")


def test_values_fastavro_would_wrap_or_truncate_are_refused(api_world: World) -> None:
    """fastavro writes an int past 32 bits and truncates 1.5 to 1 without a word."""
    device = f"tv-{uuid.uuid4().hex[:12]}"
    cases = [({"title_seconds_watched": 2**31}, "titles[0].seconds_watched: 2147483648 is "
                                                "outside the Avro int range"),
             ({"seq": 1.5}, "seq: 1.5 is not an integer"),
             ({"seq": True}, "seq: True is not an integer"),
             ({"title_completion": 10**40}, "titles[0].completion: 1000"),
             ({"title_rating": "5"}, "titles[0].rating: '5' is none of null or float"),
             ({"titles": None}, "titles: None is not a JSON array"),
             ({"device_id": "\ud800"}, "surrogates not allowed")]
    for fields, says in cases:
        assert_problem(sync(api_world, delta_with(api_world, device, **fields), device), 400,
                       says)
    missing = json.loads(delta_with(api_world, device))
    del missing["titles"][0]["title_id"]
    assert_problem(sync(api_world, json.dumps(missing), device), 400,
                   "titles[0].title_id: missing")
    assert sync(api_world, delta_with(api_world, device), device).status_code == 200


def test_json_nested_too_deep_gets_400_on_every_json_route(api_world: World) -> None:
    def nested(depth: int) -> str:
        return '{"query": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    client = api_world.client
    for path in ("/api/search", "/api/recommendations", "/api/analytics"):
        deep = client.post(path, content=nested(MAX_JSON_DEPTH + 1),
                           headers={"Content-Type": "application/json"})
        assert_problem(deep, 400, f"at most {MAX_JSON_DEPTH}")
        at_limit = client.post(path, content=nested(MAX_JSON_DEPTH),
                               headers={"Content-Type": "application/json"})
        assert_problem(at_limit, 422)  # parsed, then refused by the fields' validation
    brackets_in_a_string = {"query": "[" * 100 + "{" * 100}
    assert client.post("/api/search", json=brackets_in_a_string).status_code == 200


def test_the_depth_count_follows_strings_and_escapes_across_pieces() -> None:
    text = b'{"a": "x\\\\", "b": "[[[\\"[[", "c": [[[]]]}'  # 4 deep; brackets in strings
    for cut in range(len(text) + 1):
        depth = JsonDepth(4)
        assert depth.feed(text[:cut]) and depth.feed(text[cut:]), cut
        assert depth.depth == 0 and not depth.in_string and not depth.escaped, cut
        last = JsonDepth(4)  # the last piece may take the count-only shortcut
        assert last.feed(text[:cut]) and last.feed(text[cut:], more=False), cut
        shallower = JsonDepth(3)
        assert not (shallower.feed(text[:cut]) and shallower.feed(text[cut:], more=False)), cut
    assert JsonDepth(3).feed(b'{"c": "[[[[[[[[[["}', more=False)


def test_a_chunked_body_past_the_limit_gets_413_from_the_real_server(
    api_world: World, base_url: str,
) -> None:
    """At 6766f72 a 30 MB chunked body was read and parsed whole (422 after +92 MB)."""
    def thirty_megabytes() -> Iterator[bytes]:
        yield b'{"query": "'
        for _ in range(30 * 16):
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(f"{base_url}/api/search", content=thirty_megabytes(), timeout=60,
                          headers={"Content-Type": "application/json"})
    assert "content-length" not in response.request.headers  # sent chunked
    limit = api_world.settings.max_request_bytes
    assert_problem(response, 413, f"over {limit} bytes", "OMEGA_MAX_REQUEST_BYTES")


def asgi_post(world: World, path: str, receive: Receive) -> list[Message]:
    """POST `path` to a fresh app on the session's state as ASGI: what the app sent."""
    app = create_app(world.settings, state=world.state)
    app.state.omega = world.state
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    device = "tv-0001"
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked"),
               (b"x-device-id", device.encode()),
               (b"authorization", f"Bearer {world.state.keys.token(device)}".encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("path", ["/api/search", "/v1/sync"])
def test_the_app_never_reads_past_the_limit(api_world: World, path: str) -> None:
    """Driven as ASGI, counting what the app pulls: the limit and one piece, not 30 MB."""
    piece, pulled = 4096, 0

    async def receive() -> Message:
        nonlocal pulled
        pulled += piece
        return {"type": "http.request", "body": b" " * piece, "more_body": pulled < 30 << 20}

    sent = asgi_post(api_world, path, receive)
    limit = api_world.settings.max_request_bytes
    assert limit < pulled <= limit + piece
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["status"] == 413
    assert {k.decode().lower() for k, _ in sent[0]["headers"]} >= {
        k.lower() for k in SECURITY_HEADERS}


@pytest.mark.parametrize("path", ["/api/search", "/v1/sync"])
def test_a_client_leaving_mid_body_is_no_error(
    api_world: World, path: str, caplog: pytest.LogCaptureFixture,
) -> None:
    pieces = iter([{"type": "http.request", "body": b'{"query": ', "more_body": True},
                   {"type": "http.disconnect"}])

    async def receive() -> Message:
        return next(pieces)

    caplog.set_level(logging.WARNING)
    sent = asgi_post(api_world, path, receive)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert not sent or sent[0]["status"] == 400, sent  # FastAPI's parser says 400 to no one


def test_an_unexpected_exception_is_a_logged_json_500(
    api_world: World, caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(api_world.settings, state=api_world.state)

    @app.get("/api/broken")
    async def broken() -> None:
        raise ZeroDivisionError("a bug")

    caplog.set_level(logging.ERROR)
    with TestClient(app) as client:
        response = client.get("/api/broken")
    assert_problem(response, 500, "the error is logged")
    assert "ZeroDivisionError" not in response.text, "no internals leave the server"
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None, logged
    assert "GET /api/broken" in logged[0].getMessage()
