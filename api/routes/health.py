"""GET /api/health: status, uptime, version, Kafka and index reachability."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, Response

from api.routes.deps import State
from omega import __version__

router = APIRouter(tags=["health"])


@router.get("/api/health")
def health(state: State, response: Response) -> dict[str, Any]:
    """`ok` when Kafka answers, the views caught up and the index holds titles;
    `degraded` (503) otherwise, saying which part is missing."""
    follower = state.follower
    kafka_ok = follower is not None and follower.error is None
    kafka_error: str | None
    try:
        state.writer.producer.list_topics(timeout=2)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        kafka_ok, kafka_error = False, str(exc)
    else:
        kafka_error = follower.error if follower is not None else "views not started"
    index = state.index.status()
    ready = kafka_ok and state.views.caught_up and index["titles"] > 0
    if not ready:
        response.status_code = 503
    return {"status": "ok" if ready else "degraded", "version": __version__,
            "uptimeS": round(time.time() - state.started, 1),
            # Which API process answered: with `omega-api --workers N` each has its own index.
            "process": os.getpid(),
            "kafka": {"reachable": kafka_ok, "error": kafka_error},
            "views": {"caughtUp": state.views.caught_up, "titles": len(state.views.titles),
                      "undecodableSkipped": state.views.skipped},
            "index": index,
            # optional: search never depends on it; down means catalog-only metadata
            "tmdb": state.tmdb.report()}
