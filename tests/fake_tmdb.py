"""A local stand-in for TMDB's v3 API (TMDB cannot be reached from here: the one fake the
project allows). It answers in TMDB's documented formats: /configuration,
/search/movie, /movie/{id}?append_to_response=credits,keywords; 401 for a wrong key
(status_code 7), 429 with Retry-After when told to (status_code 25), 503 when down."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

KEY = "test-tmdb-key"


def _poster() -> bytes:
    """A small real JPEG, as TMDB's image server would send (Pillow comes with matplotlib)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (92, 138), (40, 60, 90)).save(out, "JPEG")
    return out.getvalue()


POSTER = _poster()

MOVIES = {
    862: {"id": 862, "title": "Toy Story", "release_date": "1995-10-30",
          "overview": "Led by Woody, Andy's toys live happily in his room until Buzz "
                      "Lightyear arrives.",
          "poster_path": "/uXDfjJbdP4ijW5hWSBrPrlKpxab.jpg",
          "credits": {"cast": [{"name": "Tom Hanks", "character": "Woody", "order": 0},
                               {"name": "Tim Allen", "character": "Buzz", "order": 1}],
                      "crew": [{"name": "John Lasseter", "job": "Director",
                                "department": "Directing"},
                               {"name": "Pete Docter", "job": "Screenplay",
                                "department": "Writing"}]},
          "keywords": {"keywords": [{"id": 931, "name": "jealousy"},
                                    {"id": 4290, "name": "toy"}]}},
}


class FakeTmdb:
    def __init__(self) -> None:
        self.requests: list[str] = []
        self.rate_limited = 0  # answer this many requests with 429 first
        self.down = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(url.path)
                if url.path.startswith("/t/p/") and not fake.down:  # images need no key
                    return self._send_bytes(200, POSTER, "image/jpeg")
                if fake.down:
                    return self._send(503, {"status_code": 43, "success": False,
                                            "status_message": "Service unavailable."})
                if query.get("api_key") != KEY:
                    return self._send(401, {"status_code": 7, "success": False,
                                            "status_message": "Invalid API key: You must be "
                                                              "granted a valid key."})
                if fake.rate_limited:
                    fake.rate_limited -= 1
                    return self._send(429, {"status_code": 25, "success": False,
                                            "status_message": "Your request count is over "
                                                              "the allowed limit of (40)."},
                                      {"Retry-After": "0"})
                if url.path == "/3/configuration":
                    return self._send(200, {"images": {
                        "secure_base_url": "https://image.tmdb.org/t/p/",
                        "poster_sizes": ["w92", "w185", "w500", "original"]}})
                if url.path == "/3/search/movie":
                    hits = [{k: m[k] for k in ("id", "title", "release_date", "overview",
                                               "poster_path")}
                            for m in MOVIES.values()
                            if m["title"].casefold() == query.get("query", "").casefold()]
                    return self._send(200, {"page": 1, "results": hits,
                                            "total_pages": 1, "total_results": len(hits)})
                if url.path.startswith("/3/movie/"):
                    movie = MOVIES.get(int(url.path.rsplit("/", 1)[1]))
                    if movie is None:
                        return self._send(404, {"status_code": 34, "success": False,
                                                "status_message": "The resource you requested "
                                                                  "could not be found."})
                    return self._send(200, movie)
                return self._send(404, {"status_code": 34, "success": False,
                                        "status_message": "not found"})

            def _send(self, status: int, body: dict[str, Any],
                      headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(body).encode(),
                                 "application/json;charset=utf-8", headers)

            def _send_bytes(self, status: int, data: bytes, content_type: str,
                            headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/3"
        self.image_url = f"http://127.0.0.1:{self.server.server_address[1]}/t/p/w342"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
