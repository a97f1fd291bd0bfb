"""Search quality on the full catalog: does a viewer find the films they meant?

Two sets, fixed in bench/_search_cases.py by these rules before any system's answers
were seen:

1. **Queries** (64), each with constraints a result is checked against (what the words
   say, nothing more):
   - the 44 of the seed product's kinds (genre, mood, decade, rating, length, director,
     cast, award, recency, hybrids); "Oscar-winning performances from the 90s" now asks
     for an acting win, as its words say (the catalog knew no other wins before);
   - cast (13): the three above (Tom Hanks, Meryl Streep, Jack Nicholson), then the ten
     first other actors ranked by the MovieLens ratings (dslabs) of their American films of
     1970–2018 in Wikipedia's lists (prust/wikipedia-movie-data, the catalog's cast
     source; films matched by title and year ± 1): Bruce Willis, Robert De Niro, Morgan
     Freeman, Samuel L. Jackson, Harrison Ford, Brad Pitt, Robin Williams, Matt Damon, Tom
     Cruise, Kevin Spacey. The wording rotates through "films with …", "starring …",
     "… movies", "movies starring …", "… films"; an actor whose most frequent genre
     besides Drama and Comedy holds 20 or more of those films gets it in the query
     (Willis and Jackson: action);
   - awards (13): the three above, issue 37's four examples ("Best Picture winners",
     "Oscar-nominated dramas", "won Best Director", "Oscar-winning performances"), "Best
     Picture nominees from the 90s", and one for each other major category: both
     screenplays, Best Actress, Animated Feature, Foreign Language (International
     Feature) Film. Checked against the catalog's `oscars` nominations (categories as
     the catalog normalises them); plain "Oscar winners" means any win.
   Reported: **constraint fit** (share of the top 10 meeting every constraint), the same
   over the cast and the award queries alone, and **known-film share** (≥ 1,000 IMDb votes
   or ≥ 50 MovieLens ratings; from 2012 on, when MovieLens had at most five years to rate
   a film and IMDb votes stop, ≥ 10 ratings).
2. **"Like X" seeds** (30): the films ranked 1, 11, 21, … 291 by MovieLens rating count
   (ties: lower id), asked as "movies like <title as typed>" ("The Firm", not "Firm, The").
   Ground truth: X's neighbours by MovieLens co-rating among films with ≥ 50 ratings,
   - **corrected for popularity**: the asymmetric cosine |A∩B| / (|A|^0.2 · |B|^0.8) of
     the rater sets A (of X) and B (Aiolli, "Efficient top-N recommendation for very large
     scale binary rated datasets", RecSys 2013; for one X it ranks as the conditional-
     probability similarity |A∩B| / (|A| · |B|^0.8) of Deshpande & Karypis, "Item-based
     top-N recommendation algorithms", ACM TOIS 22(1), 2004, whose α penalises frequent
     items). The raw cosine (exponent 0.5) ranks the films everyone rated first; lift
     (exponent 1) ranks by P(X | B) and favours films few rated;
   - **raw cosine** |A∩B| / √(|A| · |B|), the previous truth, as a second column.
   Reported against each: **overlap@10** with the truth's top 10 and **nDCG@10** (gain:
   the truth's score); and **genre fidelity**, the share of the top 10 sharing one of X's
   main genres (its genres without Drama and Comedy, unless it has no other).
   The truths' own top 10s have a genre fidelity of 0.60 (corrected) and 0.62 (cosine):
   in this 671-user sample co-rating follows when people rated as much as genre.

Omega's ranker (api/search/ranking.py, the API's own code) runs on the real catalog, real
MiniLM title vectors (blended with co-view edges as the embedder does) and DP releases
made here by the worker's own counting and release functions from a MovieLens-grounded
fleet (omega/data/viewing.py): `--devices` per window, `--windows` windows, ε = 0.1.
Retrieval is exact (numpy) so that HNSW recall does not blur the ranking's figures.
Co-rating counts from MovieLens are the ground truth only: they never reach the ranker
(docs/design.md, "Signals that rank and recommend").

Two baselines in the same run, on the same filters and candidates:
- **popularity**: the public prior alone (IMDb votes, Bayesian rating, MovieLens counts);
- **MiniLM**: cosine similarity to the query (or to X's vector) alone.

    python -m bench.search_quality [--devices 1000000] [--windows 6] [--seed 1]
                                   [--only queries|like] [--show]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bench import results
from bench._search_cases import (
    CASES,
    CEILING,
    COLUMNS,
    POPULARITY_EXPONENT,
    RECORDED,
    Truth,
    better_baseline,
    co_rating_truths,
    genre_fidelity,
    known,
    like_scores,
    meets,
    movielens_raters,
    seeds_by_rank,
    share,
    summary,
    table,
    target_lines,
    typed_title,
)

Record = dict[str, Any]


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


@dataclass
class FleetCounts:
    """Devices per title and per pair, summed over the windows, before any noise: what the
    worker counted, which only the oracle row reads."""

    titles: Counter[int] = field(default_factory=Counter)
    pairs: Any = None  # omega.partials.PairCounts


def dp_releases(catalog: list[Record], devices: int, windows: int, seed: int,
                settings: Any, bias: float,
                fleet: FleetCounts | None = None) -> tuple[list[Record], list[Record]]:
    """Trend and co-view releases of `windows` windows of a MovieLens-grounded fleet,
    counted and released by the worker's own functions; `fleet` gets the exact counts."""
    from omega.data.viewing import ViewingPlan, load_histories, simulate_viewing
    from omega.release import release_coview_edges, release_trends
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
        if fleet is not None:
            fleet.titles.update(title_counts)
            fleet.pairs = pair_counts if fleet.pairs is None else type(pair_counts).summed(
                [fleet.pairs, pair_counts])
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
    fleet: FleetCounts = field(default_factory=FleetCounts)


