"""The FastAPI application: state opened in the lifespan, one router per resource.

`create_app(settings)` is what uvicorn serves (`omega-api`) and what the tests drive.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import RateLimiter, retry_after
from api.ranking import Ranker, TitleSearch, Weights
from api.security import SECURITY_HEADERS, KeyRing
from api.vectors import VectorReplica
from api.views import ViewFollower, Views
from api.writer import KafkaUnavailable, KafkaWriter
from omega import __version__
from omega.avro import AvroCodec, codec_for
from omega.encoder import TextEncoder, load_encoder
from omega.index import Hit, TitleFilter, VectorIndex, open_index
from omega.settings import Settings
from omega.validation import DeltaLimits

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class CachedEncoder:
    """The query encoder with an LRU cache: the same query text is embedded once."""

    def __init__(self, encoder: TextEncoder, size: int = 4096) -> None:
        self.encoder = encoder
        self._one = functools.lru_cache(maxsize=size)(self._encode_one)

    def _encode_one(self, text: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.encode([text])[0]
        return vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts])


class ServerSearch:
    """TitleSearch over a Qdrant server collection (OMEGA_QDRANT_URL)."""

    def __init__(self, index: VectorIndex) -> None:
        self.index = index

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None) -> list[Hit]:
        exclude = exclude or set()
        hits = self.index.search(vector, limit + len(exclude), where, ef=128)
        return [h for h in hits if h.title_id not in exclude][:limit]

    def vector(self, title_id: int) -> np.ndarray | None:
        return self.index.vectors([title_id]).get(title_id)

    def count(self) -> int:
        return self.index.count()

    def status(self) -> dict[str, Any]:
        return {"titles": self.index.count(), "backend": "qdrant-server"}


@dataclass
class ApiState:
    settings: Settings
    codec: AvroCodec
    views: Views
    index: Any  # VectorReplica or ServerSearch: TitleSearch + count() + status()
    encoder: CachedEncoder
    ranker: Ranker
    writer: KafkaWriter
    keys: KeyRing
    limits: DeltaLimits
    device_rate: RateLimiter | None = None
    follower: ViewFollower | None = None
    started: float = field(default_factory=time.time)


def build_state(settings: Settings) -> ApiState:
    codec = codec_for(settings)
    if settings.qdrant_url:
        index: Any = ServerSearch(open_index(settings.data_dir, settings.qdrant_url))
        replica = None
    else:
        replica = VectorReplica(settings.data_dir / f"api-index-{settings.api_port}")
        index = replica
    views = Views(replica)
    encoder = CachedEncoder(load_encoder(settings.data_dir / "models", "fp32"))
    weights = Weights(settings.rank_weight_similarity, settings.rank_weight_popularity,
                      settings.rank_weight_trending, settings.rank_genre_bonus)
    search: TitleSearch = index
    state = ApiState(settings=settings, codec=codec, views=views, index=index, encoder=encoder,
                     ranker=Ranker(views, search, encoder, weights),
                     writer=KafkaWriter(settings), keys=KeyRing(settings.sync_keys),
                     limits=DeltaLimits.from_settings(settings),
                     device_rate=device_limiter(settings))
    state.follower = ViewFollower(settings, codec, views)
    state.follower.start()
    return state


def device_limiter(settings: Settings) -> RateLimiter | None:
    if not settings.rate_limit_device_per_min:
        return None
    return RateLimiter(settings.rate_limit_device_per_min / 60, settings.rate_limit_device_burst)


def close_state(state: ApiState) -> None:
    if state.follower is not None:
        state.follower.stop()
    state.writer.close()
    if isinstance(state.index, VectorReplica):
        state.index.close()


UNLIMITED_PATHS = ("/api/health", "/metrics")  # load balancers and scrapers


def problem(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status, headers=headers)


def create_app(settings: Settings, state: ApiState | None = None) -> FastAPI:
    from api.routes import analytics, discover, health, recommendations, search, sync, titles

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
                  description="Natural-language search, discovery, recommendations and TV sync, "
                              "answered from DP releases and the public catalog.")
    registry = CollectorRegistry()
    requests = Counter("omega_api_requests_total", "Requests by route and status",
                       ["route", "status"], registry=registry)
    latency = Histogram("omega_api_request_seconds", "Request latency by route", ["route"],
                        registry=registry,
                        buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
    app.mount("/metrics", make_asgi_app(registry=registry))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins.split(","),
                           allow_methods=["GET", "POST"], allow_headers=["*"])

    ip_rate = (RateLimiter(settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst)
               if settings.rate_limit_ip_per_s else None)

    @app.middleware("http")
    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        length = request.headers.get("content-length")
        address = request.client.host if request.client else "unknown"
        wait = (ip_rate.take(address) if ip_rate is not None
                and request.url.path not in UNLIMITED_PATHS else 0.0)
        if wait:
            response: Response = problem(
                429, f"too many requests from this address: at most "
                     f"{settings.rate_limit_ip_per_s:g}/s (bursts of "
                     f"{settings.rate_limit_ip_burst:g}); retry after {retry_after(wait)} s",
                {"Retry-After": retry_after(wait)})
        elif length is not None and (not length.isdigit()
                                     or int(length) > settings.max_request_bytes):
            response = problem(
                413, f"request body is {length} bytes; at most {settings.max_request_bytes}")
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        requests.labels(name, str(response.status_code)).inc()
        latency.labels(name).observe(time.perf_counter() - started)
        response.headers.update(SECURITY_HEADERS)
        return response

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

    for module in (search, discover, titles, recommendations, analytics, sync, health):
        app.include_router(module.router)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
