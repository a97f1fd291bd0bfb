"""The fleet's TVs that sync as real ones do: `POST /v1/sync` with their own device token,
so `make run` drives the product's ingestion path (validation, token, rate limits, the
API's Kafka writer), not only Kafka.

Each delta is stamped when it is sent, as a TV stamps it. A 429 or 503 is retried after
its Retry-After, as a TV retries; any other refusal is counted with its reason.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter
from typing import Any

import httpx

from omega.device_tokens import KeyRing

ATTEMPTS = 5


class ApiSync:
    """Sends deltas to the API from `workers` threads; `close` waits for what is queued."""

    def __init__(self, api: str, keys: KeyRing, workers: int = 4,
                 ready_timeout_s: float = 600.0) -> None:
        self.api, self.keys, self.ready_timeout_s = api, keys, ready_timeout_s
        self.outcomes: Counter[str] = Counter()
        self.first_refusal: str | None = None
        self._tokens: dict[str, str] = {}
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"tv-sync-{i}", daemon=True)
                         for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, record: dict[str, Any]) -> None:
        self._queue.put(record)

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def line(self) -> str:
        refusal = f" (first refusal: {self.first_refusal})" if self.first_refusal else ""
        counts = ", ".join(f"{n:,} {what}" for what, n in sorted(self.outcomes.items()))
        return f"via {self.api}/v1/sync: {counts or 'nothing sent'}{refusal}"

    def _run(self) -> None:
        with httpx.Client(base_url=self.api, timeout=10) as client:
            self._wait_ready(client)
            while (record := self._queue.get()) is not None:
                self._count(self._send(client, record))

    def _wait_ready(self, client: httpx.Client) -> None:
        """Until the API is ready (health `ok`; it starts with the rest of `make run`): a
        sync before it has read the catalog would get 503 and be retried anyway."""
        deadline = time.monotonic() + self.ready_timeout_s
        while not self._ready.is_set() and time.monotonic() < deadline:
            try:
                if client.get("/api/health").status_code == 200:
                    self._ready.set()
                    return
            except httpx.TransportError:
                pass
            self._ready.wait(1.0)  # back-off while it starts

    def _send(self, client: httpx.Client, record: dict[str, Any]) -> str:
        device = record["device_id"]
        with self._lock:
            token = self._tokens.setdefault(device, self.keys.token(device))
        headers = {"X-Device-Id": device, "Authorization": f"Bearer {token}",
                   "Content-Type": "application/json"}
        for _ in range(ATTEMPTS):
            record["sent_at_ms"] = int(time.time() * 1000)
            try:
                response = client.post("/v1/sync", content=json.dumps(record), headers=headers)
            except httpx.TransportError as exc:
                self._refused(f"no answer: {exc!r}")
                time.sleep(1.0)  # back-off before the retry, as a TV does
                continue
            if response.status_code == 200:
                return "accepted"
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))  # as told
                continue
            self._refused(f"{response.status_code} {response.text[:200]}")
            return f"refused ({response.status_code})"
        return "given up"

    def _refused(self, why: str) -> None:
        with self._lock:
            self.first_refusal = self.first_refusal or why

    def _count(self, outcome: str) -> None:
        with self._lock:
            self.outcomes[outcome] += 1
