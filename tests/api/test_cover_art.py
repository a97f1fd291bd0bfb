"""Every card's picture: generated cover art at /api/titles/{id}/cover.svg without a key,
TMDB's poster (through this origin) with one; in the API and in headless Chromium.

Waits are Playwright's locator assertions: the page's CSP forbids string-evaluated waits.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, Page, expect

from api.covers import PALETTE
from api.routes.titles import COVER_CSP
from api.security import SECURITY_HEADERS
from tests.api.conftest import World, served
from tests.fake_tmdb import KEY, FakeTmdb

pytestmark = pytest.mark.integration


def title_id(world: World, title: str, year: int) -> int:
    return next(i for i, r in world.catalog.items() if (r["title"], r["year"]) == (title, year))


def svg_of(title_id: int | str) -> str:
    return f"/api/titles/{title_id}/cover.svg"


def test_the_cover_is_the_titles_svg_escaped_and_cached(api_world: World) -> None:
    bill = title_id(api_world, "Bill & Ted's Bogus Journey", 1991)
    response = api_world.client.get(svg_of(bill))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    body = response.text
    assert "<title>Bill &amp; Ted&#x27;s Bogus Journey (1991)</title>" in body
    assert ">1991</text>" in body and ">ADVENTURE</text>" in body
    assert ET.fromstring(body).tag == "{http://www.w3.org/2000/svg}svg"
    assert response.headers.get_list("content-security-policy") == [COVER_CSP]  # not two
    assert {name: response.headers.get_list(name) for name in SECURITY_HEADERS
            if name != "Content-Security-Policy"} == {
        name: [value] for name, value in SECURITY_HEADERS.items()
        if name != "Content-Security-Policy"}  # the others, as on every response
    assert response.headers["cache-control"] == "public, max-age=86400"
    etag = response.headers["etag"]
    assert api_world.client.get(svg_of(bill)).content == response.content
    cached = api_world.client.get(svg_of(bill), headers={"If-None-Match": etag})
    assert (cached.status_code, cached.content, cached.headers["etag"]) == (304, b"", etag)
    assert set(api_world.state.views.genres()) <= set(PALETTE)  # each genre its colour


def test_an_unknown_or_invalid_id_gets_a_json_problem(api_world: World) -> None:
    missing = api_world.client.get("/api/titles/99999999/cover.svg")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == {"error": "no title with id 99999999 in the catalog",
                              "status": 404}
    assert api_world.client.get("/api/titles/0/cover.svg").status_code == 422


def test_every_card_carries_its_picture(api_world: World) -> None:
    client, heat = api_world.client, api_world.heat
    search = client.post("/api/search", json={"query": "movies like Heat"}).json()["results"]
    discover = client.get("/api/discover", params={"window": "week"}).json()["items"]
    liked = client.post("/api/recommendations", json={"likedTitleIds": [heat]}).json()
    page = client.get(f"/api/titles/{heat}").json()
    cards = [*search, *discover, *liked["results"], *liked["liked"], page,
             *page["similar"], *page["watchedTogether"]]
    assert len(cards) > 30
    assert all(c["coverUrl"] == svg_of(c["titleId"]) for c in cards)  # no TMDB
    assert client.get(search[0]["coverUrl"]).status_code == 200


# -- in the browser ------------------------------------------------------------------------


def test_cards_and_the_title_page_show_their_cover_art(api_world: World, base_url: str,
                                                       page: Page) -> None:
    page.goto(f"{base_url}/titles/{api_world.heat}")
    cover = page.locator("#title-detail .poster")
    expect(cover).to_have_attribute("alt", "Heat (1995) cover", timeout=15_000)
    expect(cover).to_have_js_property("naturalWidth", 200)  # loaded: the SVG's width
    ronin = page.locator("#watched-together li.card .cover")
    expect(ronin).to_have_attribute("alt", "Ronin (1998) cover")
    expect(ronin).to_have_attribute("loading", "lazy")
    ronin.scroll_into_view_if_needed()
    expect(ronin).to_have_js_property("naturalWidth", 200)
    page.goto(f"{base_url}/?q=heist+movies")
    result = page.locator("#results li.result").first
    expect(result).to_be_visible(timeout=15_000)
    first = result.locator(".cover")
    expect(first).to_have_attribute("src", svg_of(result.get_attribute("data-title-id") or ""))
    expect(first).to_have_js_property("naturalWidth", 200)
    page.goto(f"{base_url}/discover")
    toy_story = page.locator("#discover-titles li.card .cover").first
    expect(toy_story).to_have_attribute("alt", "Toy Story (1995) cover", timeout=15_000)
    expect(toy_story).to_have_js_property("naturalWidth", 200)


def test_a_tmdb_poster_shows_and_one_that_fails_falls_back_to_cover_art(
        api_world: World, browser: Browser) -> None:
    """With a key, a card shows TMDB's poster (a 92 px JPEG from the fake) and a title
    without one its cover art; when TMDB's image server is down, the poster route answers
    502 and the page shows the cover art instead."""
    fake = FakeTmdb()
    state = replace(api_world.state, settings=api_world.settings.model_copy(update={
        "tmdb_api_key": KEY, "tmdb_image_base_url": fake.image_url}))
    heat, ronin = (api_world.state.views.titles[t] for t in (api_world.heat, api_world.ronin))
    page = browser.new_page()
    try:
        ronin["poster_path"] = "/ronin.jpg"
        with served(state.settings, state) as url:
            page.goto(f"{url}/titles/{api_world.heat}")
            card = page.locator("#watched-together li.card .cover")
            expect(card).to_have_attribute("src", f"/api/titles/{api_world.ronin}/poster",
                                           timeout=15_000)
            expect(card).to_have_js_property("naturalWidth", 92)
            own = page.locator("#title-detail .poster")
            expect(own).to_have_attribute("src", svg_of(api_world.heat))
            expect(own).to_have_js_property("naturalWidth", 200)
            fake.down = True
            heat["poster_path"] = "/heat.jpg"
            with page.expect_response(f"**/api/titles/{api_world.heat}/poster") as failed:
                page.reload()
            assert failed.value.status == 502
            expect(own).to_have_attribute("src", svg_of(api_world.heat))  # the fallback
            expect(own).to_have_js_property("naturalWidth", 200)
    finally:
        page.close()
        ronin.pop("poster_path", None)
        heat.pop("poster_path", None)
        posters = state.settings.data_dir / "posters"
        for t in (api_world.heat, api_world.ronin):
            (posters / f"{t}.jpg").unlink(missing_ok=True)  # as test_search_api.py expects
        fake.close()
