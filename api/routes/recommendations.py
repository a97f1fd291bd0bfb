"""POST /api/recommendations: from liked titles and/or preferences, with reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from api.routes.cards import with_cover
from api.routes.deps import State, require_index
from api.search.cards import title_card
from omega.index import Hit, TitleFilter

router = APIRouter(tags=["recommendations"])


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    genres: list[str] = Field(default_factory=list, max_length=20)
    minRating: float | None = Field(default=None, ge=0, le=10)


class RecommendationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    likedTitleIds: list[int] = Field(default_factory=list, max_length=50)
    preferences: Preferences | None = None
    limit: int = Field(default=10, ge=1, le=50)


@router.post("/api/recommendations")
def recommend(body: RecommendationRequest, state: State) -> dict[str, Any]:
    """Near the mean vector of the liked titles and among their released co-view
    neighbours (or, with preferences only, the DP trending titles of those genres),
    ranked like "like X" search (co-viewing, genre overlap with the liked titles,
    popularity), liked titles excluded."""
    prefs = body.preferences or Preferences()
    if not body.likedTitleIds and not prefs.genres and prefs.minRating is None:
        raise HTTPException(422, "give likedTitleIds, preferences, or both")
    unknown = [t for t in body.likedTitleIds if t not in state.views.titles]
    if unknown:
        raise HTTPException(422, f"likedTitleIds: not in the catalog: {unknown[:10]}")
    require_index(state)
    where = TitleFilter(genres=tuple(prefs.genres), min_rating=prefs.minRating)
    where_or_none = None if where == TitleFilter() else where
    exclude: set[int] = set()
    for liked in body.likedTitleIds:
        exclude |= state.ranker.same_title(liked)
    vectors = [v for t in body.likedTitleIds if (v := state.index.vector(t)) is not None]
    soft = set(prefs.genres)
    if vectors:
        mean = np.mean(vectors, axis=0)
        mean = (mean / np.linalg.norm(mean)).astype(np.float32)
        hits = state.index.search(mean, body.limit * 4, where_or_none, exclude)
        hits = state.ranker.with_coview(hits, body.likedTitleIds, mean, where_or_none, exclude)
    else:
        totals, _ = state.views.totals("week")
        hits = []
        for title_id, count in sorted(totals.items(), key=lambda tc: (-tc[1], tc[0])):
            card = title_card(state.views, title_id)
            if count <= 0 or (prefs.genres and not set(prefs.genres) & set(card["genres"])):
                continue
            if prefs.minRating is not None and (card["rating"] or 0) < prefs.minRating:
                continue
            hits.append(Hit(title_id, 0.0, {}))
            if len(hits) == body.limit * 4:
                break
    ranked = state.ranker.rank(hits, soft, None, body.likedTitleIds)
    for card in ranked:
        card["matchReasons"] += [f"Genre: {g}" for g in prefs.genres if g in card["genres"]]
        if vectors:
            card["matchReasons"].insert(0, "Similar to what you liked")
    return {"results": [with_cover(state, card) for card in ranked[:body.limit]],
            "basedOn": [state.views.display(t) for t in body.likedTitleIds],
            "liked": [with_cover(state, title_card(state.views, t))
                      for t in body.likedTitleIds]}
