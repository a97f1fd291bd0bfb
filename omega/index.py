"""The title vector index: one interface, Qdrant Edge in-process or a Qdrant server.

Qdrant Edge (`qdrant-edge-py`) is the default: a real Qdrant shard with HNSW, persisted
to a data folder and reopened after a restart. New points are searched exactly until
the HNSW graph is built; `optimize()` builds it, and `EdgeIndex` runs that in a
background thread so queries never wait for it. With OMEGA_QDRANT_URL set, the same
interface talks to a Qdrant server through qdrant-client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from omega.encoder import DIM

log = logging.getLogger(__name__)

HNSW_M, HNSW_EF_CONSTRUCT = 32, 200
PAYLOAD_INDEXES = {"genres": "keyword", "year": "integer", "rating": "float",
                   "runtime_min": "integer", "directors": "keyword", "cast": "keyword",
                   "awards": "keyword", "known_votes": "integer"}


@dataclass(frozen=True)
class TitleFilter:
    """Payload conditions: any of `genres`, year within [year_from, year_to], rating ≥,
    runtime within bounds, every one of `directors` and of `cast` (person keys,
    omega.titles.person_key) and every one of `awards` ('oscar')."""

    genres: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    min_rating: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    directors: tuple[str, ...] = ()
    cast: tuple[str, ...] = ()
    awards: tuple[str, ...] = ()
    min_known_votes: int | None = None  # omega.titles.known_votes

    def conditions(self) -> list[Condition]:
        """The filter once, as conditions every backend translates (`matches` here, Qdrant
        Edge's and the Qdrant server's filters below): all must hold."""
        out: list[Condition] = []
        if self.genres:
            out.append(Condition("genres", "any", list(self.genres)))
        for field, low, high in (("year", self.year_from, self.year_to),
                                 ("rating", self.min_rating, None),
                                 ("known_votes", self.min_known_votes, None),
                                 ("runtime_min", self.runtime_min, self.runtime_max)):
            if low is not None or high is not None:
                out.append(Condition(field, "range", (low, high)))
        out += [Condition(field, "value", v)
                for field in ("directors", "cast", "awards") for v in getattr(self, field)]
        return out

    def matches(self, payload: dict[str, Any]) -> bool:
        """The conditions in Python, for rows searched outside Qdrant."""
        return all(c.holds(payload.get(c.field)) for c in self.conditions())


@dataclass(frozen=True)
class Condition:
    """One payload condition: `any` of a list, a `range` (low, high; None is open), or a
    `value` the field (a list) must contain."""

    field: str
    kind: str
    operand: Any

    def holds(self, value: Any) -> bool:
        if self.kind == "any":
            return bool(set(self.operand) & set(value or ()))
        if self.kind == "value":
            return self.operand in (value or ())
        low, high = self.operand
        return value is not None and (low is None or value >= low) and (
            high is None or value <= high)


@dataclass(frozen=True)
class Hit:
    title_id: int
    score: float
    payload: dict[str, Any]


# hnsw_ef for API queries, on the 62,670 real title vectors (docs/vectors.md, bench/vectors.py):
# recall@10 0.995 near a title and 0.948 for embedded search texts at 64, against 0.996 and
# 0.982 at 128 for about 1.3–1.7× the time (rescored int8). 64 keeps a search's CPU low.
SEARCH_EF = 64
# With int8 scalar quantisation (the default, OMEGA_INDEX_QUANTIZATION) the graph is walked
# on the int8 copies and the hits are rescored with the original float vectors. Qdrant Edge
# does not rescore unless asked: unrescored int8 lost recall (0.969 against 0.989 for
# float32 on real query embeddings); rescored it kept it at a third to a half of float32's time
# (docs/vectors.md, bench/vectors.py). Ignored by an index without quantisation.
RESCORE = True
# Qdrant Edge searches a shard's segments on a pool of threads, by default as many as
# there are cores, and hands each query over to it; searching on the caller's thread is
# cheaper (bench.api: one API process on one core answered 327 searches/s after this
# change, 258 before). Concurrent requests, not one query's segments, should use the cores.
SEARCH_THREADS = 1
SCROLL_PAGE = 10_000  # ids per page when listing the index (63,000 titles: 7 pages)


class VectorIndex(Protocol):
    def upsert(self, ids: Sequence[int], vectors: np.ndarray,
               payloads: Sequence[dict[str, Any]]) -> None: ...
    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               ef: int | None = None, exact: bool = False,
               with_payload: bool = True) -> list[Hit]: ...
    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]: ...
    def delete(self, ids: Sequence[int]) -> None: ...
    def ids(self) -> set[int]: ...
    def count(self) -> int: ...
    def optimize(self, wait: bool = False) -> None: ...
    def close(self) -> None: ...


class EdgeIndex:
    """Qdrant Edge shard in this process."""

    def __init__(self, path: Path, dim: int = DIM, quantization: str = "none") -> None:
        import qdrant_edge as qe

        self.qe, self.path = qe, path
        path.mkdir(parents=True, exist_ok=True)
        vectors = qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)
        if any(path.iterdir()):
            # The search threads are a setting of the open shard, not of its files.
            self.shard = qe.EdgeShard.load(str(path), qe.EdgeConfig(
                vectors=vectors, max_search_threads=SEARCH_THREADS))
        else:
            quant = (qe.ScalarQuantizationConfig(qe.ScalarType.Int8, quantile=0.99,
                                                 always_ram=True)
                     if quantization == "int8" else None)
            config = qe.EdgeConfig(
                vectors=vectors,
                hnsw_config=qe.HnswIndexConfig(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT,
                                               full_scan_threshold=1000),
                quantization_config=quant, max_search_threads=SEARCH_THREADS)
            self.shard = qe.EdgeShard.create(str(path), config)
            for field, kind in PAYLOAD_INDEXES.items():
                schema = {"keyword": qe.PayloadSchemaType.Keyword,
                          "integer": qe.PayloadSchemaType.Integer,
                          "float": qe.PayloadSchemaType.Float}[kind]
                self.shard.update(qe.UpdateOperation.create_field_index(field, schema))
        self._optimizer: threading.Thread | None = None

    def upsert(self, ids: Sequence[int], vectors: np.ndarray,
               payloads: Sequence[dict[str, Any]]) -> None:
        points = [self.qe.Point(int(i), v.astype(np.float32).tolist(), p)
                  for i, v, p in zip(ids, vectors, payloads, strict=True)]
        self.shard.update(self.qe.UpdateOperation.upsert_points(points))

    def _filter(self, where: TitleFilter | None) -> Any:
        qe = self.qe

        def condition(c: Condition) -> Any:
            if c.kind == "any":
                return qe.FieldCondition(c.field, match=qe.MatchAny(c.operand))
            if c.kind == "value":
                return qe.FieldCondition(c.field, match=qe.MatchValue(c.operand))
            return qe.FieldCondition(c.field, range=qe.RangeFloat(gte=c.operand[0],
                                                                  lte=c.operand[1]))

        must = [condition(c) for c in where.conditions()] if where else []
        return qe.Filter(must=must) if must else None

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               ef: int | None = None, exact: bool = False,
               with_payload: bool = True) -> list[Hit]:
        """Nearest titles; without payloads when the caller has them (30% of a query's
        time at 56 hits on 62,670 titles)."""
        qe = self.qe
        request = qe.QueryRequest(
            limit=limit, query=qe.Query.Nearest(vector.astype(np.float32).tolist()),
            filter=self._filter(where), with_payload=with_payload,
            params=qe.SearchParams(hnsw_ef=ef, exact=exact,
                                   quantization=qe.QuantizationSearchParams(rescore=RESCORE)))
        return [Hit(int(p.id), float(p.score), dict(p.payload or {}))
                for p in self.shard.query(request)]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        records = self.shard.retrieve([int(i) for i in ids], with_payload=False,
                                      with_vector=True)
        return {int(r.id): np.asarray(r.vector, dtype=np.float32) for r in records}

    def delete(self, ids: Sequence[int]) -> None:
        """Retired titles leave the index (ids it does not hold are ignored)."""
        if ids:
            self.shard.update(self.qe.UpdateOperation.delete_points([int(i) for i in ids]))

    def ids(self) -> set[int]:
        """Every title id in the index: what a restart checks against the catalog."""
        out: set[int] = set()
        offset = None
        while True:
            records, offset = self.shard.scroll(self.qe.ScrollRequest(
                offset=offset, limit=SCROLL_PAGE, with_payload=False, with_vector=False))
            out.update(int(r.id) for r in records)
            if offset is None:
                return out

    def count(self) -> int:
        return int(self.shard.count(self.qe.CountRequest(exact=True)))

    def optimize(self, wait: bool = False) -> None:
        """Build the HNSW graph; in a background thread unless `wait`."""
        if wait:
            self.shard.optimize()
            return
        if self._optimizer is not None and self._optimizer.is_alive():
            return
        self._optimizer = threading.Thread(target=self.shard.optimize, name="qdrant-optimize",
                                           daemon=True)
        self._optimizer.start()

    def close(self) -> None:
        if self._optimizer is not None:
            self._optimizer.join()
        self.shard.flush()
        self.shard.close()


class ServerIndex:
    """A Qdrant collection through qdrant-client: a server (URL) or the client's local mode."""

    def __init__(self, client: Any, collection: str = "titles", dim: int = DIM,
                 quantization: str = "none") -> None:
        from qdrant_client import models

        self.client, self.collection, self.m = client, collection, models
        if not client.collection_exists(collection):
            client.create_collection(
                collection,
                vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
                hnsw_config=models.HnswConfigDiff(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT),
                quantization_config=(models.ScalarQuantization(scalar=models.ScalarQuantizationConfig(
                    type=models.ScalarType.INT8, quantile=0.99, always_ram=True))
                    if quantization == "int8" else None))
            kinds = {"keyword": models.PayloadSchemaType.KEYWORD,
                     "integer": models.PayloadSchemaType.INTEGER,
                     "float": models.PayloadSchemaType.FLOAT}
            for field, kind in PAYLOAD_INDEXES.items():
                client.create_payload_index(collection, field, kinds[kind])

    def upsert(self, ids: Sequence[int], vectors: np.ndarray,
               payloads: Sequence[dict[str, Any]]) -> None:
        points = [self.m.PointStruct(id=int(i), vector=v.astype(np.float32).tolist(), payload=p)
                  for i, v, p in zip(ids, vectors, payloads, strict=True)]
        self.client.upsert(self.collection, points, wait=True)

    def _filter(self, where: TitleFilter | None) -> Any:
        m = self.m

        def condition(c: Condition) -> Any:
            if c.kind == "any":
                return m.FieldCondition(key=c.field, match=m.MatchAny(any=c.operand))
            if c.kind == "value":
                return m.FieldCondition(key=c.field, match=m.MatchValue(value=c.operand))
            return m.FieldCondition(key=c.field, range=m.Range(gte=c.operand[0],
                                                               lte=c.operand[1]))

        must = [condition(c) for c in where.conditions()] if where else []
        return m.Filter(must=must) if must else None

    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               ef: int | None = None, exact: bool = False,
               with_payload: bool = True) -> list[Hit]:
        result = self.client.query_points(
            self.collection, query=vector.astype(np.float32).tolist(), limit=limit,
            query_filter=self._filter(where), with_payload=with_payload,
            search_params=self.m.SearchParams(
                hnsw_ef=ef, exact=exact,
                quantization=self.m.QuantizationSearchParams(rescore=RESCORE)))
        return [Hit(int(p.id), float(p.score), dict(p.payload or {})) for p in result.points]

    def vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        records = self.client.retrieve(self.collection, [int(i) for i in ids], with_vectors=True)
        return {int(r.id): np.asarray(r.vector, dtype=np.float32) for r in records}

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.client.delete(self.collection, self.m.PointIdsList(points=[int(i) for i in ids]),
                               wait=True)

    def ids(self) -> set[int]:
        out: set[int] = set()
        offset = None
        while True:
            records, offset = self.client.scroll(self.collection, limit=SCROLL_PAGE,
                                                 offset=offset, with_payload=False,
                                                 with_vectors=False)
            out.update(int(r.id) for r in records)
            if offset is None:
                return out

    def count(self) -> int:
        return int(self.client.count(self.collection, exact=True).count)

    def optimize(self, wait: bool = False) -> None:
        """The server optimises in its own background; nothing to do here."""

    def close(self) -> None:
        self.client.close()


def open_index(data_dir: Path, qdrant_url: str | None, quantization: str = "none") -> VectorIndex:
    """Qdrant Edge under `data_dir`, or the server at `qdrant_url` when set."""
    if qdrant_url:
        from qdrant_client import QdrantClient

        return ServerIndex(QdrantClient(url=qdrant_url), quantization=quantization)
    return EdgeIndex(data_dir / "qdrant-edge", quantization=quantization)
