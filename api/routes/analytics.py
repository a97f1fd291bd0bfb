"""Web analytics: POST /api/session issues a signed, expiring session; POST /api/analytics
takes a batch of the page's interactions under it, validated, to Kafka (202 once Kafka has
them). The session id on Kafka is the token's, never one a client chose."""

from __future__ import annotations

import time
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.limits import retry_after
from api.routes.deps import State
from api.sessions import SessionRefused
from omega.kafka.topics import WEB_INTERACTIONS

router = APIRouter(tags=["analytics"])


class Interaction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["SEARCH", "CLICK", "PLAY", "LIKE", "DISMISS"]
    query: str | None = Field(default=None, min_length=1, max_length=200)
    titleId: int | None = Field(default=None, ge=1, le=2**53)
    atMs: int | None = Field(default=None, ge=0, le=2**53)

    @model_validator(mode="after")
    def _fits_kind(self) -> Interaction:
        if self.kind == "SEARCH" and not self.query:
            raise ValueError("a SEARCH needs its query")
        if self.kind != "SEARCH" and self.titleId is None:
            raise ValueError(f"a {self.kind} needs the titleId acted on")
        return self


class AnalyticsBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: str = Field(min_length=1, max_length=512,
                         description="The token POST /api/session returned.")
    events: list[Interaction] = Field(min_length=1, max_length=100)


@router.post("/api/session", status_code=201, responses={
    429: {"description": "Too many sessions asked for from this address"}})
async def new_session(request: Request, state: State) -> dict[str, Any]:
    """A new analytics session: an opaque signed token, valid `ttlSeconds`. No account and
    no cookie; the page keeps it in memory and asks again when it expires. Sessions are
    issued at most `OMEGA_SESSION_ISSUE_PER_MIN` a minute per client address."""
    if state.session_rate is not None:
        address = request.client.host if request.client else "unknown"
        wait = state.session_rate.take(address)
        if wait:
            settings = state.settings
            raise HTTPException(
                429, f"too many analytics sessions asked for from this address: at most "
                     f"{settings.session_issue_per_min:g} a minute (bursts of "
                     f"{settings.session_issue_burst:g}); retry after {retry_after(wait)} s",
                headers={"Retry-After": retry_after(wait)})
    session = state.sessions.issue()
    return {"session": session.token, "expiresAtMs": session.expires_ms,
            "ttlSeconds": state.sessions.ttl_s}


@router.post("/api/analytics", status_code=202)
async def analytics(batch: AnalyticsBatch, state: State) -> dict[str, Any]:
    """Each event is written to the web-interactions topic, keyed by its session; the
    worker bounds each session's contribution and releases only DP counts."""
    try:
        session_id = state.sessions.verify(batch.session)
    except SessionRefused as refused:
        raise HTTPException(401, f"session: {refused}") from None
    now = int(time.time() * 1000)
    skew = int(state.settings.max_future_skew_s * 1000)
    for event in batch.events:
        if event.atMs is not None and not (state.limits.min_valid_time_ms <= event.atMs
                                           <= now + skew):
            raise HTTPException(422, f"atMs {event.atMs} is not a plausible time (now {now})")
    topic = state.settings.topic(WEB_INTERACTIONS)
    for event in batch.events:
        record = {"session_id": session_id, "kind": event.kind, "query": event.query,
                  "title_id": event.titleId, "at_ms": event.atMs or now}
        await state.writer.write(topic, session_id.encode(),
                                 state.codec.encode("omega.WebInteraction", record))
    return {"accepted": len(batch.events)}
