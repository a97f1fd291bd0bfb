"""A viewer's whole journey through the page, in real Chromium, against the real stack.

Broker, worker (`python -m streams`), embedder (`python -m streams.embedder --follow`) and
API (`python -m api`) run as their own processes, on a catalog of the 1995 MovieLens films
(ids renumbered 1..N so each window's release stays small). TVs report deltas, the fleet's
web side (`python -m producers.web`) reports sessions through the API as the page does, and
the worker releases DP trends, pairs and trending searches from both, with short windows
and test thresholds (ε = 1, at least 50 units). Then, in the page:

search → open a result's title page (its watched-together pair, DP noisy) → like it, and
For you changes → Discover with a genre filter, showing the released trending search →
the voice button explains itself where speech is unavailable. And the search typed in the
page is on the web-interactions topic, under the session the API issued.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from api.sessions import SessionSigner
from devstack.processes import free_port
from omega.data.catalog import load_catalog
from omega.kafka.avro import AvroCodec
from omega.kafka.topics import CATALOG_TITLES, TV_DELTAS, WEB_INTERACTIONS
from omega.processes import die_with_parent
from omega.settings import REPO_ROOT, Settings
from tests.api.conftest import CHROMIUM, FLAGS, NO_SPEECH
from tests.conftest import as_role, valid_delta, wait_for
from tests.integration.conftest import WorkerProcess, read_all
from tests.integration.workload import send

pytestmark = pytest.mark.integration
SECRET = "journey-session-secret"
# TVs that watch Heat and Casino in one window: well past the pair threshold, and Heat's
# week total stands above the noise of every 20 s window released while the stack starts
# (Discover lists only those: about 370 device-windows for 30 windows at ε = 1).
FANS = 1000


def catalog_1995() -> list[dict[str, Any]]:
    films = [r for r in load_catalog() if r["movielens_id"] and r["year"] == 1995]
    return [r | {"title_id": i} for i, r in enumerate(films, start=1)]


class Component:
    """One of the stack's processes, its output in a file."""

    def __init__(self, name: str, argv: list[str], settings: Settings, folder: Path,
                 **env: Any) -> None:
        self.name, self.log_path = name, folder / f"{name}.log"
        self.proc = subprocess.Popen(
            [sys.executable, *argv], env=settings.subprocess_env(**env), cwd=REPO_ROOT,
            stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)

    def tail(self) -> str:
        lines = self.log_path.read_text(errors="replace").splitlines()
        kept = "\n".join(line for line in lines if not line.startswith("%"))  # not librdkafka's
        return f"--- {self.name} ---\n{kept[-3000:]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def stack(kafka_settings: Callable[..., Settings], worker_factory: Callable[..., WorkerProcess],
          codec: AvroCodec, tmp_path: Path) -> Iterator[tuple[Settings, str, dict[str, int]]]:
    catalog = catalog_1995()
    settings = kafka_settings(
        title_universe_size=len(catalog), window_seconds=20, allowed_lateness_seconds=3,
        epsilon=1.0, min_devices=50, ledger_budget=10, ledger_week_budget=10,
        ledger_year_budget=10, rate_limit_ip_per_s=0,
        session_issue_per_min=0,  # the web fleet's 300 sessions all come from this host
        session_secret=SECRET)
    ids = {r["title"]: r["title_id"] for r in catalog}
    send(settings, [(CATALOG_TITLES, str(r["title_id"]).encode(),
                     codec.encode("omega.CatalogTitle", r)) for r in catalog])
    worker = worker_factory(settings)
    port = free_port()
    parts = [Component("embedder", ["-m", "streams.embedder", "--follow", "--precision", "fp32"],
                       as_role(settings, "embedder"), tmp_path),
             Component("api", ["-m", "api"], as_role(settings, "api"), tmp_path, api_port=port)]
    base = f"http://127.0.0.1:{port}"

    def searchable() -> bool:
        for part in parts:
            assert part.proc.poll() is None, part.tail()
        try:
            found = httpx.post(f"{base}/api/search", json={"query": "Heat"}, timeout=10)
        except httpx.HTTPError:
            return False
        return found.status_code == 200 and len(found.json()["results"]) == 10

    try:
        wait_for(searchable, 240, "the API answering searches over the embedded catalog")
        yield settings, base, ids
    except BaseException:
        print("\n".join(p.tail() for p in parts), worker.log()[-3000:])  # noqa: T201
        raise
    finally:
        for part in reversed(parts):
            part.stop()


def tv_deltas(settings: Settings, codec: AvroCodec, ids: dict[str, int]) -> None:
    """FANS TVs watch Heat and Casino (and three others); 200 more watch at random."""
    rng = random.Random(22)
    now = int(time.time() * 1000)
    others = [i for i in range(1, settings.title_universe_size + 1)
              if i not in (ids["Heat"], ids["Casino"])]
    deltas = []
    for n in range(FANS + 200):
        titles = [(t, rng.randint(600, 3000)) for t in rng.sample(others, 3)]
        if n < FANS:
            titles += [(ids["Heat"], 6000), (ids["Casino"], 5000)]
        deltas.append(valid_delta(f"journey-tv-{n}", 1, now, titles))
    send(settings, [(TV_DELTAS, d["device_id"].encode(), codec.encode("omega.TvDelta", d))
                    for d in deltas])