def build_stack(args: argparse.Namespace) -> Stack:
    from api.search.ranking import Ranker
    from api.state import prior_of, weights_of
    from api.views import Views
    from omega.data.catalog import load_catalog
    from omega.dp.accounting import pair_noise_std
    from omega.encoder import load_encoder
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
    fleet = FleetCounts()
    trends, edges = dp_releases(catalog, args.devices, args.windows, args.seed, settings,
                                args.popularity_bias, fleet)
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
    return Stack(views, index, ranker, encoder, {r["title_id"]: r for r in catalog}, fleet)


# -- the three systems --------------------------------------------------------------------
System = Callable[[Stack, str], list[int]]


def omega_system(stack: Stack, query: str) -> list[int]:
    from api.search.query import parse_query

    v = stack.views
    intent = parse_query(query, v.resolve, v.person, v.latest_year)
    results, _ = stack.ranker.search(intent, 10)
    return [r["titleId"] for r in results]


def _candidates(stack: Stack, query: str, pool: int) -> tuple[Any, list[Any]]:
    """The same understanding, filters and exclusions as Omega, by vector alone."""
    from api.search.query import parse_query
    from api.search.ranking import intent_filter

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
    from api.search.query import parse_query
    from api.search.ranking import intent_filter

    v = stack.views
    intent = parse_query(query, v.resolve, v.person, v.latest_year)
    where = intent_filter(intent)
    exclude = stack.ranker.same_title(intent.like_title_id)
    mask = stack.index._mask(where)
    rows = range(len(stack.index.ids)) if mask is None else np.flatnonzero(mask)
    ranked = sorted((t for t in (stack.index.ids[r] for r in rows) if t not in exclude),
                    key=lambda t: (-stack.ranker.public_prior(t), t))
    return ranked[:10]


def fleet_oracle(stack: Stack, query: str) -> list[int]:
    """"Like X" by the fleet's exact co-view, summed over the windows before any noise,
    threshold or floor: the same asymmetric cosine as the truth's, over devices instead of
    raters, among films with ≥ 50 MovieLens ratings (the truth's own). No private system
    can see these counts; the row is the ceiling of what co-viewing in this fleet holds
    about the truth, not a baseline."""
    from api.search.query import parse_query
    from omega.windows import PAIR_SHIFT

    v = stack.views
    x = parse_query(query, v.resolve, v.person, v.latest_year).like_title_id
    if x is None or stack.fleet.pairs is None:
        return []
    keys, counts = stack.fleet.pairs.keys, stack.fleet.pairs.counts
    firsts, seconds = keys >> PAIR_SHIFT, keys & ((1 << PAIR_SHIFT) - 1)
    mine = (firsts == x) | (seconds == x)
    others = np.where(firsts[mine] == x, seconds[mine], firsts[mine]).tolist()
    exclude = stack.ranker.same_title(x)
    totals, own = stack.fleet.titles, max(stack.fleet.titles[x], 1)
    beta = POPULARITY_EXPONENT
    scored = sorted(((-c / (own ** (1 - beta) * max(totals[b], 1) ** beta), b)
                     for b, c in zip(others, counts[mine].tolist(), strict=True)
                     if b not in exclude
                     and (stack.catalog[b].get("movielens_ratings") or 0) >= 50))
    return [b for _, b in scored[:10]]


SYSTEMS: dict[str, System] = {"omega": omega_system, "popularity alone": popularity_system,
                              "MiniLM alone": minilm_system}


# -- scoring -------------------------------------------------------------------------------
def _timed(system: System, stack: Stack, query: str, times: list[float]) -> list[int]:
    started = time.perf_counter()
    ranked = system(stack, query)
    times.append(1000 * (time.perf_counter() - started))
    return ranked


