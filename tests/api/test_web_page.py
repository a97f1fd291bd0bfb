"""The web page in headless Chromium (Debian's), driven by Playwright, against a real server.

Waits are Playwright's locator assertions (`expect`), which poll from the driver. Nothing
here evaluates a string in the page: the page's CSP (`script-src 'self'`) forbids eval, so
a string-evaluated wait (`wait_for_function("...")`) fails as soon as it has to poll.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

pytestmark = pytest.mark.integration
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


def test_typing_a_query_shows_results_with_reasons(base_url: str, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url)
    page.fill("#query", "sci-fi from the 90s")
    page.press("#query", "Enter")
    results = page.locator("#results li.result")
    expect(results).to_have_count(10, timeout=15_000)
    first = results.first
    expect(first.locator(".meta")).to_contain_text("Sci-Fi")
    expect(first.locator(".reason", has_text=re.compile(r"^Genre: Sci-Fi$"))).to_have_count(1)
    expect(first.locator(".reason", has_text=re.compile(r"semantic match$"))).to_have_count(1)
    expect(page.locator("#understood")).to_contain_text("Understood genres: Sci-Fi")
    expect(page.locator("#trending li")).to_have_count(3, timeout=10_000)
    assert errors == []


def test_what_the_query_names_and_no_source_knows_is_shown(base_url: str, page: Page) -> None:
    page.goto(base_url)
    page.fill("#query", "comedies starring Zork Blorbson")
    page.press("#query", "Enter")
    expect(page.locator("#results li.result").first).to_be_visible(timeout=15_000)
    understood = page.locator("#understood")
    expect(understood).to_contain_text("Understood genres: Comedy.")
    expect(understood).to_contain_text(
        'Not found in any source: person "zork blorbson": no source knows them.')
    page.fill("#query", "Spielberg films")
    page.press("#query", "Enter")
    expect(understood).to_contain_text("directed by: Steven Spielberg", timeout=15_000)


def test_the_microphone_says_clearly_when_speech_is_unavailable(base_url: str,
                                                                page: Page) -> None:
    page.add_init_script(NO_SPEECH)
    page.goto(base_url)
    mic = page.locator("#mic")
    expect(mic).to_be_visible()
    expect(mic).to_have_attribute("aria-label", "Search by voice")
    mic.click()
    status = page.locator("#status")
    expect(status).to_contain_text("Voice search is not available in this browser")
    expect(status).to_have_class(re.compile(r"\berror\b"))


def test_an_api_error_is_shown_as_a_message(base_url: str, page: Page) -> None:
    """The input stops at 200 characters, so the request is rewritten on its way out to
    carry 300: the real API refuses it with a 422, and the page must say why."""

    def too_long(route: Route) -> None:
        route.continue_(post_data=json.dumps({"query": "y" * 300, "limit": 10}))

    page.route("**/api/search", too_long)
    page.goto(base_url)
    page.fill("#query", "x" * 200)
    page.press("#query", "Enter")
    status = page.locator("#status")
    expect(status).to_have_class(re.compile(r"\berror\b"), timeout=15_000)
    expect(status).to_contain_text("query")
    expect(page.locator("#results li")).to_have_count(0)
