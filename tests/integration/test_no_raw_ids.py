"""After a run, no raw device or session id appears in any topic that leaves streams/
or in any API response: every number that leaves is a DP release or catalog data."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import orjson
import pytest
from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]
from fastapi.testclient import TestClient

from api.app import create_app
from api.security import KeyRing
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_admin, make_producer
from omega.kafka.topics import (
    DEAD_LETTERS,
    DEVICE_STATE,
    RELEASE_LOG,
    TV_DELTAS,
    WEB_INTERACTIONS,
    WINDOW_PARTIALS,
    topic_catalog,
)
from omega.settings import Settings
from omega.windows import window_start
from tests.conftest import as_role, valid_delta, wait_for, wait_for_catalog
from tests.integration.conftest import WorkerProcess, read_all
from tests.integration.workload import SETTINGS, collect_release

pytestmark = pytest.mark.integration


def topic_configs(settings: Settings, topic: str, *keys: str) -> list[str]:
    admin = make_admin(settings)  # held until the future is done
    resource = ConfigResource(ResourceType.TOPIC, topic)
    configs = next(iter(admin.describe_configs([resource]).values())).result()
    return [configs[key].value for key in keys]

INSIDE_STREAMS = {TV_DELTAS, WEB_INTERACTIONS, DEAD_LETTERS, WINDOW_PARTIALS, RELEASE_LOG,
                  DEVICE_STATE}  # the worker's own state, keyed by device id by design


def test_no_raw_id_leaves_in_any_output_topic_or_api_response(
    kafka_settings: Callable[..., Settings],
    worker_factory: Callable[..., WorkerProcess],
    codec: AvroCodec,
) -> None:
    # Lateness well past the send phase below (80 API calls, then 60 deltas): on a loaded
    # CI machine it took long enough that some of it arrived after the window had closed.
    settings = kafka_settings(**{**SETTINGS, "window_seconds": 15, "release_seed": 4,
                                 "allowed_lateness_seconds": 40,
                                 "rate_limit_ip_per_s": 0, "rate_limit_device_per_min": 0,
                                 "session_issue_per_min": 0, "api_port": 0})
    worker_factory(settings)
    marker = uuid.uuid4().hex[:12]
    devices = [f"rawtv-{marker}-{i}" for i in range(60)]
    t0 = int(time.time() * 1000)
    window = window_start(t0, 15_000)
    keys = KeyRing(settings.sync_keys)
    responses: list[bytes] = []
    producer = make_producer(settings)
    with TestClient(create_app(as_role(settings, "api"))) as client:
        wait_for_catalog(client)
        sessions = []  # the ids inside the tokens the API issued: raw, like device ids
        for _ in range(40):
            token = client.post("/api/session").json()["session"]
            sessions.append(client.app.state.omega.sessions.verify(token))
            r = client.post("/api/analytics", json={"session": token, "events": [
                {"kind": "SEARCH", "query": "heat", "atMs": t0}]})
            assert r.status_code == 202, r.text
            responses.append(r.content)
        for i, device in enumerate(devices):  # half through the API, half straight in
            record = valid_delta(device, 1, t0, [(1, 900), (2, 800), (3 + i % 40, 100)])
            if i % 2:
                r = client.post("/v1/sync", json=record, headers={
                    "X-Device-Id": device, "Authorization": f"Bearer {keys.token(device)}"})
                assert r.status_code == 200, r.text
                responses.append(r.content)
            else:
                producer.produce(settings.topic(TV_DELTAS), key=device.encode(),
                                 value=codec.encode("omega.TvDelta", record))
        assert producer.flush(10) == 0

        released = collect_release(settings, codec, window, timeout_s=120)
        assert released["edges"] and released["searches"], "the scan covers non-empty topics"
        views = client.app.state.omega.views
        universe = settings.title_universe_size

        def views_have_the_release() -> bool:
            with views.lock:
                ours = [r for source in ("tv", "web") for r in views.releases[source]
                        if r["window_start_ms"] == window]
                edges = all(views.edges[e["title_a"]].get(e["title_b"]) == e["noisy_count"]
                            for e in released["edges"])
            return len(ours) == 2 * universe and edges

        wait_for(views_have_the_release, 60, "the API's views hold the window's release")
        for method, path, body in [
            ("GET", "/api/discover", None), ("GET", "/api/discover?window=week", None),
            ("GET", "/api/titles/1", None), ("GET", "/api/health", None),
            ("GET", "/metrics", None), ("GET", "/", None), ("GET", "/openapi.json", None),
            ("POST", "/api/search", {"query": f"rawtv-{marker}-1"}),
            ("POST", "/api/recommendations", {"likedTitleIds": [1, 2]}),
        ]:
            responses.append(client.request(method, path, json=body).content)

    # Inside streams/ too, raw data is kept only while needed: once the window is
    # released, each device's state keeps its ledger charges and no titles.
    def titles_dropped() -> bool:
        latest = {m.key(): m.value() for m in read_all(settings, DEVICE_STATE)}
        ours = [orjson.loads(v) if v else None for k, v in latest.items()
                if k and k.startswith(f"rawtv-{marker}".encode())]
        return len(ours) == len(devices) and all(s is None or (s["w"] == [] and s["l"])
                                                   for s in ours)

    wait_for(titles_dropped, 60, "device-state swept of the released window's titles")
    # Sessions' entries (their queries) are deleted once no event of theirs can count.
    changelog = f"{settings.streams_app_id}-session-contributions-changelog"
    keep_s = settings.session_ttl_s + 2 * 15 + settings.allowed_lateness_seconds
    assert topic_configs(settings, changelog, "cleanup.policy", "retention.ms") == [
        "compact,delete", str(int(keep_s * 1000))]
    leaked_from = []
    for spec in topic_catalog(settings).values():
        if spec.short_name in INSIDE_STREAMS:
            continue
        for message in read_all(settings, spec.short_name):
            data = (message.key() or b"") + (message.value() or b"")
            if marker.encode() in data or any(s.encode() in data for s in sessions):
                leaked_from.append(spec.short_name)
    assert leaked_from == []
    for body in responses[:-2] + [responses[-1]]:  # the search echoes its own query, only
        assert marker.encode() not in body
        assert not any(s.encode() in body for s in sessions)
