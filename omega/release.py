"""The DP release step: record builders over the pure functions of omega/dp/.

Each release of a window draws from its own noise source (omega/dp/
`window_random_state`): keyed by a secret and (stream, window start), so an attempt that
was aborted and rebuilt is bit-identical to the first; seeded, so replays and audits are
bit-exact; or, with neither, the OS's secure randomness.

The signature an outside auditor calls (docs/privacy.md): counts in, records out, with
ε, δ, the bounds, and `seed` or `key`; nothing else is read. `release_window` runs the
four releases of a window under one `ReleasePolicy` (the settings they read, typed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from omega.dp.noise import noisy_counts, window_random_state
from omega.dp.selection import (
    select_partition_arrays,
    select_partitions,
    select_partitions_gaussian,
)
from omega.partials import PairCounts, WindowTotals
from omega.settings import Settings
from omega.windows import PAIR_SHIFT

Record = dict[str, Any]


@dataclass(frozen=True)
class ReleasePolicy:
    """Everything a window's release reads besides its counts and the noise key: ε and δ,
    each unit's bounds (the sensitivities), the thresholds, the mechanism, the seed."""

    epsilon: float
    delta: float
    titles_per_device: int  # K: the sensitivity of TV trends
    titles_per_session: int  # the sensitivity of web trends
    pairs_per_device: int  # P
    queries_per_session: int  # Q
    min_units: int  # no pair or query released below this many devices or sessions
    pair_mechanism: Literal["gaussian", "laplace"]
    floor_error: float
    title_universe: int  # trends cover public title ids 1..N
    seed: int | None

    @classmethod
    def from_settings(cls, s: Settings) -> ReleasePolicy:
        return cls(s.epsilon, s.delta, s.max_titles_per_device, s.max_titles_per_session,
                   s.max_pairs_per_device, s.max_queries_per_session, s.min_devices,
                   s.pair_mechanism, s.floor_error, s.title_universe_size, s.release_seed)


@dataclass(frozen=True)
class WindowRelease:
    """One window's four releases, published together in one transaction."""

    window_start_ms: int
    window_end_ms: int
    trends: list[Record]
    web_trends: list[Record]
    edges: list[Record]
    searches: list[Record]


def release_window(policy: ReleasePolicy, window_start_ms: int, window_end_ms: int,
                   totals: WindowTotals, key: bytes | None) -> WindowRelease:
    """Noise one window's merged totals. Keyed noise (`key`) makes a rebuilt release
    identical to any earlier attempt."""
    p, start, end = policy, window_start_ms, window_end_ms
    titles = range(1, p.title_universe + 1)
    return WindowRelease(
        start, end,
        trends=release_trends(start, end, totals.titles, titles, p.epsilon,
                              p.titles_per_device, p.seed, key=key),
        web_trends=release_trends(start, end, totals.web_titles, titles, p.epsilon,
                                  p.titles_per_session, p.seed, source="web", key=key),
        edges=release_coview_edges(start, end, totals.pairs, p.epsilon, p.delta,
                                   p.pairs_per_device, p.min_units, p.seed, key,
                                   p.pair_mechanism, p.floor_error),
        searches=release_search_trends(start, end, totals.queries, p.epsilon, p.delta,
                                       p.queries_per_session, p.min_units, p.seed, key))


def release_trends(
    window_start_ms: int, window_end_ms: int, counts: Mapping[int, int],
    title_ids: Iterable[int], epsilon: float, sensitivity: int, seed: int | None,
    source: str = "tv", key: bytes | None = None,
) -> list[Record]:
    """TrendRelease records for one window: every catalog title, noised (public partitions)."""
    state = window_random_state(seed, "trends" if source == "tv" else f"trends-{source}",
                                window_start_ms, key)
    noisy = noisy_counts(counts, title_ids, epsilon, sensitivity, state)
    return [
        {"window_start_ms": window_start_ms, "window_end_ms": window_end_ms,
         "title_id": title_id, "noisy_count": value, "epsilon": epsilon,
         "sensitivity": sensitivity, "source": source}
        for title_id, value in noisy.items()
    ]


def release_coview_edges(
    window_start_ms: int, window_end_ms: int, pair_counts: Mapping[int, int] | PairCounts,
    epsilon: float, delta: float, max_pairs: int, min_devices: int, seed: int | None,
    key: bytes | None = None, mechanism: str = "gaussian", floor_error: float = 1e-9,
) -> list[Record]:
    """CoviewEdge records: pairs whose noisy device count passes the mechanism's threshold.

    `mechanism` "gaussian" (shipped): discrete Gaussian noise for ℓ2 sensitivity √P and
    the threshold max(τ_Gaussian, the floor that a pair of min_devices − 1 devices passes
    with probability ≤ floor_error); "laplace" (the naive release, kept for comparison):
    discrete Laplace of scale P/ε and max(τ, min_devices) on the noisy count.
    """
    if not isinstance(pair_counts, PairCounts):
        pair_counts = PairCounts.from_mapping(pair_counts)
    state = window_random_state(seed, "coview", window_start_ms, key)
    if mechanism == "gaussian":
        passed, noisy = select_partitions_gaussian(pair_counts.counts, epsilon, delta,
                                                   max_pairs, min_devices, floor_error, state)
    elif mechanism == "laplace":
        passed, noisy = select_partition_arrays(pair_counts.counts, epsilon, delta, max_pairs,
                                                min_devices, state)
    else:
        raise ValueError(f"unknown pair mechanism {mechanism!r}: 'gaussian' or 'laplace'")
    keys = pair_counts.keys[passed]
    firsts = (keys >> PAIR_SHIFT).tolist()
    seconds = (keys & ((1 << PAIR_SHIFT) - 1)).tolist()
    return [{"title_a": a, "title_b": b,
             "window_start_ms": window_start_ms, "window_end_ms": window_end_ms,
             "noisy_count": value, "epsilon": epsilon}
            for a, b, value in zip(firsts, seconds, noisy.tolist(), strict=True)]


def release_search_trends(
    window_start_ms: int, window_end_ms: int, query_counts: Mapping[str, int],
    epsilon: float, delta: float, max_queries: int, min_sessions: int, seed: int | None,
    key: bytes | None = None,
) -> list[Record]:
    """SearchTrendRelease records: queries whose noisy session count passes the threshold."""
    state = window_random_state(seed, "searches", window_start_ms, key)
    released = select_partitions(query_counts, epsilon, delta, max_queries, min_sessions, state)
    return [{"window_start_ms": window_start_ms, "window_end_ms": window_end_ms,
             "query": query, "noisy_count": value, "epsilon": epsilon}
            for query, value in released.items()]
