"""Every request's guard: per-address rate limit, body size limit, /metrics access,
Prometheus metrics and security headers, as plain ASGI."""

from __future__ import annotations

import hmac
import ipaddress
import time

from fastapi import Response
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import RateLimiter, retry_after
from api.security import SECURITY_HEADERS
from omega.settings import Settings

UNLIMITED_PATHS = ("/api/health", "/metrics")  # load balancers and scrapers


SECURITY_RAW = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class Guard:
    """Every request: per-address rate limit (429), body size limit (413), Prometheus
    metrics, security headers. Plain ASGI, because Starlette's BaseHTTPMiddleware cost
    about a fifth of a /v1/sync request's CPU (py-spy, bench/api.py's sync load)."""

    def __init__(self, app: ASGIApp, settings: Settings, ip_rate: RateLimiter | None,
                 requests: Counter, latency: Histogram) -> None:
        self.app, self.settings, self.ip_rate = app, settings, ip_rate
        self.requests, self.latency = requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_RAW]}
            await send(message)

        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            name = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(name, str(status)).inc()
            self.latency.labels(name).observe(time.perf_counter() - started)

    def _refusal(self, scope: Scope) -> Response | None:
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
        length = Headers(scope=scope).get("content-length")
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


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status, headers=headers)
