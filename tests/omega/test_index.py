"""The VectorIndex interface on real Qdrant Edge: search, filters, restart, and congruence."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from omega.index import EdgeIndex, ServerIndex, TitleFilter, VectorIndex

N, DIM = 3000, 384
GENRES = ["Action", "Comedy", "Drama", "Sci-Fi", "Romance"]


def corpus(seed: int = 0) -> tuple[list[int], np.ndarray, list[dict[str, object]]]:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(N, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    payloads = [{"genres": list(rng.choice(GENRES, size=int(rng.integers(1, 3)), replace=False)),
                 "year": int(rng.integers(1950, 2016)), "rating": float(rng.integers(10, 100) / 10)}
                for _ in range(N)]
    return list(range(1, N + 1)), vectors, payloads


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return [int(i) + 1 for i in np.argsort(-(vectors @ query))[:k]]


@pytest.fixture
def edge(tmp_path: Path) -> EdgeIndex:
    ids, vectors, payloads = corpus()
    index = EdgeIndex(tmp_path / "edge")
    index.upsert(ids, vectors, payloads)
    return index


def test_search_finds_the_exact_neighbours_before_and_after_optimize(edge: EdgeIndex) -> None:
    _, vectors, _ = corpus()
    queries = vectors[:20] + 0.05
    before = [[h.title_id for h in edge.search(q, 10)] for q in queries]
    edge.optimize(wait=True)
    after = [[h.title_id for h in edge.search(q, 10, ef=128)] for q in queries]
    truth = [exact_top(vectors, q / np.linalg.norm(q), 10) for q in queries]
    assert before == truth, "unindexed points are searched exactly"
    recall = np.mean([len(set(a) & set(t)) / 10 for a, t in zip(after, truth, strict=True)])
    assert recall >= 0.95
    assert edge.count() == N


def test_filters_return_only_matching_titles(edge: EdgeIndex) -> None:
    where = TitleFilter(genres=("Sci-Fi",), year_from=1990, year_to=1999, min_rating=5.0)
    hits = edge.search(np.ones(DIM, np.float32) / np.sqrt(DIM), 50, where)
    assert hits
    for hit in hits:
        assert "Sci-Fi" in hit.payload["genres"]
        assert 1990 <= hit.payload["year"] <= 1999 and hit.payload["rating"] >= 5.0


def test_int8_hits_are_rescored_with_the_float_vectors(tmp_path: Path) -> None:
    # The graph is walked on int8 copies; the hits' scores must be the float cosines (so
    # ranking and "87% semantic match" are not int8 approximations), and recall as float's.
    # 8,000 vectors: Qdrant leaves a segment under 10 MB unindexed and scans it exactly
    # with the float vectors, where there would be nothing to rescore.
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(8000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # 200 queries: each graph is built afresh (threads, not seeded). On these random
    # vectors int8 recall sits 0.018-0.021 under float32's at ef 64 (three runs, 0.92 against
    # 0.94: rescoring fixes scores, not the candidates the int8 walk missed); 40 queries
    # put that over the old 0.02 bound now and then. A larger loss still fails.
    queries = vectors[:200] + rng.normal(0, 0.03, (200, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    recall = {}
    for quantization in ("none", "int8"):
        index = EdgeIndex(tmp_path / quantization, quantization=quantization)
        index.upsert(list(range(1, 8001)), vectors, [{}] * 8000)
        index.optimize(wait=True)
        found = []
        for query in queries:
            hits = index.search(query, 10, ef=64)
            exact = vectors[[h.title_id - 1 for h in hits]] @ query
            assert np.allclose([h.score for h in hits], exact, atol=1e-5), "not rescored"
            found.append(len({h.title_id for h in hits} & set(exact_top(vectors, query, 10))))
        recall[quantization] = sum(found) / (10 * len(queries))
        index.close()
    assert recall["int8"] >= recall["none"] - 0.03, recall


def test_index_survives_a_restart_with_the_same_results(tmp_path: Path) -> None:
    ids, vectors, payloads = corpus(1)
    index = EdgeIndex(tmp_path / "edge")
    index.upsert(ids, vectors, payloads)
    index.optimize(wait=True)
    query = vectors[7]
    first = index.search(query, 10, ef=128)
    index.close()
    reopened = EdgeIndex(tmp_path / "edge")
    assert reopened.count() == N
    assert reopened.search(query, 10, ef=128) == first
    assert np.allclose(reopened.vectors([8])[8], vectors[7], atol=1e-6)


def same_operations(index: VectorIndex) -> list[list[int]]:
    ids, vectors, payloads = corpus(2)
    index.upsert(ids, vectors, payloads)
    index.upsert([5], vectors[[9]], [payloads[9]])  # an update replaces, never duplicates
    where = TitleFilter(genres=("Drama", "Romance"), year_from=2000)
    results = [[h.title_id for h in index.search(vectors[i], 10, exact=True)] for i in range(5)]
    results.append([h.title_id for h in index.search(vectors[3], 10, where, exact=True)])
    results.append([index.count()])
    index.delete([2, 4, N + 7])  # a retired title leaves; an id never held is ignored
    results.append([h.title_id for h in index.search(vectors[1], 3, exact=True)])
    results.append([index.count(), len(index.ids()), 2 in index.ids(), 3 in index.ids()])
    return results


def test_edge_and_qdrant_client_agree_on_the_same_operations(tmp_path: Path) -> None:
    # qdrant-client's local mode is not a server; it checks our mapping of the interface.
    from qdrant_client import QdrantClient

    edge = EdgeIndex(tmp_path / "edge")
    local = ServerIndex(QdrantClient(location=":memory:"))
    results = same_operations(edge)
    assert results == same_operations(local)
    assert results[-1] == [N - 2, N - 2, False, True], "deleted points are gone, others stay"
    assert 2 not in results[-2] and results[-2][0] != 2


def test_qdrant_server_backend(qdrant_url: str) -> None:
    from qdrant_client import QdrantClient

    server = ServerIndex(QdrantClient(url=qdrant_url), collection=f"test-{os.getpid()}")
    assert same_operations(server)[-1] == [N - 2, N - 2, False, True]


def test_queries_during_a_background_build_return_correct_results(tmp_path: Path) -> None:
    # Correct, but not unhindered: qdrant-edge-py's optimize() holds the GIL, so queries
    # in the same process wait (docs/vectors.md); serve from a process that does not build.
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(8000, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = EdgeIndex(tmp_path / "edge")
    index.upsert(list(range(1, 8001)), vectors, [{}] * 8000)
    index.optimize()  # returns at once
    answered_during_build = 0
    while index._optimizer is not None and index._optimizer.is_alive():
        hits = index.search(vectors[answered_during_build % 100], 5)
        assert hits[0].title_id == answered_during_build % 100 + 1
        answered_during_build += 1
    # How many ran is up to the GIL (0 is possible on a busy machine: the build holds it);
    # tests/api/test_index_freshness.py shows the API's build-elsewhere path never blocks.
    for i in (0, 57, 99):
        assert index.search(vectors[i], 5)[0].title_id == i + 1  # after the build: HNSW
    index.close()
