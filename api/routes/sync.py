"""POST /v1/sync: a TV's delta in (≤ 1 KB, Avro or JSON, HMAC device token), patterns out.

The response (≤ OMEGA_MAX_PATTERN_BYTES, 5 KB) is what the TV caches: trending titles
today and the released watched-together neighbours of what it just watched. It is
built from DP releases only; nothing about other devices leaves in it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request, Response

from api.avrojson import Check, checker, json_schema
from api.limits import retry_after
from api.routes.deps import State
from api.security import TokenRefused, bearer
from api.state import ApiState
from omega.kafka.avro import AvroCodec, SchemaStore
from omega.kafka.topics import TV_DELTAS
from omega.settings import REPO_ROOT
from omega.validation import (
    MAX_APP_VERSION_CHARS,
    MAX_DEVICE_ID_CHARS,
    MAX_SECONDS_WATCHED,
    TV_DELTA_SCHEMA,
    DeltaRejected,
    check_delta,
    check_size,
    parse_delta,
)

router = APIRouter(tags=["sync"])
AVRO_TYPES = ("application/avro", "application/octet-stream", "avro/binary")
CHECKS: dict[bytes, Check] = {}  # by schema fingerprint: built once, used per JSON delta

SYNC_EXAMPLE = {"device_id": "tv-0001", "seq": 1, "sent_at_ms": 1764072000000,
                "titles": [{"title_id": 42, "seconds_watched": 1800, "completion": 0.5,
                            "rating": None}], "app_version": "5.2.0"}


def delta_json_schema() -> dict[str, Any]:
    """The JSON delta's schema: the TvDelta Avro contract's fields and ranges, narrowed by
    the fixed checks of omega/validation.py (the rest depend on settings and the clock)."""
    avro = SchemaStore().add_file(REPO_ROOT / "schemas" / "tv_delta.v1.avsc")
    schema = json_schema(avro.parsed)
    fields = schema["properties"]
    fields["device_id"] |= {"minLength": 1, "maxLength": MAX_DEVICE_ID_CHARS}
    fields["seq"]["minimum"] = 0
    fields["app_version"]["maxLength"] = MAX_APP_VERSION_CHARS
    title = fields["titles"]["items"]["properties"]
    title["title_id"]["minimum"] = 1
    title["seconds_watched"] |= {"minimum": 0, "maximum": MAX_SECONDS_WATCHED}
    title["completion"] |= {"minimum": 0, "maximum": 1}
    title["rating"]["anyOf"][1] |= {"minimum": 0, "maximum": 5}
    schema["description"] += (
        " device_id must be X-Device-Id; sent_at_ms at most OMEGA_MAX_FUTURE_SKEW_S ahead; "
        "at most OMEGA_MAX_TITLES_PER_DELTA titles, each a catalog id")
    return schema


def pattern(state: ApiState, watched: list[int]) -> dict[str, Any]:
    _, span = state.views.totals("day")
    # cached per release, not sorted per sync; copied because fit() may trim it
    trending = list(state.ranker.signals().top_day)
    neighbours = {str(t): [n for n, _ in state.views.watched_with(t, 5)] for t in watched}
    return {"trending": trending, "watchedTogether": neighbours,
            "windowEndMs": span["to"], "nextSyncS": int(state.settings.window_seconds)}


def json_delta(body: bytes, codec: AvroCodec) -> tuple[dict[str, Any], bytes]:
    """A JSON delta, checked against the schema's types, and its Avro bytes; ValueError
    naming the field that does not fit (the Guard has already bounded the body's size and
    nesting)."""
    record = json.loads(body)
    schema = codec.store.get(TV_DELTA_SCHEMA)
    check = CHECKS.get(schema.fingerprint)
    if check is None:
        check = CHECKS[schema.fingerprint] = checker(schema.parsed)
    check(record)  # fastavro would overflow, wrap or truncate what this refuses
    return record, codec.encode(TV_DELTA_SCHEMA, record)


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
        "application/json": {"schema": delta_json_schema(), "example": SYNC_EXAMPLE},
        "application/avro": {"schema": {"type": "string", "format": "binary"}}}}},
    responses={200: {"description": "Accepted; the body is the pattern download"},
               400: {"description": "The delta is malformed; the message says how"},
               401: {"description": "Missing, wrong or expired device token; the message "
                                    "says which"},
               403: {"description": "The delta's device_id is not the token's device"},
               413: {"description": "The delta is over OMEGA_MAX_DELTA_BYTES (1 KB), or the "
                                    "body over OMEGA_MAX_REQUEST_BYTES"},
               415: {"description": "Content-Type is neither JSON nor Avro"},
               422: {"description": "X-Device-Id is missing or over 64 characters"},
               429: {"description": "Too many syncs from this device or address"},
               503: {"description": "Kafka did not take the delta, or the API is still "
                                    "reading the catalog; retry after Retry-After"}})
async def sync(request: Request, state: State,
               x_device_id: str = Header(min_length=1, max_length=64),
               authorization: str = Header(default="")) -> Response:
    """Send `X-Device-Id` and `Authorization: Bearer <device token>` (`omega-api token
    DEVICE` prints one; it expires after OMEGA_SYNC_TOKEN_TTL_S). The delta's device_id
    must be that device."""
    try:
        state.keys.verify(x_device_id, bearer(authorization))
    except TokenRefused as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    if state.device_rate is not None:  # after the token: no one can spend another's budget
        wait = state.device_rate.take(x_device_id)
        if wait:
            limit = state.settings.rate_limit_device_per_min
            raise HTTPException(429, f"this device synced too often: at most {limit:g} per "
                                     f"minute; retry after {retry_after(wait)} s",
                                headers={"Retry-After": retry_after(wait)})
    if not state.views.caught_up:  # title ids cannot be checked yet: the TV retries
        raise HTTPException(503, "the API is still reading the catalog, so it cannot check "
                                 "title ids yet; retry after 5 s", headers={"Retry-After": "5"})
    body = await request.body()
    if len(body) > state.limits.max_bytes:
        raise HTTPException(413, f"delta is {len(body)} bytes; at most {state.limits.max_bytes}")
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    now = int(time.time() * 1000)
    limits = state.views.delta_limits(state.limits)
    record: dict[str, Any] | None = None
    if content_type == "application/json":
        try:
            record, data = json_delta(body, state.codec)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise HTTPException(400, f"delta is not a valid TvDelta: {exc}") from exc
    elif content_type in AVRO_TYPES:
        data = body
    else:
        raise HTTPException(415, f"Content-Type {content_type or '(none)'} not accepted; "
                                 "use application/json or application/avro")
    try:  # decoded once here (Avro) or not at all (JSON, checked as it was parsed)
        if record is None:
            delta = parse_delta(data, state.codec, limits, now)
        else:
            check_size(data, limits.max_bytes, "delta")
            delta = check_delta(record, limits, now)
        state.views.check_titles(delta.titles)  # retired and never-issued ids
    except DeltaRejected as exc:
        raise HTTPException(400, f"{exc.code}: {exc}") from exc
    if delta.device_id != x_device_id:
        raise HTTPException(403, "delta.device_id is not the device of this token")
    await state.writer.write(state.settings.topic(TV_DELTAS), delta.device_id.encode(), data)
    watched = [t.title_id for t in delta.titles]
    return Response(fit(pattern(state, watched), state.settings.max_pattern_bytes),
                    media_type="application/json")
