"""The title card every list of titles answers with: the catalog's public fields of one
title (`title_card`) and their response model (`TitleCard`); the routes add its picture
(api/routes/cards.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.views import Views


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
    coverUrl: str = Field(
        description="The title's picture, from this origin: its TMDB poster when TMDB is "
                    "configured and has one (/api/titles/{id}/poster), else generated cover "
                    "art (/api/titles/{id}/cover.svg).")


def title_card(views: Views, title_id: int) -> dict[str, Any]:
    record = views.titles.get(title_id, {})
    return {"titleId": title_id, "title": record.get("title", f"title {title_id}"),
            "year": record.get("year"), "genres": record.get("genres", []),
            "rating": record.get("rating"), "votes": record.get("votes"),
            "movielensRatings": record.get("movielens_ratings"),
            "runtimeMin": record.get("runtime_min"), "mpaa": record.get("mpaa"),
            "director": record.get("director"), "cast": record.get("cast") or [],
            "awards": record.get("awards") or []}
