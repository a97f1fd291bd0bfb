"""The web page in headless Chromium (Debian's), driven by Playwright, against a real server.

Waits are Playwright's locator assertions (`expect`), which poll from the driver. Nothing
here evaluates a string in the page: the page's CSP (`script-src 'self'`) forbids eval, so
a string-evaluated wait (`wait_for_function("...")`) fails as soon as it has to poll.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Route, expect

from omega.kafka.topics import WEB_INTERACTIONS
from tests.api.conftest import NO_SPEECH, World
from tests.api.test_sync_api import on_topic

pytestmark = pytest.mark.integration


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
    page.fill("#query", "movies like Heat")
    page.press("#query", "Enter")
    expect(understood).to_contain_text("like: Heat (1995)", timeout=15_000)
    other = understood.locator("a").first  # the other films called Heat, offered
    expect(other).to_have_text(re.compile(r"^Heat \((?!1995)\d{4}\)$"))
    expect(other).to_have_attribute("href", re.compile(r"^/titles/\d+$"))
    page.fill("#query", "xqzv blorptang wuggle")
    page.press("#query", "Enter")
    expect(page.locator("#status")).to_contain_text(
        "Nothing in the catalog fits that closely", timeout=15_000)


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


# -- the views: title pages, Discover, For you --------------------------------------------
def test_a_title_page_is_a_deep_link_with_similar_titles_and_noisy_co_views(
        api_world: World, base_url: str, page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/titles/{api_world.ronin}")
    expect(page.locator("#title-heading")).to_have_text("Ronin (1998)", timeout=15_000)
    expect(page).to_have_title("Ronin (1998) — Omega")
    expect(page.locator(".facts")).to_contain_text("DirectorJohn Frankenheimer")
    expect(page.locator("#similar li.card")).to_have_count(10)
    together = page.locator("#watched-together li.card")
    expect(together).to_have_count(1)
    expect(together.first.locator(".title")).to_have_text("Heat (1995)")
    expect(together.first).to_contain_text("about 2,500 TVs in one window (noisy count)")
    expect(page.locator(".honest")).to_contain_text("noise of about ±260")
    together.first.locator(".title").click()  # another title's page, in the page
    expect(page.locator("#title-heading")).to_have_text("Heat (1995)")
    expect(page).to_have_url(f"{base_url}/titles/{api_world.heat}")
    page.go_back()
    expect(page.locator("#title-heading")).to_have_text("Ronin (1998)")
    assert errors == []


def test_an_unknown_or_malformed_title_address_says_so(base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/titles/99999999")
    expect(page.locator("#title-heading")).to_have_text("Title not found", timeout=15_000)
    expect(page.locator("#title-detail")).to_contain_text("There is no title 99999999")
    page.goto(f"{base_url}/titles/heat")
    expect(page.locator("#title-heading")).to_have_text("Not a title")
    expect(page.locator("#title-detail")).to_contain_text('"heat" is not a title id')


def test_discover_has_day_and_week_a_genre_filter_and_trending_searches(
        api_world: World, base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/discover")
    titles = page.locator("#discover-titles li.card .title")
    expect(titles).to_have_text(["Toy Story (1995)", "Heat (1995)", "Ronin (1998)"],
                                timeout=15_000)
    expect(page.locator("#discover-titles li.card").first).to_contain_text(
        "about 4,500 TVs per window, on average")  # 9,000 device-windows over 2 windows
    expect(page.locator("#discover-note")).to_contain_text(
        "TVs per 4-hour window, on average over the 2 windows released this week")
    expect(page.locator("#discover-searches li")).to_have_count(2)
    expect(page.locator("#discover-searches li").first).to_contain_text(
        "heist movies about 1,400 sessions per window, on average")
    page.get_by_role("tab", name="Today").click()
    expect(page.get_by_role("tab", name="Today")).to_have_attribute("aria-selected", "true")
    expect(titles).to_have_text(["Toy Story (1995)", "Heat (1995)", "Ronin (1998)"])
    page.get_by_label("Genre").select_option("Animation")
    expect(titles).to_have_text(["Toy Story (1995)"])
    page.get_by_label("Genre").select_option("Western")
    expect(page.locator("#discover-titles li")).to_have_count(0)
    expect(page.locator("#discover-note")).to_contain_text(
        "No Western title is trending today")
    page.get_by_role("button", name="heist movies").click()  # a trending search, run
    expect(page).to_have_url(f"{base_url}/?q=heist+movies")
    expect(page.locator("#query")).to_have_value("heist movies")
    expect(page.locator("#results li.result")).to_have_count(10, timeout=15_000)


def test_discover_before_any_release_says_why_it_is_empty(base_url: str, page: Page) -> None:
    """The real answer, as a fresh deployment gives it: no window released yet."""
    def fresh(route: Route) -> None:
        body = route.fetch().json()
        body |= {"items": [], "searches": []}
        body["privacy"]["windows"] = 0
        route.fulfill(json=body)

    page.route("**/api/discover?*", fresh)
    page.goto(f"{base_url}/discover")
    expect(page.locator("#discover-note")).to_have_text(
        "Nothing released yet: trends appear once enough TVs have reported.", timeout=15_000)
    expect(page.locator("#searches-note")).to_contain_text("No search released yet")
    expect(page.locator("#discover-titles li")).to_have_count(0)


def test_discover_says_when_no_title_stands_above_the_noise(base_url: str,
                                                            page: Page) -> None:
    """The real answer after an hour of make run with only noise released: no top list."""
    def noise_only(route: Route) -> None:
        body = route.fetch().json()
        body["items"] = []
        body["aboveNoise"] |= {"titles": 0, "titlesCompared": 63209}
        route.fulfill(json=body)

    page.route("**/api/discover?*", noise_only)
    page.goto(f"{base_url}/discover")
    expect(page.locator("#discover-note")).to_contain_text(
        "No title stands above the noise this week: a title needs about 452 TVs per window, "
        "on average", timeout=15_000)
    expect(page.locator("#discover-titles li")).to_have_count(0)
    page.goto(base_url)
    expect(page.locator("#trending-note")).to_have_text(
        "No title stands above the privacy noise this week yet.", timeout=15_000)


def test_likes_stay_in_the_browser_and_for_you_follows_them(
        api_world: World, base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/for-you")
    expect(page.locator("#likes-note")).to_contain_text("Nothing liked yet", timeout=15_000)
    page.goto(f"{base_url}/titles/{api_world.heat}")
    like = page.locator("#title-detail .actions .like")
    expect(like).to_have_attribute("aria-pressed", "false", timeout=15_000)
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="For you").click()
    expect(page.locator("#liked li.card .title")).to_have_text(["Heat (1995)"])
    recommended = page.locator("#for-you li.card .title")
    expect(recommended).to_have_count(10, timeout=15_000)
    heat_only = recommended.all_inner_texts()
    page.locator("#for-you li.card .like").first.click()  # like the first recommendation
    expect(page.locator("#liked li.card")).to_have_count(2)
    expect(recommended).not_to_have_text(heat_only, timeout=15_000)
    page.reload()  # kept in localStorage
    expect(page.locator("#liked li.card")).to_have_count(2, timeout=15_000)
    liked = page.locator("#liked li.card")
    for left in (1, 0):  # each unlike re-renders the row
        liked.locator(".like").first.click()
        expect(liked).to_have_count(left)
    expect(page.locator("#likes-note")).to_contain_text("Nothing liked yet")
    expect(page.locator("#for-you li")).to_have_count(0)


def test_the_api_down_or_busy_gets_a_message_never_a_blank_view(
        api_world: World, base_url: str, page: Page) -> None:
    page.goto(f"{base_url}/titles/{api_world.heat}")
    expect(page.locator("#title-heading")).to_have_text("Heat (1995)", timeout=15_000)
    page.route("**/api/**", lambda route: route.abort("connectionrefused"))
    page.get_by_role("link", name="Discover").click()
    expect(page.locator("#status")).to_have_text(
        "Discover is unavailable: The service cannot be reached. Check your connection and "
        "try again.")
    page.unroute("**/api/**")
    page.route("**/api/search", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "7"}, content_type="application/json",
        body=json.dumps({"error": "too many requests from this address", "status": 429})))
    page.get_by_role("link", name="Search").click()
    page.fill("#query", "heist movies")
    page.press("#query", "Enter")
    expect(page.locator("#status")).to_have_text(
        "Too many requests just now; try again in 7 s.")
    expect(page.locator("#status")).to_have_class(re.compile(r"\berror\b"))


# -- voice ----------------------------------------------------------------------------------
# A recognizer that starts and never hears anything: the page's 30 s timeout must stop it.
SILENT_SPEECH = """
window.SpeechRecognition = class {
  start() { this.started = true; setTimeout(() => this.onstart && this.onstart(), 0); }
  stop() {
    if (this.started) { this.started = false; setTimeout(() => this.onend && this.onend(), 0); }
  }
  abort() { this.stop(); }
};
"""


def test_listening_shows_and_stops_after_30_silent_seconds(base_url: str, page: Page) -> None:
    page.clock.install()
    page.add_init_script(SILENT_SPEECH)
    page.goto(base_url)
    mic, indicator = page.locator("#mic"), page.locator("#listening")
    expect(indicator).to_be_hidden()
    mic.click()
    expect(indicator).to_be_visible()
    expect(indicator).to_contain_text("Listening")
    expect(mic).to_have_attribute("aria-pressed", "true")
    page.clock.fast_forward("00:29")
    expect(indicator).to_be_visible()
    page.clock.fast_forward("00:02")
    expect(indicator).to_be_hidden()
    expect(mic).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#status")).to_have_text(
        "Stopped listening: nothing was heard for 30 seconds.")


# -- analytics ------------------------------------------------------------------------------
def test_the_page_reports_its_searches_under_an_issued_session(
        api_world: World, base_url: str, page: Page) -> None:
    page.goto(base_url)
    expect(page.locator("#share-usage")).to_be_checked()
    with page.expect_response("**/api/session", timeout=15_000) as issued, \
            page.expect_request("**/api/analytics", timeout=15_000) as sent:
        page.fill("#query", "  Heist   MOVIES ")
        page.press("#query", "Enter")
    session = issued.value.json()["session"]
    body = json.loads(sent.value.post_data or "{}")
    assert [(e["kind"], e["query"]) for e in body["events"]] == [("SEARCH", "heist movies")]
    assert body["session"] == session
    session_id = api_world.state.sessions.verify(session)
    landed = on_topic(api_world, WEB_INTERACTIONS, session_id.encode())
    decoded = [api_world.state.codec.decode(m.value(), "omega.WebInteraction") for m in landed]
    assert [(d["session_id"], d["kind"], d["query"]) for d in decoded] == [
        (session_id, "SEARCH", "heist movies")]


def test_do_not_track_and_the_opt_out_send_nothing(base_url: str, page: Page) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/session" in r.url
            or "/api/analytics" in r.url else None)
    page.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' });")
    page.goto(base_url)
    expect(page.locator("#analytics-state")).to_contain_text("not to track you")
    expect(page.locator("#share-usage")).to_be_disabled()
    expect(page.locator("#analytics-count")).to_have_text("Usage events this page reported: 0")
    page.fill("#query", "heist movies")
    page.press("#query", "Enter")
    expect(page.locator("#results li.result")).to_have_count(10, timeout=15_000)
    expect(page.locator("#analytics-count")).to_have_text("Usage events this page reported: 0")
    assert requests == []


def test_the_visible_opt_out_stops_reporting(base_url: str, page: Page) -> None:
    page.goto(base_url)
    count = page.locator("#analytics-count")
    expect(count).to_have_text("Usage events this page reported: 0")
    page.get_by_label("Share my searches and clicks").uncheck()
    expect(page.locator("#analytics-state")).to_contain_text("You opted out")
    page.fill("#query", "heist movies")
    page.press("#query", "Enter")
    expect(page.locator("#results li.result")).to_have_count(10, timeout=15_000)
    expect(count).to_have_text("Usage events this page reported: 0")
    page.get_by_label("Share my searches and clicks").check()
    page.fill("#query", "heist movies")
    page.press("#query", "Enter")
    expect(count).to_have_text("Usage events this page reported: 1")


# -- accessibility and layout, desktop and phone ---------------------------------------------
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def views(world: World) -> dict[str, tuple[str, str]]:
    """Each view: its address, and a locator that is there once it has loaded."""
    return {"search": ("/?q=movies+like+Heat", "#results li.result"),
            "discover": ("/discover", "#discover-titles li.card"),
            "for-you": ("/for-you", "#for-you li.card"),
            "title": (f"/titles/{world.heat}", "#watched-together li.card")}


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_view_passes_axe_and_fits_the_screen(
        api_world: World, base_url: str, browser: Browser, viewport: str) -> None:
    """axe-core (axe-playwright-python) on each view, with no serious or critical
    violation; nothing wider than a phone's screen. OMEGA_PAGE_SCREENSHOTS=docs/screenshots
    keeps a screenshot of each."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])  # type: ignore[arg-type]
    page = context.new_page()
    page.add_init_script(f"localStorage.setItem('omega.likes', '[{api_world.heat}]');")
    failures = []
    try:
        for name, (path, loaded) in views(api_world).items():
            page.goto(f"{base_url}{path}")
            expect(page.locator(loaded).first).to_be_visible(timeout=15_000)
            results = Axe().run(page)
            bad = [(v["id"], v["impact"], v["help"], len(v["nodes"]))
                   for v in results.response["violations"]
                   if v["impact"] in ("serious", "critical")]
            if bad:
                failures.append((name, bad))
            # Nothing sticks out past the screen, except cards inside a row that scrolls.
            wider = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter((e) => !e.closest('.row'))
                .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
                .map((e) => `${e.tagName}.${e.className}`).slice(0, 3)""")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert (wider, width) == ([], VIEWPORTS[viewport]["width"]), name
            folder = os.environ.get("OMEGA_PAGE_SCREENSHOTS")
            if folder:
                page.screenshot(path=f"{folder}/{name}-{viewport}.png", full_page=True)
    finally:
        context.close()
    assert failures == []