def score_queries(stack: Stack, system: System, show: bool,
                  scores: dict[str, list[float]]) -> None:
    """Constraint fit (all, cast, award) and known-film share of each query's top 10."""
    for case in CASES:
        records = [stack.catalog[t] for t in _timed(system, stack, case.query, scores["ms"])]
        fit = share([meets(r, case) for r in records])
        scores["fit"].append(fit)
        scores["known"].append(share([known(r) for r in records]))
        if case.is_cast:
            scores["cast"].append(fit)
        if case.is_award:
            scores["award"].append(fit)
        if show:
            print(f"{case.query!r} fit {fit:.1f} known {scores['known'][-1]:.1f}: " + "; ".join(
                f"{r['title']} ({r.get('year')})" for r in records[:5]))


def score_likes(stack: Stack, system: System, truths: dict[int, Truth],
                by_lens: dict[int, int], show: bool, scores: dict[str, list[float]]) -> None:
    """Overlap@10 and nDCG@10 against both truths, and genre fidelity, of each seed."""
    for seed, truth in truths.items():
        x = stack.catalog[by_lens[seed]]
        ranked = _timed(system, stack, f"movies like {typed_title(x['title'])}", scores["ms"])
        for suffix, neighbours in (("", truth.corrected), ("_cos", truth.cosine)):
            overlap, gain = like_scores(ranked, neighbours, by_lens)
            scores["overlap" + suffix].append(overlap)
            scores["ndcg" + suffix].append(gain)
        scores["genre"].append(genre_fidelity(x, [stack.catalog[t] for t in ranked[:10]]))
        if show:
            print(f"like {typed_title(x['title'])}: "
                  f"{len(stack.views.watched_with(x['title_id'], 999))} edges, overlap "
                  f"{scores['overlap'][-1]:.1f}, genre {scores['genre'][-1]:.1f}: "
                  + "; ".join(stack.catalog[t]["title"] for t in ranked[:5]))


def record(rows: dict[str, dict[str, float]]) -> None:
    """Keep each of omega's figures beside the better baseline's in the same run."""
    figures = []
    for key, what in RECORDED.items():
        name, base = better_baseline(rows, key)
        figures.append(results.Figure(what, rows["omega"][key], "",
                                      f"the better baseline ({name})", base))
    results.record("search_quality", figures)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_quality",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1_000_000,
                        help="simulated devices per window (default 1,000,000)")
    parser.add_argument("--windows", type=int, default=6, help="windows released (default 6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--popularity-bias", type=float, default=None,
                        help="the fleet's popularity bias (default: omega/data/viewing.py's)")
    parser.add_argument("--only", choices=("queries", "like"),
                        help="run one part only (its figures are printed, not recorded)")
    parser.add_argument("--show", action="store_true",
                        help="print omega's top 5 for each query and seed")
    args = parser.parse_args(argv)
    if args.popularity_bias is None:
        from omega.data.viewing import ViewingPlan

        args.popularity_bias = ViewingPlan.popularity_bias
    truths = {}
    if args.only != "queries":
        raters = movielens_raters()
        truths = co_rating_truths(raters, seeds_by_rank({m: len(w) for m, w in raters.items()}))
    stack = build_stack(args)
    by_lens = {r["movielens_id"]: t for t, r in stack.catalog.items() if r.get("movielens_id")}
    rows = {}
    for name, system in SYSTEMS.items():
        scores: dict[str, list[float]] = {key: [] for key in COLUMNS}
        show = args.show and name == "omega"
        if args.only != "like":
            score_queries(stack, system, show, scores)
        score_likes(stack, system, truths, by_lens, show, scores)
        rows[name] = summary(scores)
    if truths:
        scores = {key: [] for key in COLUMNS}
        score_likes(stack, fleet_oracle, truths, by_lens, False, scores)
        rows[CEILING] = summary(scores)
    asked = (f"{len(CASES)} queries ({sum(c.is_cast for c in CASES)} by cast, "
             f"{sum(c.is_award for c in CASES)} by award)" if args.only != "like" else "")
    seeds_part = f"{len(truths)} 'like X' seeds" if truths else ""
    print(f"\n{len(stack.catalog):,} titles; " + "; ".join(p for p in (asked, seeds_part) if p)
          + f"; DP releases of {args.windows} windows × {args.devices:,} devices, ε = 0.1\n")
    print(table(rows))
    print("\nomega against the issue's targets:")
    print("\n".join(target_lines(rows)))
    if args.only is None:
        record(rows)
    else:
        print(f"\n(--only {args.only}: figures not recorded)")


if __name__ == "__main__":
    main()