def get(url: str) -> Any:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.timeout(600)
def test_a_viewers_journey_through_the_page_on_the_real_stack(
        stack: tuple[Settings, str, dict[str, int]], codec: AvroCodec) -> None:
    settings, base, ids = stack
    heat = ids["Heat"]
    tv_deltas(settings, codec, ids)
    web = subprocess.run([sys.executable, "-m", "producers.web", "--api", base,
                          "--sessions", "300", "--seed", "22"],
                         env=settings.subprocess_env(), cwd=REPO_ROOT, capture_output=True,
                         text=True, timeout=300)
    assert web.returncode == 0, web.stderr[-3000:]
    assert "web: 300 sessions reported" in web.stderr, web.stderr[-3000:]
    top_query = re.search(r"most searched \(sessions\): '([^']+)'", web.stderr)
    assert top_query, web.stderr[-3000:]

    # The releases the page will show: the Heat–Casino pair, and the web side's top search.
    def released() -> bool:
        title = get(f"{base}/api/titles/{heat}")
        searches = get(f"{base}/api/discover?window=day")["searches"]
        return (any(t["titleId"] == ids["Casino"] for t in title["watchedTogether"])
                and any(s["query"] == top_query[1] for s in searches))

    wait_for(released, 180, "the pair and the trending search released and in the API's views")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            journey(browser, base, heat, top_query[1], settings, codec)
        finally:
            browser.close()


def journey(browser: Browser, base: str, heat: int, top_query: str, settings: Settings,
            codec: AvroCodec) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base)

    # 1. search; the search is reported under the session the API issued
    with page.expect_response("**/api/session", timeout=20_000) as issued, \
            page.expect_request("**/api/analytics", timeout=20_000):
        page.fill("#query", "Heat")
        page.press("#query", "Enter")
        expect(page.locator("#results li.result").first).to_be_visible(timeout=15_000)
    session = SessionSigner(SECRET, settings.session_ttl_s).verify(issued.value.json()["session"])
    reported = [codec.decode(m.value(), "omega.WebInteraction")
                for m in read_all(settings, WEB_INTERACTIONS) if m.key() == session.encode()]
    assert [(r["kind"], r["query"]) for r in reported] == [("SEARCH", "heat")]

    # 2. open a result's title page: details, similar titles, the pair with its noise
    page.locator("#results li.result a", has_text="Heat (1995)").first.click()
    expect(page).to_have_url(f"{base}/titles/{heat}")
    expect(page.locator("#title-heading")).to_have_text("Heat (1995)")
    expect(page.locator("#similar li.card")).not_to_have_count(0)
    together = page.locator("#watched-together li.card", has_text="Casino (1995)")
    expect(together).to_contain_text(re.compile(r"about [\d,]+ TVs in one window \(noisy count\)"))
    expect(page.locator("#title-detail .honest")).to_contain_text("noise of about ±")

    # 3. like it; For you shows it, and its row changes when a second title is liked
    page.locator("#title-detail .actions .like").click()
    page.get_by_role("link", name="For you").click()
    expect(page.locator("#liked li.card .title")).to_have_text(["Heat (1995)"])
    recommended = page.locator("#for-you li.card .title")
    expect(recommended).to_have_count(10, timeout=15_000)
    heat_only = recommended.all_inner_texts()
    assert "Casino (1995)" in heat_only  # watched together on TVs, so recommended
    page.locator("#for-you li.card", has_text="Casino (1995)").locator(".like").click()
    expect(page.locator("#liked li.card")).to_have_count(2)
    expect(recommended).not_to_have_text(heat_only, timeout=15_000)

    # 4. Discover, filtered by genre; the released trending search beside the titles
    page.get_by_role("link", name="Discover").click()
    titles = page.locator("#discover-titles li.card")
    expect(titles.first).to_be_visible(timeout=15_000)
    page.get_by_label("Genre").select_option("Crime")
    expect(page.locator("#discover-note")).to_contain_text("Crime titles only.")
    for meta in titles.locator(".card-head + .meta").all_inner_texts():
        assert "Crime" in meta.split(" · ")[1], meta  # year · genres · runtime · rating
    expect(titles.filter(has_text="Heat (1995)")).to_have_count(1)
    expect(page.get_by_role("button", name=top_query)).to_be_visible()

    # 5. the voice button explains itself where the browser has no speech recognition
    quiet = browser.new_page()
    quiet.add_init_script(NO_SPEECH)
    quiet.goto(base)
    quiet.locator("#mic").click()
    expect(quiet.locator("#status")).to_contain_text(
        "Voice search is not available in this browser")
    quiet.close()
    assert errors == []
    page.close()

