"""One API world per session, on the real broker: catalog subset → real embedder →
title-vectors topic → the API's own index (snapshot built in its own process).

DP releases (trends, co-view edges) are published as the worker would release them:
the worker itself is tested in tests/integration; here they are the API's input.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from rocksdict import Rdict

from api.app import create_app
from api.state import ApiState
from devstack.processes import free_port
from omega.data.catalog import load_catalog
from omega.encoder import load_encoder
from omega.index import EdgeIndex
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import ensure_topics_and_acls
from omega.kafka.topics import CATALOG_TITLES, COVIEW_EDGES, SEARCH_TRENDS, TRENDS
from omega.settings import Settings
from streams.embedder import TitleEmbedder, VectorPublisher, run
from tests.conftest import as_role, wait_for
from tests.integration.workload import send

HOUR_MS = 3_600_000
SEARCHES = {"heist movies": 1400, "feel-good comedies": 1100}  # released trending searches


@dataclass
class World:
    settings: Settings
    client: TestClient
    state: ApiState
    catalog: dict[int, dict[str, Any]]
    heat: int
    ronin: int
    trending: int


def catalog_subset() -> list[dict[str, Any]]:
    """MovieLens titles of 1985–2005 (4,452: every genre, three decades) and all 'Heat's."""
    return [r for r in load_catalog()
            if (r["movielens_id"] and r["year"] and 1985 <= r["year"] <= 2005)
            or r["title"] == "Heat"]


def trend_release(title_id: int, count: int, window_end: int) -> dict[str, Any]:
    return {"window_start_ms": window_end - 4 * HOUR_MS, "window_end_ms": window_end,
            "title_id": title_id, "noisy_count": count, "epsilon": 0.1, "sensitivity": 10,
            "source": "tv"}


@pytest.fixture(scope="session")
def api_world(kafka_bootstrap: str, codec: AvroCodec,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("api")
    settings = Settings(kafka_bootstrap=kafka_bootstrap,
                        topic_namespace=f"api{uuid.uuid4().hex[:8]}", data_dir=data,
                        title_universe_size=70_000, api_port=0,
                        sync_keys="new:test-secret-2,old:test-secret-1",
                        max_future_skew_s=300, rate_limit_ip_per_s=0,  # test_limits.py
                        session_issue_per_min=0)
    settings = as_role(settings, "admin")  # seeds the topics; the API runs as `api`
    ensure_topics_and_acls(settings)
    catalog = {r["title_id"]: r for r in catalog_subset()}
    by_title = {(r["title"], r["year"]): r["title_id"] for r in catalog.values()}
    heat, ronin = by_title[("Heat", 1995)], by_title[("Ronin", 1998)]
    trending = by_title[("Toy Story", 1995)]
    send(settings, [(CATALOG_TITLES, str(i).encode(), codec.encode("omega.CatalogTitle", r))
                    for i, r in catalog.items()])
    now = int(time.time() * 1000)
    end = now - now % (4 * HOUR_MS)
    releases = [trend_release(trending, 9000, end), trend_release(heat, 3000, end),
                trend_release(ronin, 1500, end - 4 * HOUR_MS)]
    send(settings, [(TRENDS, str(r["title_id"]).encode(), codec.encode("omega.TrendRelease", r))
                    for r in releases])
    edge = {"title_a": min(heat, ronin), "title_b": max(heat, ronin),
            "window_start_ms": end - 4 * HOUR_MS, "window_end_ms": end, "noisy_count": 2500,
            "epsilon": 0.1}
    send(settings, [(COVIEW_EDGES, f"{heat}:{ronin}".encode(),
                     codec.encode("omega.CoviewEdge", edge))])
    searches = [{"window_start_ms": end - 4 * HOUR_MS, "window_end_ms": end, "query": query,
                 "noisy_count": count, "epsilon": 0.1}
                for query, count in SEARCHES.items()]
    send(settings, [(SEARCH_TRENDS, r["query"].encode(),
                     codec.encode("omega.SearchTrendRelease", r)) for r in searches])

    # The real embedder, as its role: MiniLM over the catalog, vectors to the topic.
    embedder_settings = as_role(settings, "embedder")
    encoder = load_encoder(data / "models", "fp32")
    embedder = TitleEmbedder(encoder, EdgeIndex(data / "embedder-index"), settings.blend_alpha,
                             Rdict(str(data / "cache")), "all-MiniLM-L6-v2-fp32",
                             VectorPublisher(embedder_settings, codec, "all-MiniLM-L6-v2-fp32",
                                             settings.blend_alpha))
    run(embedder_settings, embedder, codec, follow=False)
    embedder.index.close()

    app = create_app(as_role(settings, "api"))
    with TestClient(app) as client:
        state: ApiState = app.state.omega

        def built() -> bool:
            status = state.index.status()
            return (state.views.caught_up and status["snapshotBuilds"] >= 1
                    and not status["freshTitles"])

        wait_for(built, 180, "the API's views caught up and its index built")
        yield World(settings, client, state, catalog, heat, ronin, trending)


@contextmanager
def served(settings: Settings, state: ApiState) -> Iterator[str]:
    """uvicorn serving `state` on a free port, in a thread of this process; its base URL."""
    port = free_port()
    app = create_app(as_role(settings, "api"), state=state)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, "uvicorn started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def base_url(api_world: World) -> Iterator[str]:
    """uvicorn serving the session's API state on a free port."""
    with served(api_world.settings, api_world.state) as url:
        yield url


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Runs before the page's own script, as a script Chromium injects (not an eval).
NO_SPEECH = "delete window.SpeechRecognition; delete window.webkitSpeechRecognition;"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: `make system-deps` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.new_page()
    yield page
    page.close()
