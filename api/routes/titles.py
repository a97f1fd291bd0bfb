"""GET /api/titles/{id}: details, similar titles (vectors), watched together (DP edges)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path

from api.ranking import title_card
from api.routes.deps import State, require_index, require_title

router = APIRouter(tags=["titles"])


@router.get("/api/titles/{title_id}")
def title(state: State, title_id: int = Path(ge=1, le=2**53)) -> dict[str, Any]:
    require_title(state, title_id)
    require_index(state)
    similar: list[dict[str, Any]] = []
    vector = state.index.vector(title_id)
    if vector is not None:
        exclude = state.ranker.same_title(title_id)
        hits = state.index.search(vector, 10, None, exclude)
        similar = [title_card(state.views, h.title_id) | {"similarity": round(h.score, 4)}
                   for h in hits]
    together = [title_card(state.views, t) | {"noisyDevices": c}
                for t, c in state.views.watched_with(title_id, 10)]
    return title_card(state.views, title_id) | {"similar": similar, "watchedTogether": together}
