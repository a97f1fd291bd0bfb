"""The API's own copy of the title index, materialized from the title-vectors topic.

Qdrant Edge runs inside one process, so the API cannot read the embedder's shard. It
keeps a replica instead, in two parts:

- a **snapshot**: a Qdrant Edge shard with its HNSW graph, built in a *separate
  process* (`python -m api.search.replica BUILD`) and then opened here. qdrant-edge-py holds
  the GIL while it builds a graph, so building here would stall every request; built
  elsewhere, queries never wait for it (this settles issue 6's last point).
- **fresh** vectors that arrived after the snapshot started: searched exactly with
  numpy (a few thousand rows take well under a millisecond), merged with the
  snapshot's hits, and folded into the next snapshot once there are enough of them.

Before the first snapshot exists every vector is "fresh": searches are exact and
slower, never wrong. With OMEGA_QDRANT_URL the API uses the server's collection
instead and this class is not used.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from omega.encoder import DIM
from omega.index import SEARCH_EF, EdgeIndex, Hit, TitleFilter

log = logging.getLogger(__name__)


class VectorReplica:
    """Snapshot (HNSW, built elsewhere) + fresh rows (exact); see the module doc."""

    def __init__(self, folder: Path, rebuild_after: int = 2000, quiet_s: float = 3.0,
                 quantization: str = "none") -> None:
        self.folder, self.quantization = folder, quantization
        shutil.rmtree(folder, ignore_errors=True)  # snapshots are rebuilt from the topic
        self.rebuild_after, self.quiet_s = rebuild_after, quiet_s
        self._lock = threading.Lock()
        self._vectors: dict[int, np.ndarray] = {}
        self._payloads: dict[int, dict[str, Any]] = {}
        self._fresh: dict[int, int] = {}  # title id → version at which it became fresh
        self._version = 0
        self._matrix: tuple[np.ndarray, list[int]] | None = None
        self._snapshot: EdgeIndex | None = None
        self._snapshot_ids: set[int] = set()
        self._removed = 0  # titles the snapshot holds that were removed since
        # while a snapshot builds: its process, folder, version, titles and start time
        self._building: tuple[subprocess.Popen[bytes], Path, int, set[int], float] | None = None
        self._last_add = 0.0
        self.builds = 0
        self.last_build_s: float | None = None

    # -- writes (the views thread) ------------------------------------------------------
    def add(self, ids: Sequence[int], vectors: np.ndarray,
            payloads: Sequence[dict[str, Any]]) -> None:
        with self._lock:
            for title_id, vector, payload in zip(ids, vectors, payloads, strict=True):
                self._version += 1
                self._vectors[title_id] = vector.astype(np.float32)
                self._payloads[title_id] = payload
                self._fresh[title_id] = self._version
            self._matrix = None
            self._last_add = time.monotonic()

    def remove(self, ids: Iterable[int]) -> None:
        """Retired titles leave: searches skip them at once, the next snapshot drops them."""
        with self._lock:
            gone = [i for i in ids if i in self._vectors]
            for title_id in gone:
                del self._vectors[title_id]
                self._payloads.pop(title_id, None)
                self._fresh.pop(title_id, None)
            if gone:
                self._version += 1
                self._matrix = None
                self._removed += sum(1 for i in gone if i in self._snapshot_ids)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._vectors)

    def set_payload(self, title_id: int, payload: dict[str, Any]) -> None:
        """Catalog data changed: the payload used for filtering follows (vector unchanged)."""
        with self._lock:
            if title_id in self._vectors and self._payloads.get(title_id) != payload:
                self._payloads[title_id] = payload
                self._version += 1
                self._fresh[title_id] = self._version
                self._matrix = None

    def maintain(self) -> None:
        """Start a snapshot build when due; swap in a finished one. Call it periodically."""
        if self._building is not None:
            self._finish_build()
            return
        quiet = time.monotonic() - self._last_add >= self.quiet_s
        due = len(self._fresh) >= self.rebuild_after or ((self._fresh or self._removed)
                                                          and quiet)
        if due and len(self._vectors) > 1000:
            self._start_build()

    def _start_build(self) -> None:
        with self._lock:
            ids = sorted(self._vectors)
            matrix = np.vstack([self._vectors[i] for i in ids])
            payloads = [self._payloads.get(i, {}) for i in ids]
            version = self._version
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"snapshot-{version}"
        shutil.rmtree(target, ignore_errors=True)
        source = self.folder / f"build-{version}.npy"
        np.save(source, matrix)
        source.with_suffix(".json").write_text(json.dumps({"ids": ids, "payloads": payloads}))
        # Background work: searches and syncs on the same cores come first (nice 10).
        proc = subprocess.Popen([sys.executable, "-m", "api.search.replica", str(source),
                                 str(target), self.quantization],
                                preexec_fn=lambda: os.nice(10))
        self._building = (proc, target, version, set(ids), time.monotonic())
        log.info("index snapshot of %d titles: building in process %d", len(ids), proc.pid)

    def _finish_build(self) -> None:
        assert self._building is not None
        proc, target, version, ids, started = self._building
        code = proc.poll()
        if code is None:
            return
        self._building = None
        for suffix in (".npy", ".json"):
            (self.folder / f"build-{version}").with_suffix(suffix).unlink(missing_ok=True)
        if code != 0:
            log.error("index snapshot build failed (exit %d); searches stay exact", code)
            return
        snapshot = EdgeIndex(target)
        with self._lock:
            old, self._snapshot, self._snapshot_ids = self._snapshot, snapshot, ids
            self._removed = len(ids - self._vectors.keys())
            self._fresh = {i: v for i, v in self._fresh.items() if v > version}
            self._matrix = None
        self.builds += 1
        self.last_build_s = time.monotonic() - started
        log.info("index snapshot of %d titles in service (built in %.1f s); %d fresh",
                 len(ids), self.last_build_s, len(self._fresh))
        if old is not None:
            old_path = old.path
            old.close()
            shutil.rmtree(old_path, ignore_errors=True)

    # -- reads (request threads) --------------------------------------------------------
    def vector(self, title_id: int) -> np.ndarray | None:
        return self._vectors.get(title_id)

    def count(self) -> int:
        return len(self._vectors)

    def status(self) -> dict[str, Any]:
        return {"titles": len(self._vectors), "snapshotTitles": len(self._snapshot_ids),
                "freshTitles": len(self._fresh), "building": self._building is not None,
                "snapshotBuilds": self.builds, "lastBuildSeconds": self.last_build_s}

    def _fresh_matrix(self) -> tuple[np.ndarray, list[int]]:
        with self._lock:
            if self._matrix is None:
                ids = sorted(self._fresh)
                rows = [self._vectors[i] for i in ids]
                self._matrix = (np.vstack(rows) if rows else np.zeros((0, DIM), np.float32), ids)
            return self._matrix

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None, ef: int = SEARCH_EF) -> list[Hit]:
        exclude = exclude or set()
        hits: dict[int, Hit] = {}
        snapshot, fresh = self._snapshot, set(self._fresh)
        if snapshot is not None:
            # Payloads from our own map (the snapshot was built from it): cheaper than Edge's.
            for hit in snapshot.search(vector, limit + len(exclude) + 16, where, ef=ef,
                                       with_payload=False):
                if (hit.title_id not in fresh and hit.title_id not in exclude
                        and hit.title_id in self._vectors):  # not removed since the build
                    hits[hit.title_id] = Hit(hit.title_id, hit.score,
                                             self._payloads.get(hit.title_id, {}))
        matrix, ids = self._fresh_matrix()
        if ids:
            scores = matrix @ vector.astype(np.float32)
            for row in np.argsort(-scores):
                title_id = ids[int(row)]
                payload = self._payloads.get(title_id, {})
                if title_id in exclude or (where is not None and not where.matches(payload)):
                    continue
                hits[title_id] = Hit(title_id, float(scores[row]), payload)
                if len(hits) >= 2 * limit + 16:
                    break
        return sorted(hits.values(), key=lambda h: (-h.score, h.title_id))[:limit]

    def close(self) -> None:
        if self._building is not None:
            self._building[0].kill()
            self._building[0].wait()
        if self._snapshot is not None:
            self._snapshot.close()


def build_snapshot(source: Path, target: Path, quantization: str = "none") -> None:
    """Upsert every vector of `source` into a new Edge shard at `target`; build HNSW."""
    vectors = np.load(source)
    meta = json.loads(source.with_suffix(".json").read_text())
    ids, payloads = meta["ids"], meta["payloads"]
    index = EdgeIndex(target, quantization=quantization)
    batch = 1024
    for start in range(0, len(ids), batch):
        index.upsert(ids[start:start + batch], vectors[start:start + batch],
                     payloads[start:start + batch])
    index.optimize(wait=True)
    index.close()


if __name__ == "__main__":
    # The API that started this builder owns its lifetime (it kills it on close): a Ctrl-C
    # reaching the whole process group must not end it with a traceback in the API's log.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO)
    build_snapshot(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
