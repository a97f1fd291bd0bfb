"""GET /api/discover: what TVs watched most over the last day or week, and what people
searched for on the web page (both DP releases)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from api.privacy import accounting
from api.ranking import title_card
from api.routes.deps import State
from omega.ranges import range_noise_std

router = APIRouter(tags=["discover"])


@router.get("/api/discover")
def discover(state: State, window: Literal["day", "week"] = "week",
             genre: str | None = Query(default=None, max_length=40),
             limit: int = Query(default=20, ge=1, le=100)) -> dict[str, Any]:
    """Titles ranked by their differentially private device totals: each window's noisy
    counts summed over the last day or week of released windows (no extra privacy cost).
    `noiseStd` is the standard deviation of the noise in each total; `privacy` and
    `searchPrivacy` give each window's ε, the windows summed and the composed (ε, δ)."""
    totals, span = state.views.totals(window)
    ranked = sorted(((c, t) for t, c in totals.items() if c > 0), key=lambda ct: (-ct[0], ct[1]))
    items = []
    for count, title_id in ranked:
        card = title_card(state.views, title_id)
        if genre and genre.casefold() not in {g.casefold() for g in card["genres"]}:
            continue
        items.append(card | {"noisyDevices": count})
        if len(items) == limit:
            break
    noise = (range_noise_std(span["windows"], span["epsilonPerWindow"], span["sensitivity"])
             if span["windows"] else None)
    searches, search_windows, search_epsilon = state.views.search_totals(window)
    search_noise = (range_noise_std(search_windows, search_epsilon,
                                    state.settings.max_queries_per_session)
                    if search_epsilon else None)
    settings = state.settings
    return {"window": window, "genre": genre, "genres": state.views.genres(), "items": items,
            "searches": [{"query": q, "noisySessions": c} for q, c in searches],
            "searchPrivacy": {
                "windows": search_windows,
                **accounting(settings, "session", "queries", window, search_windows),
                "noiseStd": round(search_noise, 1) if search_noise else None,
                "note": "searches enough page sessions made to pass DP partition selection; "
                        "counts are noisy"},
            "privacy": {
                "windows": span["windows"], "fromMs": span["from"], "toMs": span["to"],
                **accounting(settings, "device", "titles", window, span["windows"]),
                "noiseStd": round(noise, 1) if noise is not None else None,
                "note": "counts are noisy device totals released under differential privacy; "
                        "titles whose noisy count is under the release threshold are absent. "
                        "composed is this view's (ε, δ) for one device; composedAll adds the "
                        "pair releases of the same windows"}}
