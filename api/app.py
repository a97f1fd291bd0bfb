"""The FastAPI application: state opened in the lifespan, one router per resource.

`create_app(settings)` is what uvicorn serves (`omega-api`) and what the tests drive.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future
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
from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app, multiprocess
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.limits import RateLimiter, retry_after
from api.privacy import accounting
from api.ranking import Prior, Ranker, TitleSearch, Weights
from api.security import SECURITY_HEADERS, KeyRing
from api.sessions import SessionSigner
from api.vectors import VectorReplica
from api.views import ViewFollower, Views
from api.writer import KafkaUnavailable, KafkaWriter
from omega import __version__
from omega.avro import AvroCodec, codec_for
from omega.encoder import TextEncoder, load_encoder
from omega.index import SEARCH_EF, Hit, TitleFilter, VectorIndex, open_index
from omega.keys import folder_secret
from omega.settings import Settings
from omega.tmdb import TmdbClient, TmdbStatus
from omega.validation import DeltaLimits

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


class BatchingEncoder:
    """Encodes texts from many request threads together: one thread runs the model on
    whatever is waiting (up to `max_batch`), so concurrent queries share an ONNX call.
    Measured on one core: 3.1 ms for one query alone, 1.3 ms each in a batch of 16."""

    def __init__(self, encoder: TextEncoder, max_batch: int = 32) -> None:
        self.encoder, self.max_batch = encoder, max_batch
        self.batches = 0
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="query-encoder", daemon=True)
        self._thread.start()

    def submit(self, text: str) -> Future[np.ndarray]:
        """Queue `text`; the future holds its vector once the batch it joined has run."""
        future: Future[np.ndarray] = Future()
        self._queue.put((text, future))
        return future

    def encode_one(self, text: str) -> np.ndarray:
        return self.submit(text).result()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.encoder.encode([text for text, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each waiting request gets the error
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for (_, future), vector in zip(batch, vectors, strict=True):
                    future.set_result(vector)
            self.batches += 1


class CachedEncoder:
    """The query encoder with an LRU cache in front of the batching one: the same query
    text is embedded once, different ones that arrive together are embedded together.
    `encode_async` waits on the event loop, so a search needs no worker thread."""

    def __init__(self, encoder: TextEncoder, size: int = 4096) -> None:
        self.encoder, self.size = encoder, size
        self.batcher = BatchingEncoder(encoder)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._cache.get(text)
            if vector is not None:
                self._cache.move_to_end(text)
            return vector

    def _keep(self, text: str, vector: np.ndarray) -> np.ndarray:
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([cached if (cached := self._cached(t)) is not None
                          else self._keep(t, self.batcher.encode_one(t)) for t in texts])

    async def encode_async(self, text: str) -> np.ndarray:
        cached = self._cached(text)
        if cached is not None:
            return cached
        return self._keep(text, await asyncio.wrap_future(self.batcher.submit(text)))


class ServerSearch:
    """TitleSearch over a Qdrant server collection (OMEGA_QDRANT_URL)."""

    def __init__(self, index: VectorIndex) -> None:
        self.index = index

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None) -> list[Hit]:
        exclude = exclude or set()
        hits = self.index.search(vector, limit + len(exclude), where, ef=SEARCH_EF)
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
    sessions: SessionSigner
    device_rate: RateLimiter | None = None
    session_rate: RateLimiter | None = None
    follower: ViewFollower | None = None
    tmdb: TmdbStatus = field(default_factory=lambda: TmdbStatus(None))
    started: float = field(default_factory=time.time)


def build_state(settings: Settings) -> ApiState:
    codec = codec_for(settings)
    if settings.qdrant_url:
        index: Any = ServerSearch(open_index(settings.data_dir, settings.qdrant_url,
                                             settings.index_quantization))
        replica = None
    else:
        replica = VectorReplica(replica_root(settings) / f"process-{os.getpid()}",
                                quantization=settings.index_quantization)
        index = replica
    views = Views(replica)
    encoder = CachedEncoder(load_encoder(settings.data_dir / "models", "fp32"))
    search: TitleSearch = index
    session_secret = (settings.session_secret
                      or folder_secret(settings.data_dir / "api", "session-secret"))
    state = ApiState(settings=settings, codec=codec, views=views, index=index, encoder=encoder,
                     ranker=Ranker(views, search, encoder, weights_of(settings),
                                   prior_of(settings), settings.max_pairs_per_device,
                                   settings.rank_known_votes),
                     writer=KafkaWriter(settings), keys=KeyRing(settings.sync_keys),
                     limits=DeltaLimits.from_settings(settings),
                     device_rate=device_limiter(settings),
                     session_rate=session_limiter(settings),
                     sessions=SessionSigner(session_secret, settings.session_ttl_s))
    accounting(settings, "device", "titles", "window", 1)  # dp-accounting's ~1 s import
    state.follower = ViewFollower(settings, codec, views)
    state.follower.start()
    if settings.tmdb_api_key:
        state.tmdb = TmdbStatus(TmdbClient(settings.tmdb_api_key, settings.tmdb_base_url, None))
        state.tmdb.start()
    return state


def weights_of(settings: Settings) -> Weights:
    return Weights(settings.rank_weight_similarity, settings.rank_weight_popularity,
                   settings.rank_weight_trending, settings.rank_genre_bonus,
                   settings.rank_weight_coview, settings.rank_weight_genre_overlap,
                   settings.rank_weight_popularity_like)


def prior_of(settings: Settings) -> Prior:
    return Prior(settings.prior_votes_ref, settings.prior_min_votes,
                 settings.prior_mean_rating, settings.prior_rating_share,
                 settings.rank_confidence_z, settings.prior_volume_power)


def replica_root(settings: Settings) -> Path:
    """Where this port's API processes keep their index replicas, one folder each."""
    return settings.data_dir / f"api-index-{settings.api_port}"


