"""/api/discover names its numbers (device-windows, TVs per window on average, never TVs for
a sum over windows) and lists only titles that stand above the noise, saying when none
does."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.views import Views
from omega.dp.above_noise import noise_threshold
from omega.release import release_trends
from tests.api.conftest import HOUR_MS, SEARCHES, World

pytestmark = pytest.mark.integration


def test_counts_are_device_windows_and_tvs_per_window_on_average(api_world: World) -> None:
    week = api_world.client.get("/api/discover", params={"window": "week"}).json()
    privacy, floor = week["privacy"], week["aboveNoise"]
    assert privacy["windows"] == 2 and privacy["windowMs"] == 4 * HOUR_MS
    top = week["items"][0]
    assert top["titleId"] == api_world.trending and "noisyDevices" not in top
    assert top["noisyDeviceWindows"] == 9000 and top["devicesPerWindow"] == 4500.0
    assert privacy["devicesPerWindowNoiseStd"] == pytest.approx(privacy["noiseStd"] / 2, abs=0.1)
    # three titles released over two windows: Bonferroni over 3 at 99.9 % (a known answer)
    assert floor["titlesCompared"] == 3 and floor["titles"] == 3
    assert floor["thresholdDeviceWindows"] == noise_threshold(2, 0.1, 10, 3) == 903
    assert floor["thresholdDevicesPerWindow"] == 451.5 and floor["confidence"] == 0.999
    assert "Bonferroni" in floor["method"] and floor["note"].startswith("3 titles stand above")
    assert week["searches"] == [{"query": q, "noisySessionWindows": c, "sessionsPerWindow": c}
                                for q, c in SEARCHES.items()]
    assert week["searchPrivacy"]["sessionsPerWindowNoiseStd"] == week["searchPrivacy"][
        "noiseStd"]  # one window released searches
    spec = api_world.client.get("/openapi.json").json()["components"]["schemas"]
    assert "device-windows" in spec["DiscoverTitle"]["properties"]["noisyDeviceWindows"][
        "description"]


@pytest.fixture
def noise_only(api_world: World) -> Iterator[tuple[TestClient, Views, list[int]]]:
    """The API over views where one window released 400 titles nobody watched: their
    noisy counts, up to several hundred, are what a top list of noise looks like."""
    views = Views(None)
    ids = list(api_world.catalog)[:400]
    for title_id in ids:
        views.add_title(api_world.catalog[title_id])
    end = 100 * 4 * HOUR_MS
    for record in release_trends(end - 4 * HOUR_MS, end, {}, ids, 0.1, 10, seed=36):
        views.add_release(record)
    state = replace(api_world.state, views=views)
    with TestClient(create_app(state.settings, state=state)) as client:
        yield client, views, ids


def test_nothing_above_the_noise_is_said_not_ranked(
        noise_only: tuple[TestClient, Views, list[int]]) -> None:
    client, views, ids = noise_only
    assert max(r["noisy_count"] for r in views.releases["tv"]) > 300  # noise, ranked before
    body: dict[str, Any] = client.get("/api/discover", params={"window": "day"}).json()
    threshold = noise_threshold(1, 0.1, 10, 400)
    assert threshold == 1_222  # p^t / (1 + p) ≤ 0.001 / 400, p = exp(−0.01)
    assert body["items"] == []
    floor = body["aboveNoise"]
    assert floor["titles"] == 0 and floor["titlesCompared"] == 400
    assert floor["thresholdDeviceWindows"] == threshold
    assert floor["note"] == ("no title stands above the noise over the last day: a title "
                             "needs 1,222 device-windows (1,222 TVs per window, on average) to "
                             "stand above the noise at 99.9 % for all 400 titles together, and "
                             "none has that many")
    # One title watched by 2,000 TVs in the next window: it alone stands out of the week.
    end = 101 * 4 * HOUR_MS
    for record in release_trends(end - 4 * HOUR_MS, end, {ids[7]: 2_000}, ids, 0.1, 10,
                                 seed=37):
        views.add_release(record)
    week = client.get("/api/discover", params={"window": "week"}).json()
    assert [i["titleId"] for i in week["items"]] == [ids[7]]
    assert week["aboveNoise"]["titles"] == 1 and week["privacy"]["windows"] == 2
    assert week["aboveNoise"]["thresholdDeviceWindows"] == noise_threshold(2, 0.1, 10, 400)
