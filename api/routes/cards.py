"""The picture of a title card (`coverUrl`, api/search/cards.py), which the routes add as
they answer: a TMDB poster where there is one, else generated cover art."""

from __future__ import annotations

from typing import Any

from api.state import ApiState


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
