"""Every request's guard: per-address rate limit, body size and JSON nesting limits
(counted as the body arrives, chunked or not), /metrics access, Prometheus metrics,
security headers and a JSON 500 for any unexpected exception, as plain ASGI."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Mapping

from fastapi import Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import MAX_JSON_DEPTH, JsonDepth, RateLimiter, retry_after
from api.security import SECURITY_HEADERS
from omega.settings import Settings

UNLIMITED_PATHS = ("/api/health", "/metrics")  # load balancers and scrapers


SECURITY_RAW = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
log = logging.getLogger(__name__)


class BodyRefused(HTTPException):
    """A body refused as it arrives. An HTTPException, so that FastAPI's body parsing
    passes it on to the app's handler rather than answering its own 400."""


class Guard:
    """Every request: per-address rate limit (429), body size limit (413), JSON nesting
    limit (400), Prometheus metrics, security headers, and a logged JSON 500 for a bug.
    It is the outermost middleware of ours: Starlette's ServerErrorMiddleware, outside
    it, would answer plain text without the security headers. Plain ASGI, because
    Starlette's BaseHTTPMiddleware cost about a fifth of a /v1/sync request's CPU
    (py-spy, bench/api.py's sync load)."""

    def __init__(self, app: ASGIApp, settings: Settings, ip_rate: RateLimiter | None,
                 requests: Counter, latency: Histogram) -> None:
        self.app, self.settings, self.ip_rate = app, settings, ip_rate
        self.requests, self.latency = requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0  # until the response starts

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": with_security(message.get("headers", []))}
            await send(message)

        try:
            headers = Headers(scope=scope)
            refusal = self._refusal(scope, headers)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
            else:
                await self.app(scope, self._metered(headers, receive), send_with_headers)
        except ClientDisconnect:
            status = status or 499  # the client left mid-body: no one to answer, nothing wrong
        except Exception as exc:
            if status:  # the response has started: nothing else can be said; uvicorn logs it
                raise
            await failure(exc, scope)(scope, receive, send_with_headers)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(name, str(status or 500)).inc()
            self.latency.labels(name).observe(time.perf_counter() - started)

    def _metered(self, headers: Headers, receive: Receive) -> Receive:
        """`receive`, counting the body's bytes as they arrive (chunked or not) and
        following its JSON nesting: refuses at the limit, so no more is ever buffered."""
        limit = self.settings.max_request_bytes
        depth = JsonDepth() if is_json(headers.get("content-type", "")) else None
        received = 0

        async def metered() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                received += len(body)
                if received > limit:
                    raise BodyRefused(413, f"request body is over {limit} bytes; send at most "
                                           f"{limit} (OMEGA_MAX_REQUEST_BYTES)")
                if depth is not None and not depth.feed(body, message.get("more_body", False)):
                    raise BodyRefused(400, f"request body nests JSON arrays/objects more than "
                                           f"{MAX_JSON_DEPTH} deep; at most {MAX_JSON_DEPTH}")
            return message

        return metered

    def _refusal(self, scope: Scope, headers: Headers) -> Response | None:
        settings = self.settings
        if scope["path"].startswith("/metrics"):
            return self._metrics_refusal(scope)
        if self.ip_rate is not None and scope["path"] not in UNLIMITED_PATHS:
            client = scope.get("client")
            wait = self.ip_rate.take(client[0] if client else "unknown")
            if wait:
                return problem(
                    429, f"too many requests from this address: at most "
                         f"{settings.rate_limit_ip_per_s:g}/s (bursts of "
                         f"{settings.rate_limit_ip_burst:g}); retry after {retry_after(wait)} s",
                    {"Retry-After": retry_after(wait)})
        length = headers.get("content-length")
        if length is not None and (not length.isdigit()
                                   or int(length) > settings.max_request_bytes):
            return problem(
                413, f"request body is {length} bytes; at most {settings.max_request_bytes}")
        return None

    def _metrics_refusal(self, scope: Scope) -> Response | None:
        """/metrics: a bearer token when OMEGA_METRICS_TOKEN is set, else loopback only."""
        token = self.settings.metrics_token
        if token:
            given = Headers(scope=scope).get("authorization", "")
            if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return None
            return problem(401, "/metrics needs Authorization: Bearer <OMEGA_METRICS_TOKEN>",
                           {"WWW-Authenticate": "Bearer"})
        client = scope.get("client")
        if client and is_loopback(client[0]):
            return None
        return problem(403, "/metrics answers this host only; set OMEGA_METRICS_TOKEN to "
                            "scrape it from elsewhere with a bearer token")


def failure(exc: Exception, scope: Scope) -> Response:
    """The answer to an exception no handler took: a body refused as it arrived, or a bug
    (its traceback logged here, once)."""
    if isinstance(exc, BodyRefused):
        return problem(exc.status_code, exc.detail, exc.headers)
    log.error("%s %s failed", scope.get("method"), scope.get("path"), exc_info=exc)
    return problem(500, "the server failed to answer this request; the error is logged "
                        "there. Retry later, and report it if it persists")


def with_security(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers, then the security headers it did not set itself: the cover
    art sends a stricter CSP than the page's, and must not carry two."""
    own = {name.lower() for name, _ in headers}
    return [*headers, *(h for h in SECURITY_RAW if h[0] not in own)]


def is_json(content_type: str) -> bool:
    """FastAPI's rule for parsing a body as JSON: application/json or application/*+json."""
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/")
                                           and media.endswith("+json"))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problem(status: int, message: str,
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status, headers=headers)
