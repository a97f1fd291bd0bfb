"""POST /v1/sync: a TV's delta in (≤ 1 KB, Avro or JSON, HMAC device token), patterns out.

The response (≤ OMEGA_MAX_PATTERN_BYTES, 5 KB) is what the TV caches: trending titles
today and the released watched-together neighbours of what it just watched. It is
built from DP releases only; nothing about other devices leaves in it.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, Response

from api.limits import retry_after
from api.routes.deps import State
from api.state import ApiState
from omega.avro import AvroDecodeError
from omega.topics import TV_DELTAS
from omega.validation import DeltaRejected, parse_delta

router = APIRouter(tags=["sync"])
AVRO_TYPES = ("application/avro", "application/octet-stream", "avro/binary")

SYNC_EXAMPLE = {"device_id": "tv-0001", "seq": 1, "sent_at_ms": 1764072000000,
                "titles": [{"title_id": 42, "seconds_watched": 1800, "completion": 0.5,
                            "rating": None}], "app_version": "5.2.0"}


def pattern(state: ApiState, watched: list[int]) -> dict[str, Any]:
    _, span = state.views.totals("day")
    # cached per release, not sorted per sync; copied because fit() may trim it
    trending = list(state.ranker.signals().top_day)
    neighbours = {str(t): [n for n, _ in state.views.watched_with(t, 5)] for t in watched}
    return {"trending": trending, "watchedTogether": neighbours,
            "windowEndMs": span["to"], "nextSyncS": int(state.settings.window_seconds)}


def fit(body: dict[str, Any], max_bytes: int) -> bytes:
    """Compact JSON within `max_bytes`, dropping the least important parts first."""
    while True:
        data = json.dumps(body, separators=(",", ":")).encode()
        if len(data) <= max_bytes:
            return data
        if body["watchedTogether"]:
            body["watchedTogether"].popitem()
        elif body["trending"]:
            body["trending"].pop()
        else:
            return data


@router.post("/v1/sync", openapi_extra={
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "object"}, "example": SYNC_EXAMPLE},
        "application/avro": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={200: {"description": "Accepted; the body is the pattern download"},
               400: {"description": "The delta is malformed; the message says how"},
               401: {"description": "Missing or wrong device token"},
               429: {"description": "Too many syncs from this device or address"},
               503: {"description": "Kafka did not take the delta; retry after Retry-After"}})
async def sync(request: Request, state: State,
               x_device_id: str = Header(min_length=1, max_length=64),
               authorization: str = Header(default="")) -> Response:
    """Send `Authorization: Bearer <key id>.<hex HMAC-SHA256(secret, device id)>` and
    `X-Device-Id`. The delta's device_id must be that device."""
    token = authorization.removeprefix("Bearer ").strip()
    if not token or not state.keys.verify(x_device_id, token):
        raise HTTPException(401, "missing or invalid device token for this X-Device-Id",
                            headers={"WWW-Authenticate": "Bearer"})
    if state.device_rate is not None:  # after the token: no one can spend another's budget
        wait = state.device_rate.take(x_device_id)
        if wait:
            limit = state.settings.rate_limit_device_per_min
            raise HTTPException(429, f"this device synced too often: at most {limit:g} per "
                                     f"minute; retry after {retry_after(wait)} s",
                                headers={"Retry-After": retry_after(wait)})
    body = await request.body()
    if len(body) > state.limits.max_bytes:
        raise HTTPException(413, f"delta is {len(body)} bytes; at most {state.limits.max_bytes}")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    now = int(time.time() * 1000)
    if content_type == "application/json":
        try:
            record = json.loads(body)
            if not isinstance(record, dict):
                raise ValueError("the body must be a JSON object")
            data = state.codec.encode("omega.TvDelta", record)
        except (ValueError, TypeError, KeyError, AvroDecodeError) as exc:
            raise HTTPException(400, f"delta is not a valid TvDelta: {exc}") from exc
    elif content_type in AVRO_TYPES:
        data = body
    else:
        raise HTTPException(415, f"Content-Type {content_type or '(none)'} not accepted; "
                                 "use application/json or application/avro")
    limits = state.limits
    if state.views.max_title_id > limits.title_universe_size:  # the catalog's ids, once read
        limits = replace(limits, title_universe_size=state.views.max_title_id)
    try:
        delta = parse_delta(data, state.codec, limits, now)
    except DeltaRejected as exc:
        raise HTTPException(400, f"{exc.code}: {exc}") from exc
    if delta.device_id != x_device_id:
        raise HTTPException(403, "delta.device_id is not the device of this token")
    await state.writer.write(state.settings.topic(TV_DELTAS), delta.device_id.encode(), data)
    watched = [t.title_id for t in delta.titles]
    return Response(fit(pattern(state, watched), state.settings.max_pattern_bytes),
                    media_type="application/json")
