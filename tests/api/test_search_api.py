"""The API on the real broker and its real index: search, titles, discover, recommendations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import SEARCHES, World
from tests.fake_tmdb import KEY, POSTER, FakeTmdb

pytestmark = pytest.mark.integration


def test_sci_fi_from_the_90s_returns_90s_science_fiction_first(api_world: World) -> None:
    response = api_world.client.post("/api/search", json={"query": "sci-fi from the 90s"})
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert len(results) == 10
    for item in results:
        assert "Sci-Fi" in item["genres"] and 1990 <= item["year"] <= 1999, item
        assert "Genre: Sci-Fi" in item["matchReasons"]
        assert any(r.endswith("semantic match") for r in item["matchReasons"])
    assert body["metadata"]["detectedGenres"] == ["Sci-Fi"]
    assert body["metadata"]["period"] == "1990s"
    assert body["metadata"]["processingTimeMs"] > 0


def test_movies_like_heat_puts_crime_and_thrillers_first_and_says_why(api_world: World) -> None:
    response = api_world.client.post("/api/search", json={"query": "movies like Heat"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["likeTitle"] == "Heat (1995)"  # the best known of the Heats
    alternatives = body["metadata"]["likeAlternatives"]
    assert alternatives and all(a["title"].startswith("Heat (") and a["title"] != "Heat (1995)"
                                for a in alternatives)
    top = body["results"][:5]
    assert all({"Crime", "Thriller"} & set(item["genres"]) for item in top), top
    assert all(item["title"] != "Heat" for item in body["results"])
    ronin = next(r for r in body["results"] if r["titleId"] == api_world.ronin)
    assert "Often watched with Heat (1995)" in ronin["matchReasons"]
    assert any("with Heat (1995)" in reason for item in top for reason in item["matchReasons"])


def test_popularity_and_trending_come_from_the_dp_releases(api_world: World) -> None:
    body = api_world.client.post("/api/search", json={"query": "toy story"}).json()
    toy = next(r for r in body["results"] if r["titleId"] == api_world.trending)
    # 9,000 noisy devices stand far above the noise (σ ≈ 200): the DP total drives
    # popularity, almost wholly, and trending is the day's strongest
    assert toy["scores"]["trending"] == 1.0
    assert toy["scores"]["popularity"] > max(0.95, toy["scores"]["prior"])
    assert toy["signals"]["popularity"].startswith("DP TV viewing this week")
    assert "Trending on TVs today" in toy["matchReasons"]
    other = next(r for r in body["results"] if r["titleId"] not in
                 {api_world.trending, api_world.heat, api_world.ronin})
    assert other["signals"]["popularity"] == "public prior"
    assert other["scores"]["popularity"] == other["scores"]["prior"]
    assert other["scores"]["trending"] == 0.0


def test_director_cast_and_award_queries(api_world: World) -> None:
    def search(query: str) -> dict[str, Any]:
        response = api_world.client.post("/api/search", json={"query": query})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    spielberg = search("Spielberg films")
    assert spielberg["metadata"]["directors"] == ["Steven Spielberg"]
    assert len(spielberg["results"]) >= 5
    for item in spielberg["results"]:
        assert item["director"] == "Steven Spielberg", item
        assert "Directed by Steven Spielberg" in item["matchReasons"]
    hanks = search("films with Tom Hanks")
    assert hanks["metadata"]["cast"] == ["Tom Hanks"]
    assert {"Forrest Gump", "Philadelphia"} <= {r["title"] for r in hanks["results"]}
    assert all("Tom Hanks" in r["cast"] for r in hanks["results"])
    oscars = search("Oscar winners from the 90s")
    assert oscars["results"] and all(
        any(a.startswith("Oscar,") for a in r["awards"]) and 1990 <= r["year"] <= 1999
        for r in oscars["results"])
    pictures = search("Best Picture winners")
    assert pictures["metadata"]["awards"] == ["Best Picture (won)"]
    assert {"Forrest Gump", "Schindler's List"} <= {r["title"] for r in pictures["results"]}
    for item in pictures["results"]:
        assert any(a.startswith("Oscar, Best Picture (") for a in item["matchReasons"]), item
    nominees = search("Best Picture nominees from the 90s")
    assert nominees["results"] and all(
        any(", Best Picture (" in a for a in r["awards"]) for r in nominees["results"])
    streep = search("films with Meryl Streep")
    assert streep["metadata"]["cast"] == ["Meryl Streep"] and len(streep["results"]) >= 8
    assert all("Meryl Streep" in r["cast"] for r in streep["results"])


def test_movies_like_toy_story_are_its_sequel_and_its_kin(api_world: World) -> None:
    response = api_world.client.post("/api/search", json={"query": "movies like Toy Story"})
    assert response.status_code == 200, response.text
    top = response.json()["results"][:5]
    assert "Toy Story 2" in [r["title"] for r in top], top
    assert sum("Animation" in r["genres"] for r in top) >= 3, top
    sequel = next(r for r in top if r["title"] == "Toy Story 2")
    assert "Same series as Toy Story (1995)" in sequel["matchReasons"]
    # a co-view edge counts only as far as the film shares Toy Story's main genres
    results = response.json()["results"]
    assert all(r["scores"]["coview"] <= r["scores"]["genreOverlap"] for r in results), results


def test_a_query_nothing_fits_says_so_and_shows_the_closest(api_world: World) -> None:
    response = api_world.client.post("/api/search", json={"query": "xqzv blorptang wuggle"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["nothingFits"] is True and len(body["results"]) == 3
    sci_fi = api_world.client.post("/api/search", json={"query": "sci-fi"}).json()
    assert sci_fi["metadata"]["nothingFits"] is False and len(sci_fi["results"]) == 10
    # a title by its name fits, however far its embedded text is from the bare name
    heat = api_world.client.post("/api/search", json={"query": "Heat"}).json()
    assert heat["metadata"]["nothingFits"] is False and len(heat["results"]) == 10


def test_an_unknown_genre_is_named_not_answered_in_silence(api_world: World) -> None:
    response = api_world.client.post("/api/search", json={
        "query": "heist", "filters": {"genres": ["Steampunk"]}})
    assert response.status_code == 200, response.text
    unresolved = response.json()["metadata"]["unresolved"]
    assert any(u.startswith('genre "Steampunk": not a catalog genre') for u in unresolved)
    discover = api_world.client.get("/api/discover", params={"genre": "Steampunk"})
    assert discover.status_code == 200, discover.text
    assert discover.json()["items"] == []
    assert discover.json()["unresolved"][0].startswith("genre 'Steampunk': not a catalog genre")
    assert api_world.client.get("/api/discover").json()["unresolved"] == []


def test_what_no_source_knows_is_reported_and_the_rest_answered(api_world: World) -> None:
    response = api_world.client.post("/api/search",
                                     json={"query": "comedies starring Zork Blorbson"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["unresolved"] == ['person "zork blorbson": no source knows them']
    assert body["results"] and all("Comedy" in r["genres"] for r in body["results"])


def test_title_details_have_similar_titles_and_released_co_views(api_world: World) -> None:
    response = api_world.client.get(f"/api/titles/{api_world.heat}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Heat" and body["year"] == 1995
    assert [t["titleId"] for t in body["watchedTogether"]] == [api_world.ronin]
    assert body["watchedTogether"][0]["noisyDevices"] == 2500
    assert len(body["similar"]) == 10
    assert api_world.heat not in {t["titleId"] for t in body["similar"]}
    privacy = body["watchedTogetherPrivacy"]
    assert privacy["epsilonPerWindow"] == {"titles": 0.1, "pairs": 0.1, "sum": 0.2}
    assert privacy["minDevices"] == 1000 and privacy["windowsSummed"] == 1
    assert privacy["composed"]["windows"] == 1 and privacy["composed"]["epsilon"] <= 0.1
    # discrete Gaussian over all P = 45 pairs of K = 10 titles (omega/dp/, known answer)
    assert privacy["noiseStd"] == 259.6 and privacy["mechanism"] == "discrete Gaussian"
    assert f"about ±{privacy['noiseStd']:.0f}" in privacy["note"]
    assert body["posterUrl"] is None  # no TMDB here
    missing = api_world.client.get("/api/titles/99999999")
    assert missing.status_code == 404 and "no title with id 99999999" in missing.json()["error"]


def test_discover_ranks_noisy_totals_for_day_and_week(api_world: World) -> None:
    week = api_world.client.get("/api/discover", params={"window": "week"}).json()
    assert [i["titleId"] for i in week["items"]] == [api_world.trending, api_world.heat,
                                                     api_world.ronin]
    assert week["privacy"]["windows"] == 2 and week["privacy"]["noiseStd"] > 0
    privacy = week["privacy"]
    assert privacy["windowsSummed"] == 2 and privacy["composed"]["windows"] == 2
    assert privacy["epsilonPerWindow"] == {"titles": 0.1, "pairs": 0.1, "sum": 0.2}
    # Two windows compose to more than one, less than their sum; with the pairs, more.
    assert 0.1 < privacy["composed"]["epsilon"] < privacy["composed"]["basicEpsilon"] == 0.2
    assert privacy["composed"]["epsilon"] < privacy["composedAll"]["epsilon"] < 0.4
    assert week["searchPrivacy"]["unit"] == "session"
    assert set(week["searchPrivacy"]["epsilonPerWindow"]) == {"webTitles", "queries", "sum"}
    assert [s["query"] for s in week["searches"]] == list(SEARCHES)  # test_discover.py
    assert week["searchPrivacy"]["windows"] == 1 and week["searchPrivacy"]["noiseStd"] > 0
    assert {"Crime", "Sci-Fi", "Comedy"} <= set(week["genres"])
    day = api_world.client.get("/api/discover", params={"window": "day", "genre": "crime"}).json()
    assert [i["titleId"] for i in day["items"]] == [api_world.heat, api_world.ronin]
    assert api_world.client.get("/api/discover", params={"window": "month"}).status_code == 422


def test_recommendations_from_liked_titles_and_from_preferences(api_world: World) -> None:
    liked = api_world.client.post("/api/recommendations",
                                  json={"likedTitleIds": [api_world.heat], "limit": 5}).json()
    assert len(liked["results"]) == 5
    assert api_world.heat not in {r["titleId"] for r in liked["results"]}
    assert all("Similar to what you liked" in r["matchReasons"] for r in liked["results"])
    assert [(t["titleId"], t["title"]) for t in liked["liked"]] == [(api_world.heat, "Heat")]
    prefs = api_world.client.post("/api/recommendations", json={
        "preferences": {"genres": ["Crime"]}}).json()
    assert [r["titleId"] for r in prefs["results"]] == [api_world.heat, api_world.ronin]
    bad = api_world.client.post("/api/recommendations", json={"likedTitleIds": [0]})
    assert bad.status_code == 422 and "not in the catalog" in bad.json()["error"]


def test_health_reports_kafka_views_and_index(api_world: World) -> None:
    body = api_world.client.get("/api/health").json()
    assert body["status"] == "ok" and body["kafka"]["reachable"]
    assert body["index"]["titles"] == len(api_world.catalog)
    assert body["index"]["snapshotBuilds"] >= 1
    on_this_host = TestClient(api_world.client.app, client=("127.0.0.1", 50000))
    metrics = on_this_host.get("/metrics/").text
    assert 'omega_api_requests_total{route="/api/health",status="200"}' in metrics


def test_bad_input_gets_a_4xx_that_says_what_is_wrong(api_world: World) -> None:
    client = api_world.client
    cases = [
        (client.post("/api/search", json={"query": ""}), 422, "query"),
        (client.post("/api/search", json={"query": "x" * 201}), 422, "query"),
        (client.post("/api/search", json={"query": "x", "limit": 0}), 422, "limit"),
        (client.post("/api/search", json={"query": "x", "nope": 1}), 422, "nope"),
        (client.post("/api/search", content=b"{not json", headers={"content-type":
                                                                   "application/json"}),
         422, "JSON"),
        (client.post("/api/search", content=b"x" * 20_000), 413, "at most"),
        (client.get("/api/titles/abc"), 422, "title_id"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, response.text
        assert words in response.json()["error"], response.json()
    assert client.get("/api/search").status_code == 405
    assert "nosniff" in client.get("/api/health").headers["x-content-type-options"]


def test_a_tmdb_poster_is_served_from_our_own_origin(api_world: World) -> None:
    """With TMDB configured, the title page's poster comes through the API (fetched once,
    then from the data folder): the page's CSP never has to allow a third-party origin."""
    fake = FakeTmdb()
    state = replace(api_world.state, settings=api_world.settings.model_copy(update={
        "tmdb_api_key": KEY, "tmdb_image_base_url": fake.image_url}))
    record = api_world.state.views.titles[api_world.ronin]
    try:
        record["poster_path"] = "/ronin.jpg"
        with TestClient(create_app(state.settings, state=state)) as client:
            body = client.get(f"/api/titles/{api_world.ronin}").json()
            assert body["posterUrl"] == f"/api/titles/{api_world.ronin}/poster"
            for _ in range(2):
                poster = client.get(body["posterUrl"])
                assert poster.status_code == 200, poster.text
                assert poster.headers["content-type"] == "image/jpeg"
                assert poster.content == POSTER
            assert fake.requests.count("/t/p/w342/ronin.jpg") == 1  # the second from disk
            none = client.get(f"/api/titles/{api_world.heat}/poster")
            assert none.status_code == 404 and "no poster" in none.json()["error"]
            fake.down = True
            record["poster_path"] = "/other.jpg"
            (state.settings.data_dir / "posters" / f"{api_world.ronin}.jpg").unlink()
            down = client.get(body["posterUrl"])
            assert down.status_code == 502 and "TMDB" in down.json()["error"]
    finally:
        record.pop("poster_path", None)
        fake.close()
