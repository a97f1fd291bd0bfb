"""GET /api/discover: what TVs watched most over the last day or week, and what people
searched for on the web page (both DP releases).

A day or week view sums each window's noisy count: a sum of device counts over windows
("device-windows": one TV that watched a title in three windows counts three times), not
devices. The answer names its numbers so: `noisyDeviceWindows`, and the per-window
average `devicesPerWindow`. Only titles whose sum stands above its noise are listed
(omega/dp/above_noise.py); `aboveNoise` says how many do, and when none does.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.privacy import accounting
from api.routes.cards import with_cover
from api.routes.deps import State
from api.search.cards import TitleCard, title_card
from api.state import ApiState
from omega.dp.above_noise import CONFIDENCE, METHOD
from omega.dp.ranges import range_noise_std

router = APIRouter(tags=["discover"])
SPAN = {"day": "over the last day", "week": "over the last week"}


class DiscoverTitle(TitleCard):
    noisyDeviceWindows: int = Field(
        description="The title's noisy device counts summed over the span's released "
                    "windows: device-windows (a TV counted in three windows counts three "
                    "times), not TVs. Its noise's standard deviation is privacy.noiseStd.")
    devicesPerWindow: float = Field(
        description="noisyDeviceWindows / privacy.windows: TVs per window, on average "
                    "(noisy; standard deviation privacy.devicesPerWindowNoiseStd).")


class TrendingSearch(BaseModel):
    query: str
    noisySessionWindows: int = Field(
        description="The query's noisy session counts summed over the windows that "
                    "released it: session-windows, not sessions.")
    sessionsPerWindow: float = Field(
        description="noisySessionWindows / searchPrivacy.windows: sessions per window, on "
                    "average, a window where the query did not pass counting as 0.")


class AboveNoise(BaseModel):
    titles: int = Field(description="Titles whose sum stands above its noise, any genre; 0 "
                                    "when none does (then `items` is empty).")
    thresholdDeviceWindows: int | None = Field(
        description="The smallest sum that stands above the noise; null before a release.")
    thresholdDevicesPerWindow: float | None = Field(
        description="The same threshold as TVs per window, on average.")
    confidence: float = Field(description="How sure the threshold is that no title without "
                                          "viewers reaches it, for all titles together.")
    titlesCompared: int = Field(description="Titles released in the span's windows.")
    method: str
    note: str


class DiscoverResponse(BaseModel):
    window: Literal["day", "week"]
    genre: str | None
    genres: list[str]
    unresolved: list[str] = Field(
        default_factory=list, description="What the request names that the catalog does "
                                          "not have, e.g. a genre it has no title in.")
    items: list[DiscoverTitle]
    aboveNoise: AboveNoise
    searches: list[TrendingSearch]
    searchPrivacy: dict[str, Any]
    privacy: dict[str, Any] = Field(
        description="windows, fromMs, toMs, windowMs; noiseStd (of each noisyDeviceWindows) "
                    "and devicesPerWindowNoiseStd (of each devicesPerWindow); each window's "
                    "ε and the (ε, δ) the view composes to.")


@router.get("/api/discover", response_model=DiscoverResponse)
def discover(state: State, window: Literal["day", "week"] = "week",
             genre: str | None = Query(default=None, max_length=40),
             limit: int = Query(default=20, ge=1, le=100)) -> dict[str, Any]:
    """Titles that stand above the noise, ranked by their DP device-windows: each window's
    noisy counts summed over the last day or week of released windows (no extra privacy
    cost). `aboveNoise` gives the threshold (Bonferroni over the titles compared, 99.9 %)
    and says when no title reaches it; `privacy` and `searchPrivacy` give each window's
    ε, the windows summed and the composed (ε, δ)."""
    known = state.views.genres()
    unresolved = ([f"genre {genre!r}: not a catalog genre (one of {', '.join(known)})"]
                  if genre and known and genre.casefold() not in {g.casefold() for g in known}
                  else [])
    _, span = state.views.totals(window)
    windows = span["windows"]
    items = []
    for title_id, count in span.get("aboveNoise", ()):
        card = title_card(state.views, title_id)
        if genre and genre.casefold() not in {g.casefold() for g in card["genres"]}:
            continue
        items.append(with_cover(state, card) | {"noisyDeviceWindows": count,
                                                "devicesPerWindow": round(count / windows, 1)})
        if len(items) == limit:
            break
    noise = (range_noise_std(windows, span["epsilonPerWindow"], span["sensitivity"])
             if windows else None)
    settings = state.settings
    return {"window": window, "genre": genre, "genres": known, "unresolved": unresolved,
            "items": items,
            "aboveNoise": above_noise(span, SPAN[window]),
            **trending_searches(state, window),
            "privacy": {
                "windows": windows, "fromMs": span["from"], "toMs": span["to"],
                "windowMs": span.get("windowMs"),
                **accounting(settings, "device", "titles", window, windows),
                "noiseStd": round(noise, 1) if noise is not None else None,
                "devicesPerWindowNoiseStd": round(noise / windows, 1) if noise else None,
                "note": "each title's count is its noisy device counts summed over the "
                        "windows (device-windows), and per window on average; every catalog "
                        "title is released in every window, and only those that stand above "
                        "the noise are listed. composed is this view's (ε, δ) for one "
                        "device; composedAll adds the pair releases of the same windows"}}


def above_noise(span: dict[str, Any], when: str) -> dict[str, Any]:
    """The span's noise threshold, how many titles reach it, and a sentence saying so."""
    windows, threshold = span["windows"], span.get("threshold")
    compared, titles = span.get("titles", 0), len(span.get("aboveNoise", ()))
    base = {"titles": titles, "thresholdDeviceWindows": threshold,
            "thresholdDevicesPerWindow": round(threshold / windows, 1) if windows else None,
            "confidence": CONFIDENCE, "titlesCompared": compared, "method": METHOD}
    if not windows or threshold is None:
        return base | {"note": "nothing released yet"}
    needs = (f"{threshold:,} device-windows ({threshold / windows:,.0f} TVs per window, on "
             f"average) to stand above the noise at {CONFIDENCE * 100:.10g} % for all {compared:,} "
             f"titles together")
    if not titles:
        return base | {"note": f"no title stands above the noise {when}: a title needs "
                               f"{needs}, and none has that many"}
    many = "1 title stands" if titles == 1 else f"{titles:,} titles stand"
    return base | {"note": f"{many} above the noise {when}: at least {needs}"}


def trending_searches(state: ApiState, window: str) -> dict[str, Any]:
    """The span's released searches: session-windows, and sessions per window on average."""
    searches, search_windows, search_epsilon = state.views.search_totals(window)
    noise = (range_noise_std(search_windows, search_epsilon,
                             state.settings.max_queries_per_session)
             if search_epsilon else None)
    return {"searches": [{"query": q, "noisySessionWindows": c,
                          "sessionsPerWindow": round(c / search_windows, 1)}
                         for q, c in searches],
            "searchPrivacy": {
                "windows": search_windows,
                **accounting(state.settings, "session", "queries", window, search_windows),
                "noiseStd": round(noise, 1) if noise else None,
                "sessionsPerWindowNoiseStd": round(noise / search_windows, 1) if noise else None,
                "note": "searches enough page sessions made to pass DP partition selection; "
                        "noisySessionWindows sums a query's noisy session counts over the "
                        "windows that released it (session-windows), sessionsPerWindow "
                        "averages it over the windows that released searches"}}
