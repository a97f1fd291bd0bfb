"""POST /api/search: natural-language search with match reasons."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from api.routes.cards import with_cover
from api.routes.deps import State, require_index
from api.search.cards import TitleCard
from api.search.query import QueryIntent, parse_query
from omega.index import TitleFilter

router = APIRouter(tags=["search"])


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    genres: list[str] = Field(default_factory=list, max_length=20)
    yearFrom: int | None = Field(default=None, ge=1870, le=2100)
    yearTo: int | None = Field(default=None, ge=1870, le=2100)
    minRating: float | None = Field(default=None, ge=0, le=10)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=200, description="What to look for, in words.")
    filters: Filters | None = None
    limit: int = Field(default=10, ge=1, le=50)


class Result(TitleCard):
    score: float
    scores: dict[str, float] = Field(
        description="Each signal's value, 0..1: similarity, popularity (public prior shrunk "
                    "toward DP evidence), trending (DP), prior (public); with a like-title "
                    "also coview (DP) and genreOverlap.")
    signals: dict[str, str] = Field(description="Where popularity and trending came from.")
    drivenBy: str = Field(description="The signal that added most to the score.")
    matchReasons: list[str]


class SearchResponse(BaseModel):
    query: str
    results: list[Result]
    metadata: dict[str, Any]


def to_filter(filters: Filters | None) -> TitleFilter | None:
    if filters is None:
        return None
    where = TitleFilter(genres=tuple(filters.genres), year_from=filters.yearFrom,
                        year_to=filters.yearTo, min_rating=filters.minRating)
    return None if where == TitleFilter() else where


CLOSEST = 3  # results shown when nothing fits: "the closest we have"


def fits_nothing(intent: QueryIntent, filters: Filters | None, results: list[dict[str, Any]],
                 floor: float) -> bool:
    """True when the query is words alone (no genre, person, year, award, title…
    understood) and even the best result is less similar than `floor`: the results are
    then the closest the catalog has, not matches."""
    understood = (intent.genres or intent.moods or intent.people or intent.awards
                  or intent.like_title_id is not None or intent.named_title_id is not None
                  or intent.year_from is not None
                  or intent.year_to is not None or intent.min_rating is not None
                  or intent.length or intent.recent or filters is not None)
    best = max((r["scores"]["similarity"] for r in results), default=0.0)
    return not understood and best < floor


@router.post("/api/search", response_model=SearchResponse)
async def search(body: SearchRequest, state: State) -> dict[str, Any]:
    """Understand the query (genres, moods, years, rating, length, director, cast,
    awards, recency, "like X"), retrieve near its vector, rank by similarity, public
    popularity shrunk toward DP evidence, DP trending and (for "like X") DP co-viewing,
    and explain each. What the query names that no source knows is listed in
    `metadata.unresolved`.

    On the event loop: only the embedding leaves it (batched with concurrent queries in
    the encoder's thread); parsing, the HNSW search and ranking take well under a ms."""
    started = time.perf_counter()
    if not body.query.strip():
        raise HTTPException(422, "query: must contain something other than spaces")
    require_index(state)
    views = state.views
    intent = parse_query(body.query, views.resolve, views.person, views.latest_year)
    text = state.ranker.query_text(intent)
    encoded = None if text is None else await state.encoder.encode_async(text)
    known = set(views.genres())
    intent.unresolved += [f"genre \"{g}\": not a catalog genre (one of {', '.join(sorted(known))})"
                          for g in (body.filters.genres if body.filters else []) if g not in known]
    results, relaxed = state.ranker.search(intent, body.limit, to_filter(body.filters), encoded)
    nothing_fits = fits_nothing(intent, body.filters, results, state.settings.rank_similarity_floor)
    if nothing_fits:
        results = results[:CLOSEST]
    w = state.ranker.weights
    others = sorted(state.ranker.same_title(intent.like_title_id) - {intent.like_title_id})
    metadata = intent.metadata() | {
        "relaxedFilters": relaxed, "nothingFits": nothing_fits,
        # "like Heat": the best-known Heat (most votes); the other films of that title
        "likeAlternatives": [{"titleId": t, "title": views.display(t)} for t in others],
        "weights": {"similarity": w.similarity, "popularity": w.popularity,
                    "trending": w.trending, "coview": w.coview,
                    "genreOverlap": w.genre_overlap},
        "processingTimeMs": round((time.perf_counter() - started) * 1000, 2)}
    return {"query": body.query, "results": [with_cover(state, r) for r in results],
            "metadata": metadata}