def device_limiter(settings: Settings) -> RateLimiter | None:
    if not settings.rate_limit_device_per_min:
        return None
    return RateLimiter(settings.rate_limit_device_per_min / 60, settings.rate_limit_device_burst)


def session_limiter(settings: Settings) -> RateLimiter | None:
    """Sessions issued per client address: whoever wants to push a query past the release
    floor with many sessions needs many addresses (the ledger bounds each session)."""
    if not settings.session_issue_per_min:
        return None
    return RateLimiter(settings.session_issue_per_min / 60, settings.session_issue_burst)


def close_state(state: ApiState) -> None:
    if state.follower is not None:
        state.follower.stop()
    state.tmdb.stop()
    state.writer.close()
    if isinstance(state.index, VectorReplica):
        state.index.close()


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
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several worker processes (omega-api --workers N): each writes its counts to the
        # shared folder and /metrics, whichever process answers, sums them all.
        scraped = CollectorRegistry()
        multiprocess.MultiProcessCollector(scraped)  # type: ignore[no-untyped-call]
        app.mount("/metrics", make_asgi_app(registry=scraped))
    else:
        app.mount("/metrics", make_asgi_app(registry=registry))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins.split(","),
                           allow_methods=["GET", "POST"], allow_headers=["*"])

    ip_rate = (RateLimiter(settings.rate_limit_ip_per_s, settings.rate_limit_ip_burst)
               if settings.rate_limit_ip_per_s else None)
    app.add_middleware(Guard, settings=settings, ip_rate=ip_rate, requests=requests,
                       latency=latency)

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
    @app.get("/discover", include_in_schema=False)
    @app.get("/for-you", include_in_schema=False)
    @app.get("/titles/{_title:path}", include_in_schema=False)
    async def page() -> FileResponse:
        """The page's views are deep links: each serves the page, which routes itself."""
        return FileResponse(STATIC / "index.html")

    return app
