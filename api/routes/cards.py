"""The title card every list of titles answers with (built by `api.ranking.title_card`),
and its picture (`coverUrl`), which the routes add as they answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.state import ApiState


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


def poster_of(state: ApiState, title_id: int) -> str | None:
    """TMDB's poster path for the title, when TMDB is configured and has one."""
    path = state.views.titles.get(title_id, {}).get("poster_path")
    return path if path and state.settings.tmdb_api_key else None


def cover_url(state: ApiState, title_id: int) -> str:
    """The poster where there is one, else the cover art: every card has a picture."""
    kind = "poster" if poster_of(state, title_id) else "cover.svg"
    return f"/api/titles/{title_id}/{kind}"


def with_cover(state: ApiState, card: dict[str, Any]) -> dict[str, Any]:
    return card | {"coverUrl": cover_url(state, card["titleId"])}
