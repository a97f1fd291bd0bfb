"""The window pipeline without Faust: what happens to one event, and when windows close.

The Faust agents in streams/app.py are thin wrappers around `WindowPipeline`, so this
logic is tested without a broker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from omega.avro import AvroCodec
from omega.settings import Settings
from streams.ledger import LedgerPolicy
from streams.release import release_coview_edges, release_search_trends, release_trends
from streams.validation import DeltaLimits, DeltaRejected, parse_delta
from streams.web import SessionState, WebLimits, apply_interaction, parse_interaction
from streams.windows import Bounds, DeviceState, WindowCounts, apply_delta, window_start

log = logging.getLogger(__name__)

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Accepted:
    """An event that was processed: the unit's new table value (None: leave it as is)."""

    unit: str
    window: int
    state: DeviceState | SessionState | None


@dataclass(slots=True)
class WebCounts:
    """Sessions per title and per query in each open window."""

    titles: dict[int, Counter[int]] = field(default_factory=dict)
    queries: dict[int, Counter[str]] = field(default_factory=dict)

    def add(self, window: int, titles: list[int], queries: list[str]) -> None:
        self.titles.setdefault(window, Counter()).update(titles)
        self.queries.setdefault(window, Counter()).update(queries)

    def rebuild(self, states: Any, released_through_ms: int | None) -> None:
        self.titles.clear()
        self.queries.clear()
        for state in states:
            for window, queries, titles in state.get("w", []):
                if released_through_ms is None or window > released_through_ms:
                    self.add(window, titles, queries)


@dataclass(frozen=True, slots=True)
class WindowRelease:
    window_start_ms: int
    window_end_ms: int
    trends: list[Record]
    web_trends: list[Record]
    edges: list[Record]
    searches: list[Record]


class WindowPipeline:
    """Validate → bound per unit → count per window → release due windows with DP noise."""

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.limits = DeltaLimits.from_settings(settings)
        self.web_limits = WebLimits.from_settings(settings)
        self.bounds = Bounds(settings.max_titles_per_device, settings.max_pairs_per_device)
        self.policy = LedgerPolicy(settings.ledger_budget,
                                   int(settings.ledger_horizon_seconds * 1000),
                                   settings.cost_per_window)
        self.window_ms = int(settings.window_seconds * 1000)
        self.lateness_ms = int(settings.allowed_lateness_seconds * 1000)
        self.counts = WindowCounts()
        self.web = WebCounts()
        self.released_through_ms: int | None = None
        self.metrics: Counter[str] = Counter()

    def accept_delta(
        self, key: bytes | None, raw: bytes, device_state: Callable[[str], Any], now_ms: int,
    ) -> Accepted:
        """Process one TV delta; raises DeltaRejected (dead-lettered) when it cannot count."""
        try:
            delta = parse_delta(raw, self.codec, self.limits, now_ms)
            self._check_key(key, delta.device_id, "device_id")
            window = window_start(delta.sent_at_ms, self.window_ms)
            self._check_open(window, now_ms)
            applied = apply_delta(device_state(delta.device_id), delta, window, self.bounds,
                                  self.released_through_ms, self.policy)
        except DeltaRejected as exc:
            self.metrics[f"dead_letter.{exc.code}"] += 1
            raise
        if applied.over_budget:
            self.metrics["ledger.over_budget"] += 1
            return Accepted(delta.device_id, window, None)
        self.counts.add(window, applied.titles, applied.pairs)
        self.metrics["deltas.accepted"] += 1
        return Accepted(delta.device_id, window, applied.state)

    def accept_interaction(
        self, key: bytes | None, raw: bytes, session_state: Callable[[str], Any], now_ms: int,
    ) -> Accepted:
        """Process one web interaction; raises DeltaRejected when it cannot count."""
        try:
            event = parse_interaction(raw, self.codec, self.web_limits, now_ms)
            self._check_key(key, event.session_id, "session_id")
            window = window_start(event.at_ms, self.window_ms)
            self._check_open(window, now_ms)
        except DeltaRejected as exc:
            self.metrics[f"dead_letter.{exc.code}"] += 1
            raise
        state, queries, titles = apply_interaction(
            session_state(event.session_id), event, window,
            self.settings.max_queries_per_session, self.settings.max_titles_per_session,
            self.released_through_ms)
        self.web.add(window, titles, queries)
        self.metrics["interactions.accepted"] += 1
        return Accepted(event.session_id, window, state)

    @staticmethod
    def _check_key(key: bytes | None, unit: str, field_name: str) -> None:
        if key is None or key.decode("utf-8", "replace") != unit:
            raise DeltaRejected(
                "key_mismatch",
                f"message key must be the {field_name} so a unit stays on one partition")

    def _check_open(self, window: int, now_ms: int) -> None:
        closes_at = window + self.window_ms + self.lateness_ms
        released = self.released_through_ms is not None and window <= self.released_through_ms
        if released or closes_at <= now_ms:
            raise DeltaRejected(
                "late",
                f"event belongs to window {window} which closed at {closes_at} "
                f"(allowed lateness {self.lateness_ms / 1000:.0f} s); now {now_ms}")

    def due_windows(self, now_ms: int) -> list[int]:
        """Closed windows not yet released, oldest first, including empty ones in between."""
        closed_before = now_ms - self.window_ms - self.lateness_ms  # starts <= this are closed
        open_windows = self.counts.windows() | set(self.web.titles)
        if self.released_through_ms is not None:
            first = self.released_through_ms + self.window_ms
        elif open_windows:
            first = min(open_windows)
        else:
            return []
        due = list(range(first, closed_before + 1, self.window_ms))
        cap = self.settings.max_catchup_windows
        if len(due) > cap:
            log.warning("%d windows due; releasing the newest %d (OMEGA_MAX_CATCHUP_WINDOWS)",
                        len(due), cap)
            self.metrics["windows.skipped"] += len(due) - cap
            due = due[-cap:]
        return due

    def release(self, window: int) -> WindowRelease:
        """Noise one closed window; the caller publishes it, then calls `mark_released`."""
        s, end = self.settings, window + self.window_ms
        titles = range(1, s.title_universe_size + 1)
        return WindowRelease(
            window, end,
            trends=release_trends(window, end, self.counts.titles.get(window, Counter()), titles,
                                  s.epsilon, s.max_titles_per_device, s.release_seed),
            web_trends=release_trends(window, end, self.web.titles.get(window, Counter()),
                                      titles, s.epsilon, s.max_titles_per_session,
                                      s.release_seed, source="web"),
            edges=release_coview_edges(window, end, self.counts.pairs.get(window, Counter()),
                                       s.epsilon, s.delta, s.max_pairs_per_device,
                                       s.min_devices, s.release_seed),
            searches=release_search_trends(window, end, self.web.queries.get(window, Counter()),
                                           s.epsilon, s.delta, s.max_queries_per_session,
                                           s.min_devices, s.release_seed),
        )

    def mark_released(self, window: int) -> None:
        self.counts.pop(window)
        self.web.titles.pop(window, None)
        self.web.queries.pop(window, None)
        self.released_through_ms = window
        self.metrics["windows.released"] += 1
