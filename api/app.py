"""The FastAPI application, assembled: state opened in the lifespan (api/state.py), the
request guard (api/middleware.py), error handlers, one router per resource, the page.

`create_app(settings)` is what uvicorn serves (`omega-api`) and what the tests drive.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app, multiprocess
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.docs import add_docs
from api.limits import RateLimiter
from api.middleware import Guard, problem
from api.openapi import document_errors
from api.routes import analytics, discover, health, recommendations, search, sync, titles
from api.state import ApiState, build_state, close_state
from api.writer import KafkaUnavailable
from omega import __version__
from omega.settings import Settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings, state: ApiState | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = state is None
        app.state.omega = build_state(settings) if own else state
        try:
            yield
        finally:
            if own:
                close_state(app.state.omega)

    app = FastAPI(title="Omega API", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # CDN pages the CSP blocks: api/docs.py
                  description="Natural-language search, discovery, recommendations and TV sync, "
                              "answered from DP releases and the public catalog.")
    requests, latency = add_metrics(app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins.split(","),
                           allow_methods=["GET", "POST"], allow_headers=["*"])

    ip_rate = (RateLimiter(settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst)
               if settings.rate_limit_ip_per_s else None)
    app.add_middleware(Guard, settings=settings, ip_rate=ip_rate, requests=requests,
                       latency=latency)

    add_error_handlers(app)
    for module in (search, discover, titles, recommendations, analytics, sync, health):
        app.include_router(module.router)
    document_errors(app)  # the Guard's refusals and each handler's errors, in /openapi.json

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    add_docs(app)

    @app.get("/", include_in_schema=False)
    @app.get("/discover", include_in_schema=False)
    @app.get("/for-you", include_in_schema=False)
    @app.get("/titles/{_title:path}", include_in_schema=False)
    async def page() -> FileResponse:
        """The page's views are deep links: each serves the page, which routes itself."""
        return FileResponse(STATIC / "index.html")

    return app


def add_metrics(app: FastAPI) -> tuple[Counter, Histogram]:
    """/metrics, and the request counter and latency histogram the Guard fills."""
    registry = CollectorRegistry()
    requests = Counter("omega_api_requests_total", "Requests by route and status",
                       ["route", "status"], registry=registry)
    latency = Histogram("omega_api_request_seconds", "Request latency by route", ["route"],
                        registry=registry,
                        buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several worker processes (omega-api --workers N): each writes its counts to the
        # shared folder and /metrics, whichever process answers, sums them all.
        scraped = CollectorRegistry()
        multiprocess.MultiProcessCollector(scraped)  # type: ignore[no-untyped-call]
        app.mount("/metrics", make_asgi_app(registry=scraped))
    else:
        app.mount("/metrics", make_asgi_app(registry=registry))
    return requests, latency


def add_error_handlers(app: FastAPI) -> None:
    """Every error as a problem body that says what is wrong: validation (422), HTTP
    errors, and Kafka out of reach (503 with Retry-After)."""
    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            details.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return JSONResponse({"error": "; ".join(details), "status": 422,
                             "details": [str(d) for d in details]}, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(KafkaUnavailable)
    async def kafka_down(_request: Request, exc: KafkaUnavailable) -> JSONResponse:
        return problem(503, f"not accepted: {exc}; retry later", {"Retry-After": "5"})
