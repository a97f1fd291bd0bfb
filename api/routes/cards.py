"""The title card every list of titles answers with (built by `api.ranking.title_card`)."""

from __future__ import annotations

from pydantic import BaseModel


class TitleCard(BaseModel):
    titleId: int
    title: str
    year: int | None
    genres: list[str]
    rating: float | None
    votes: int | None
    movielensRatings: int | None
    runtimeMin: int | None
    mpaa: str | None
    director: str | None
    cast: list[str]
    awards: list[str]
