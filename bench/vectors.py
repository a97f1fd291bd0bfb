"""Vectors on this machine, with the real catalog's embeddings.

- titles/s embedded on one core, FP32 and INT8 (a sample of catalog titles);
- Qdrant Edge (HNSW m = 32, ef_construct = 200) over every catalog title, float32 and
  int8-quantised (hits rescored with the float vectors, as the API searches): build rate
  in vectors/s next to hnswlib's on the same vectors in the same run (the baseline),
  recall@10 against exact numpy search at several ef, p50/p99 query latency, and process
  RSS. Two query sets: catalog vectors plus noise (near a title), and embedded search
  texts from bench.api (what the API embeds: far from any one title, a harder walk).
  Each query asks for the API's pool (56 hits); recall is of the first 10.

    python -m bench.vectors [--titles 0 (all)] [--sample 2000] [--queries 500]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from api.search.query import embedding_text, parse_query
from bench import results
from bench.api import queries as search_queries
from omega.data.catalog import load_catalog
from omega.encoder import load_encoder
from omega.index import EdgeIndex
from omega.progress import progress
from omega.titles import title_text

API_POOL = 56  # what a search asks the replica for: max(limit × 4, 40) + 16


def embed_rate(cache: Path, texts: list[str], precision: str) -> float:
    encoder = load_encoder(cache, precision, threads=1)  # type: ignore[arg-type]
    encoder.encode(texts[:64])  # warm up
    started = time.perf_counter()
    encoder.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def catalog_vectors(cache: Path, texts: list[str]) -> np.ndarray:
    path = cache / f"catalog-{len(texts)}-int8.npy"
    if path.exists():
        return np.load(path)
    encoder = load_encoder(cache, "int8", threads=os.cpu_count() or 1)
    chunks = [encoder.encode(texts[i:i + 1024])
              for i in progress(range(0, len(texts), 1024), desc="embed catalog", unit="1k titles")]
    vectors = np.vstack(chunks)
    np.save(path, vectors)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=0, help="catalog titles to index (0 = all)")
    parser.add_argument("--sample", type=int, default=2000, help="titles for the embed rate")
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args()
    cache = Path(os.environ.get("OMEGA_DATA_DIR", ".omega-data")) / "models"
    catalog = load_catalog()
    texts = [title_text(r) for r in catalog][: args.titles or None]
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), min(args.sample, len(texts)), False)]
    rates = {p: embed_rate(cache, sample, p) for p in ("fp32", "int8")}
    vectors = catalog_vectors(cache, texts)
    ids = list(range(1, len(texts) + 1))

    import hnswlib

    started = time.perf_counter()
    baseline = hnswlib.Index(space="cosine", dim=vectors.shape[1])
    baseline.init_index(max_elements=len(ids), M=32, ef_construction=200)
    baseline.add_items(vectors, ids)
    hnsw_rate = len(ids) / (time.perf_counter() - started)

    near = vectors[rng.choice(len(ids), args.queries, False)] + rng.normal(
        0, 0.02, (args.queries, vectors.shape[1])).astype(np.float32)
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    texts_encoder = load_encoder(cache, "int8", threads=1)  # the catalog vectors' model
    searched = texts_encoder.encode([embedding_text(parse_query(q))
                                     for q in search_queries(args.queries, seed=7)])
    query_sets = {"near a title": near, "search texts": searched}
    started = time.perf_counter()
    for q in searched:
        np.argsort(-(vectors @ q))[:10]
    exact_ms = (time.perf_counter() - started) * 1000 / len(searched)
    rows, builds = [], {}
    with tempfile.TemporaryDirectory(prefix="omega-vectors-") as tmp:
        for quantization in ("none", "int8"):
            index = EdgeIndex(Path(tmp) / quantization, quantization=quantization)
            started = time.perf_counter()
            for i in range(0, len(ids), 2000):
                index.upsert(ids[i:i + 2000], vectors[i:i + 2000], [{}] * len(ids[i:i + 2000]))
            index.optimize(wait=True)
            builds[quantization] = len(ids) / (time.perf_counter() - started)
            for kind, queries in query_sets.items():
                truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10] + 1
                for ef in (32, 64, 128):
                    latencies, found = [], []
                    for q in queries:
                        t = time.perf_counter()
                        hits = index.search(q, API_POOL, ef=ef, with_payload=False)
                        latencies.append((time.perf_counter() - t) * 1000)
                        found.append([h.title_id for h in hits[:10]])
                    recall = np.mean([len(set(f) & set(t)) / 10
                                      for f, t in zip(found, truth, strict=True)])
                    rows.append((quantization, kind, ef, recall, np.percentile(latencies, 50),
                                 np.percentile(latencies, 99)))
            index.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nembedding, 1 core, {len(sample)} catalog titles: FP32 {rates['fp32']:,.0f} titles/s, "
          f"INT8 {rates['int8']:,.0f} titles/s (INT8/FP32 = {rates['int8'] / rates['fp32']:.2f})")
    for quantization, rate in builds.items():
        print(f"index build, {len(ids):,} × 384 (m=32, ef_construct=200), {quantization}: "
              f"Qdrant Edge {rate:,.0f} vectors/s, hnswlib (float) {hnsw_rate:,.0f} vectors/s "
              f"(ratio {rate / hnsw_rate:.2f})")
    print(f"exact numpy search: {exact_ms:.2f} ms/query (the recall baseline)")
    print(f"| quantisation | queries | hnsw_ef | recall@10 | p50 ms | p99 ms | ({API_POOL} hits)")
    print("| --- | --- | --- | --- | --- | --- |")
    for quantization, kind, ef, recall, p50, p99 in rows:
        print(f"| {quantization} | {kind} | {ef} | {recall:.3f} | {p50:.2f} | {p99:.2f} |")
    print(f"peak RSS of this process: {rss:,.0f} MB")
    by = {(q, k, ef): (recall, p50) for q, k, ef, recall, p50, _ in rows}
    figures = [results.Figure(f"index build, {q}", rate, "vectors/s",
                              "hnswlib (float), same vectors", hnsw_rate)
               for q, rate in builds.items()]
    figures.append(results.Figure("embedding, INT8 model", rates["int8"], "titles/s",
                                  "FP32 model", rates["fp32"]))
    for kind in query_sets:
        if ("int8", kind, 64) in by and ("none", kind, 64) in by:
            figures += [
                results.Figure(f"search p50, int8 rescored, {kind}, ef 64",
                               by[("int8", kind, 64)][1], "ms", "float32, same queries",
                               by[("none", kind, 64)][1]),
                results.Figure(f"recall@10, int8 rescored, {kind}, ef 64",
                               by[("int8", kind, 64)][0], "", "float32, same queries",
                               by[("none", kind, 64)][0])]
    results.record("vectors", figures)


if __name__ == "__main__":
    main()
