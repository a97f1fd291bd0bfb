"""Shared request plumbing for the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from api.state import ApiState


async def get_state(request: Request) -> ApiState:
    """Async on purpose: FastAPI runs a plain `def` dependency in its thread pool, and that
    hand-off cost every request a thread switch (about a tenth of a search's CPU)."""
    state: ApiState = request.app.state.omega
    return state


State = Annotated[ApiState, Depends(get_state)]


def require_index(state: ApiState) -> None:
    if state.index.count() == 0:
        raise HTTPException(503, "the title index is still loading; retry in a few seconds",
                            headers={"Retry-After": "5"})


def require_title(state: ApiState, title_id: int) -> None:
    if title_id not in state.views.titles:
        raise HTTPException(404, f"no title with id {title_id} in the catalog")
