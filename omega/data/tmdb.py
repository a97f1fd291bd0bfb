"""TMDB's v3 API, the seed product's metadata source: an optional adapter.

Only with `OMEGA_TMDB_API_KEY` set does anything call out. Requests are paced under
TMDB's rate limit, retried on 429 (after its Retry-After), 5xx and connection errors
with backoff, and cached on disk (one JSON file per request, the key never in it), so a
second catalog load asks TMDB nothing. When TMDB stays down, `TmdbUnavailable` says so
and callers go on with the catalog alone. httpx rather than tmdbsimple: tmdbsimple
(requests) has neither retries, pacing nor a cache, which are the parts that matter here.

Response formats are TMDB's documented ones (developer.themoviedb.org/reference):
`/search/movie`, `/movie/{id}?append_to_response=credits,keywords`, `/configuration`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger(__name__)


class TmdbUnavailable(RuntimeError):
    """TMDB did not answer usefully after every retry (down, rate-limited, bad key)."""


class TmdbClient:
    def __init__(self, api_key: str, base_url: str, cache_dir: Path | None,
                 rate_per_s: float = 40.0, retries: int = 4, timeout_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.api_key, self.base_url = api_key, base_url.rstrip("/")
        self.cache_dir, self.rate_per_s, self.retries = cache_dir, rate_per_s, retries
        self.sleep = sleep
        self.http = httpx.Client(timeout=timeout_s)
        self.requests = 0  # calls that went out (cache hits are not counted)
        self._next_at = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def _cache_path(self, path: str, params: dict[str, Any]) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([path, sorted(params.items())])
        return self.cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def _pace(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next_at - now
            self._next_at = max(now, self._next_at) + 1 / self.rate_per_s
        if wait > 0:
            self.sleep(wait)

    def get(self, path: str, **params: Any) -> dict[str, Any] | None:
        """GET `path` (e.g. '/movie/603'); None for a 404. Cached, paced, retried."""
        cached = self._cache_path(path, params)
        if cached is not None and cached.exists():
            body: dict[str, Any] | None = json.loads(cached.read_text())
            return body
        problem = "no attempt"
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)))
            self._pace()
            self.requests += 1
            try:
                response = self.http.get(f"{self.base_url}{path}",
                                         params={**params, "api_key": self.api_key})
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if response.status_code == 429:
                problem = f"rate-limited (429): {_message(response)}"
                self.sleep(float(response.headers.get("Retry-After", "1") or 1))
                continue
            if response.status_code >= 500:
                problem = f"server error {response.status_code}: {_message(response)}"
                continue
            if response.status_code == 401:
                raise TmdbUnavailable(f"TMDB refused the key: {_message(response)}")
            if response.status_code == 404:
                body = None
            elif response.status_code == 200:
                body = response.json()
            else:
                raise TmdbUnavailable(f"TMDB answered {response.status_code} to {path}: "
                                      f"{_message(response)}")
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(body))
            return body
        raise TmdbUnavailable(f"TMDB {path}: {problem} (after {self.retries + 1} tries)")

    def find_movie(self, title: str, year: int | None, normalize: Callable[[str], str]
                   ) -> int | None:
        """TMDB's id of the film called `title` released in `year` (or one year off)."""
        params: dict[str, Any] = {"query": title, "include_adult": "false"}
        if year is not None:
            params["year"] = year
        body = self.get("/search/movie", **params) or {}
        want = normalize(title)
        for result in body.get("results", []):
            released = str(result.get("release_date") or "")[:4]
            same_year = year is None or (released.isdigit() and abs(int(released) - year) <= 1)
            if normalize(str(result.get("title", ""))) == want and same_year:
                return int(result["id"])
        return None

    def details(self, movie_id: int) -> dict[str, Any] | None:
        return self.get(f"/movie/{movie_id}", append_to_response="credits,keywords")

    def reachable(self) -> str | None:
        """None when TMDB answers /configuration, else why not (one try, no cache)."""
        try:
            response = self.http.get(f"{self.base_url}/configuration",
                                     params={"api_key": self.api_key})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if response.status_code != 200:
            return f"{response.status_code}: {_message(response)}"
        return None


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("status_message", response.text[:200]))
    except ValueError:
        return response.text[:200]


def enrichment(details: dict[str, Any], cast_size: int = 5) -> dict[str, Any]:
    """Catalog fields from a `/movie/{id}` body with credits and keywords appended."""
    credits = details.get("credits") or {}
    cast = sorted(credits.get("cast") or [], key=lambda c: c.get("order", 999))
    directors = [c["name"] for c in credits.get("crew") or () if c.get("job") == "Director"]
    keywords = (details.get("keywords") or {}).get("keywords") or []
    return {"overview": details.get("overview") or None,
            "cast": [c["name"] for c in cast[:cast_size] if c.get("name")],
            "director": directors[0] if directors else None,
            "keywords": [k["name"] for k in keywords if k.get("name")][:10],
            "poster_path": details.get("poster_path") or None}


class TmdbStatus:
    """What the API's health endpoint says about TMDB: checked in the background every
    `every_s`, so a health check never waits on TMDB."""

    def __init__(self, client: TmdbClient | None, every_s: float = 60.0) -> None:
        self.client, self.every_s = client, every_s
        self.error: str | None = None
        self.checked_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.client is None:
            return
        self._thread = threading.Thread(target=self._run, name="tmdb-status", daemon=True)
        self._thread.start()

    def check(self) -> None:
        assert self.client is not None
        error = self.client.reachable()
        if error != self.error and error is not None:
            log.warning("TMDB unreachable (%s): search goes on with the catalog alone", error)
        self.error, self.checked_at = error, time.time()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._stop.wait(self.every_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def report(self) -> dict[str, Any]:
        if self.client is None:
            return {"configured": False}
        return {"configured": True, "reachable": self.checked_at is not None and not self.error,
                "error": self.error, "checkedAt": self.checked_at}
