"""The web page in headless Chromium (Debian's), driven by Playwright, against a real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

pytestmark = pytest.mark.integration
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM), "Debian's chromium is missing: `make system-deps` installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


def test_typing_a_query_shows_results_with_reasons(base_url: str, browser: Browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base_url)
    page.fill("#query", "sci-fi from the 90s")
    page.press("#query", "Enter")
    page.wait_for_selector("#results li.result", timeout=15_000)
    results = page.locator("#results li.result")
    assert results.count() == 10
    first = results.first
    assert "Sci-Fi" in first.locator(".meta").inner_text()
    reasons = first.locator(".reason").all_inner_texts()
    assert any(r.endswith("semantic match") for r in reasons) and "Genre: Sci-Fi" in reasons
    assert "Understood genres: Sci-Fi" in page.inner_text("#understood")
    page.wait_for_selector("#trending li", timeout=10_000)
    assert page.locator("#trending li").count() == 3
    assert errors == []


def test_the_microphone_says_clearly_when_speech_is_unavailable(base_url: str,
                                                                browser: Browser) -> None:
    page = browser.new_page()
    page.add_init_script("delete window.SpeechRecognition; delete window.webkitSpeechRecognition;")
    page.goto(base_url)
    mic = page.locator("#mic")
    assert mic.is_visible() and mic.get_attribute("aria-label") == "Search by voice"
    mic.click()
    status = page.locator("#status")
    assert "Voice search is not available in this browser" in status.inner_text()
    assert "error" in (status.get_attribute("class") or "")


def test_an_api_error_is_shown_as_a_message(base_url: str, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(base_url)
    page.fill("#query", "x" * 200)
    page.evaluate("document.getElementById('query').value = 'y'.repeat(300)")  # past maxlength
    page.press("#query", "Enter")
    page.wait_for_function("document.getElementById('status').classList.contains('error')")
    assert "query" in page.inner_text("#status")
