"""`make run` as a new user meets it, checked in a real browser: within five minutes of the
start the trending row shows films a viewer would recognise, and "movies like X" shows a
reason from a released DP pair ("Often watched with Forrest Gump (1994)"), X the
most-watched film that has one (make run's 133,000 TVs a window release pairs among the
top few films only: Toy Story had none in the first 10 minutes). Once the
whole catalog is embedded, three searches answer as a film-literate viewer expects:
"movies like Toy Story" has Toy Story 2 and two other animated family films in its top 5,
"Best Picture winners" lists Best Picture winners, and "films with Meryl Streep" lists at
least 8 of her films.

The whole stack (broker, catalog, worker, embedder, API, 300,000 simulated TVs) takes both
cores for minutes, so this is not part of `make test`: `make check-run` runs it, on a
fresh data folder. `OMEGA_STACK_SCREENSHOT=docs/make-run.png` keeps a screenshot of the
first check, `OMEGA_STACK_SCREENSHOTS=docs/screenshots` one of each search.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from api.search.similar import main_genres
from devstack.processes import free_port
from omega.settings import REPO_ROOT
from tests.api.conftest import CHROMIUM, FLAGS
from tests.conftest import wait_for

BUDGET_S = 300  # the issue's five minutes, from `make run`'s start
# the whole catalog (63,000 titles) embedded, from the start: the embedder yields the cores
# to the rest of make run, and ran at 30 titles/s beside it (about 35 minutes)
EMBED_BUDGET_S = 3000


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    data = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMEGA_")}
    env |= {"OMEGA_DATA_DIR": str(data), "OMEGA_API_PORT": str(port)}
    started = time.monotonic()
    proc = subprocess.Popen(["make", "-s", "run"], cwd=REPO_ROOT, env=env,
                            stdout=(data / "make-run.log").open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return bool(get(f"{base}/api/health")["status"] == "ok")
        except OSError:
            return False

    try:
        wait_for(healthy, BUDGET_S, "make run's API healthy")
        yield base, started
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def paired(base: str) -> dict[str, Any] | None:
    """The most-watched film of the week with a released co-view pair that shares one of
    its main genres (search counts a co-view edge only as far as it does), if any."""
    for item in get(f"{base}/api/discover?window=week&limit=20")["items"]:
        detail = get(f"{base}/api/titles/{item['titleId']}")
        main = main_genres(detail["genres"])
        if any(main & set(partner["genres"]) for partner in detail["watchedTogether"]):
            return item  # type: ignore[no-any-return]
    return None


@pytest.mark.timeout(BUDGET_S + 300)  # the budget, then time to stop the stack
def test_trending_and_watched_together_within_five_minutes(stack: tuple[str, float]) -> None:
    base, started = stack

    def released() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = get(f"{base}/api/discover?window=week&limit=5")["items"]
        return items

    wait_for(lambda: len(released()) == 5, BUDGET_S - (time.monotonic() - started),
             "a DP trend release")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base)
        row = page.locator("#trending li")
        expect(row.nth(4)).to_be_visible(timeout=30_000)
        shown = row.all_inner_texts()[:5]
        # what the API releases now (the row may be a release older: take the top 100)
        known = {item["title"] for item in
                 get(f"{base}/api/discover?window=week&limit=100")["items"]
                 if (item["votes"] or 0) >= 10_000 or (item["movielensRatings"] or 0) >= 100}
        for text in shown:
            assert any(text.startswith(title) for title in known), \
                f"trending shows {text!r}: not 10,000+ IMDb votes, nor 100+ MovieLens ratings"
        x = wait_for(lambda: paired(base), BUDGET_S - (time.monotonic() - started),
                     "a released 'watched together' pair", every_s=2)
        assert x is not None  # wait_for returns only a true value
        typed = re.sub(r"^(.*), (The|A|An)$", r"\2 \1", x["title"])  # as a viewer types it
        reason = page.locator("#results .reason", has_text=re.compile(
            rf"^Often watched with .+ \({x['year']}\)$"))
        while True:  # a new search each time: the pair shows up in the views within seconds
            page.fill("#query", f"movies like {typed}")
            page.press("#query", "Enter")
            expect(page.locator("#results li.result")).to_have_count(10, timeout=15_000)
            try:
                expect(reason.first).to_be_visible(timeout=10_000)
                break
            except AssertionError:
                if time.monotonic() - started > BUDGET_S:
                    raise
        elapsed = time.monotonic() - started
        assert elapsed <= BUDGET_S, f"took {elapsed:.0f} s"
        if target := os.environ.get("OMEGA_STACK_SCREENSHOT"):
            page.screenshot(path=str(Path(REPO_ROOT, target)), full_page=True)
        browser.close()
    print(f"make run: trending and 'Often watched with' in {elapsed:.0f} s")  # noqa: T201


def search(base: str, query: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{base}/api/search", data=json.dumps({"query": query, "limit": 10}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        results: list[dict[str, Any]] = json.loads(response.read())["results"]
    return results


def animated_family(card: dict[str, Any]) -> bool:
    return {"Animation", "Children"} <= set(card["genres"])


def best_picture(card: dict[str, Any]) -> bool:
    return any(a.startswith("Oscar, Best Picture (") for a in card["awards"])


def with_streep(card: dict[str, Any]) -> bool:
    return "Meryl Streep" in card["cast"]


@pytest.mark.timeout(EMBED_BUDGET_S + 300)
def test_searches_a_viewer_agrees_with_once_the_catalog_is_embedded(
        stack: tuple[str, float]) -> None:
    base, started = stack

    def embedded() -> bool:
        health = get(f"{base}/api/health")
        return bool(health["index"]["titles"] >= health["views"]["titles"] > 60_000)

    wait_for(embedded, EMBED_BUDGET_S - (time.monotonic() - started),
             "the whole catalog in the index")
    shots = os.environ.get("OMEGA_STACK_SCREENSHOTS")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.goto(base)
        for query, name, check in [
                ("movies like Toy Story", "like-toy-story", None),
                ("Best Picture winners", "best-picture-winners", best_picture),
                ("films with Meryl Streep", "meryl-streep", with_streep)]:
            for _ in range(5):  # a release landing in between may reorder: ask again
                page.fill("#query", query)
                page.press("#query", "Enter")
                rows = page.locator("#results li.result")
                expect(rows).to_have_count(10, timeout=15_000)
                cards = search(base, query)  # the same answer, with the fields to check
                shown = rows.all_inner_texts()
                if all(text.startswith(c["title"]) for c, text in zip(cards, shown, strict=True)):
                    break
            else:
                raise AssertionError(f"{query!r}: the page shows {shown}, the API {cards}")
            titles = [f"{c['title']} ({c['year']})" for c in cards]
            if check is None:
                top5 = cards[:5]
                assert any(c["title"] == "Toy Story 2" for c in top5), titles
                assert sum(animated_family(c) for c in top5
                           if c["title"] != "Toy Story 2") >= 2, titles
            elif check is best_picture:
                assert all(best_picture(c) for c in cards), titles
            else:
                assert sum(check(c) for c in cards) >= 8, titles
            print(f"{query!r}: {'; '.join(titles)}")  # noqa: T201
            if shots:
                page.screenshot(path=str(Path(REPO_ROOT, shots, f"{name}.png")), full_page=True)
        browser.close()
