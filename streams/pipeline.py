"""The window pipeline without Faust: what happens to one event, and when windows close.

The Faust agents in streams/app.py are thin wrappers around `WindowPipeline`, so this
logic is tested without a broker.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from omega.dp.ledger import LedgerPolicy
from omega.dp.selection import gaussian_selection
from omega.kafka.avro import AvroCodec
from omega.keys import (
    SEALED_REASON,
    dead_letter_key,
    letter_context,
    mask,
    release_key,
    seal,
)
from omega.partials import PairCounts, WindowTotals, partial_records
from omega.release import ReleasePolicy, WindowRelease, release_window
from omega.settings import Settings
from omega.validation import DeltaLimits, DeltaRejected, parse_delta
from omega.windows import (
    Bounds,
    DeviceRecord,
    DeviceState,
    WindowCounts,
    apply_delta,
    window_start,
)
from streams.web import SessionState, WebLimits, apply_interaction, parse_interaction

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

    def add_state(self, state: Any, closed_through_ms: int | None) -> None:
        for window, queries, titles in state.get("w", []):
            if closed_through_ms is None or window > closed_through_ms:
                self.add(window, titles, queries)


class WindowPipeline:
    """Validate → bound per unit → count per partition and window → partials at close.

    Counts are kept per source partition, so that a partition's counts can be handed to
    the releaser as one partial whichever worker owns it (omega/partials.py).
    """

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.limits = DeltaLimits.from_settings(settings)
        self.release_policy = ReleasePolicy.from_settings(settings)
        self.web_limits = WebLimits.from_settings(settings)
        self.bounds = Bounds(settings.max_titles_per_device, settings.max_pairs_per_device)
        if settings.pair_mechanism == "gaussian":  # calibrate σ now (~0.3 s), not at a close
            gaussian_selection(settings.epsilon, settings.delta, settings.max_pairs_per_device,
                               settings.min_devices, settings.floor_error)
        self.policy = LedgerPolicy.from_settings(settings)
        self.window_ms = int(settings.window_seconds * 1000)
        self.lateness_ms = int(settings.allowed_lateness_seconds * 1000)
        self.counts: dict[int, WindowCounts] = {}
        self.web: dict[int, WebCounts] = {}
        # Last window whose partial this worker published, per (source, partition).
        self.published: dict[tuple[str, int], int] = {}
        self.released_through_ms: int | None = None
        # Exact counts of raw data (accepted deltas, over-budget devices, dead letters):
        # kept in memory for tests and debugging, never logged; see health_metrics().
        self.metrics: Counter[str] = Counter()
        self._noise_key: bytes | None = None
        self._letter_key: bytes | None = None

    def health_metrics(self) -> dict[str, int]:
        """The counters a log may carry: the worker's own faults, never counts of devices,
        deltas, pairs or dead letters (those are raw data; docs/privacy.md, "Logs")."""
        return {k: v for k, v in sorted(self.metrics.items())
                if k.startswith(("partials.", "windows.", "state."))}

    def accept_delta(
        self, key: bytes | None, raw: bytes, device_state: Callable[[str], Any], now_ms: int,
        partition: int = 0,
    ) -> Accepted:
        """Process one TV delta; raises DeltaRejected (dead-lettered) when it cannot count."""
        try:
            delta = parse_delta(raw, self.codec, self.limits, now_ms)
            self._check_key(key, delta.device_id, "device_id")
            window = window_start(delta.sent_at_ms, self.window_ms)
            closed_through = self._check_open("tv", partition, window, now_ms)
            applied = apply_delta(device_state(delta.device_id), delta, window, self.bounds,
                                  closed_through, self.policy,
                                  released_through_ms=self.released_through_ms)
        except DeltaRejected as exc:
            self.metrics[f"dead_letter.{exc.code}"] += 1
            raise
        if applied.over_budget:
            self.metrics["ledger.over_budget"] += 1
            return Accepted(delta.device_id, window, None)
        self._tv_counts(partition).add(window, applied.titles, applied.first_new)
        self.metrics["deltas.accepted"] += 1
        return Accepted(delta.device_id, window, {**applied.state, "p": partition})

    def accept_interaction(
        self, key: bytes | None, raw: bytes, session_state: Callable[[str], Any], now_ms: int,
        partition: int = 0,
    ) -> Accepted:
        """Process one web interaction; raises DeltaRejected when it cannot count."""
        try:
            event = parse_interaction(raw, self.codec, self.web_limits, now_ms)
            self._check_key(key, event.session_id, "session_id")
            window = window_start(event.at_ms, self.window_ms)
            closed_through = self._check_open("web", partition, window, now_ms)
        except DeltaRejected as exc:
            self.metrics[f"dead_letter.{exc.code}"] += 1
            raise
        state, queries, titles = apply_interaction(
            session_state(event.session_id), event, window,
            self.settings.max_queries_per_session, self.settings.max_titles_per_session,
            closed_through, self.policy, released_through_ms=self.released_through_ms)
        self.web.setdefault(partition, WebCounts()).add(window, titles, queries)
        self.metrics["interactions.accepted"] += 1
        return Accepted(event.session_id, window, {**state, "p": partition})

    def _tv_counts(self, partition: int) -> WindowCounts:
        counts = self.counts.get(partition)
        if counts is None:
            counts = self.counts[partition] = WindowCounts(self.bounds.pairs)
        return counts

    @property
    def letter_key(self) -> bytes:
        """The dead-letter key (OMEGA_DEAD_LETTER_KEY, else the data folder's), read once."""
        if self._letter_key is None:
            self._letter_key = dead_letter_key(self.settings.dead_letter_key,
                                               self.settings.data_dir)
        return self._letter_key

    def dead_letter(self, exc: Exception, raw: bytes, key: bytes | None, topic: str,
                    partition: int, offset: int) -> tuple[bytes | None, bytes]:
        """(message key, encoded DeadLetter) of an event that cannot count, with its reason.

        The original bytes, key and worded reason (which may name a title or a device) are
        sealed with AES-256-GCM; in clear stay the reason code, where it came from, and a
        keyed digest of the unit as the message key, so one device's letters group.
        An error that is not a rejection is a bug: logged with its traceback, and counted."""
        code = exc.code if isinstance(exc, DeltaRejected) else "processing_error"
        if code == "processing_error":
            log.error("unexpected error on %s[%d]@%d; dead-lettering it", topic, partition,
                      offset, exc_info=exc)
            self.metrics["dead_letter.processing_error"] += 1
        secret = self.letter_key
        sealed = seal(secret, orjson.dumps({
            "payload": base64.b64encode(raw).decode(),
            "key": None if key is None else base64.b64encode(key).decode(),
            "reason": str(exc) or repr(exc)}), letter_context(topic, partition, offset))
        unit = None if key is None else mask(secret, key.decode("utf-8", "replace")).encode()
        return unit, self.codec.encode("omega.DeadLetter", {
            "payload": sealed, "payload_key": unit, "source_topic": topic,
            "source_partition": partition, "source_offset": offset, "reason_code": code,
            "reason": SEALED_REASON, "error_class": type(exc).__name__,
            "at_ms": int(time.time() * 1000)})

    @staticmethod
    def _check_key(key: bytes | None, unit: str, field_name: str) -> None:
        if key is None or key.decode("utf-8", "replace") != unit:
            raise DeltaRejected(
                "key_mismatch",
                f"message key must be the {field_name} so a unit stays on one partition")

    def _closed_through(self, source: str, partition: int) -> int | None:
        published = self.published.get((source, partition))
        if published is None:
            return self.released_through_ms
        if self.released_through_ms is None:
            return published
        return max(published, self.released_through_ms)

    def _check_open(self, source: str, partition: int, window: int, now_ms: int) -> int | None:
        """Raise `late` for a closed window; returns the last closed window of the partition."""
        closed_through = self._closed_through(source, partition)
        closes_at = window + self.window_ms + self.lateness_ms
        if (closed_through is not None and window <= closed_through) or closes_at <= now_ms:
            raise DeltaRejected(
                "late",
                f"event belongs to window {window} which closed at {closes_at} "
                f"(allowed lateness {self.lateness_ms / 1000:.0f} s); now {now_ms}")
        return closed_through

    def rebuild_web(self, sessions: Iterable[Any]) -> None:
        """Recount the web partitions from the sessions table after its recovery (TV
        partitions are recounted one by one as the delta loop takes them:
        `rebuild_partition`)."""
        self.web.clear()
        for state in sessions:
            partition = int(state.get("p", 0))
            self.web.setdefault(partition, WebCounts()).add_state(
                state, self._closed_through("web", partition))

    def rebuild_partition(self, partition: int, devices: Iterable[DeviceRecord]) -> int:
        """Recount one TV partition from its decoded device states (after it was assigned
        here)."""
        counts = self.counts[partition] = WindowCounts(self.bounds.pairs)
        closed_through = self._closed_through("tv", partition)
        return sum(counts.add_record(record, closed_through) for record in devices)

    def due_partials(
        self, now_ms: int, owned: Mapping[str, Iterable[int]],
    ) -> list[tuple[str, int, int]]:
        """(source, partition, window) partials to publish now, oldest window first."""
        closed_before = now_ms - self.window_ms - self.lateness_ms  # starts <= this are closed
        due: list[tuple[str, int, int]] = []
        for source, partitions in owned.items():
            for partition in partitions:
                last = self._closed_through(source, partition)
                if last is None:  # first sight, nothing released yet: fix the start once
                    last = self._first_cursor(source, partition, closed_before)
                    self.published[(source, partition)] = last
                windows = list(range(last + self.window_ms, closed_before + 1, self.window_ms))
                cap = self.settings.max_catchup_windows
                if len(windows) > cap:
                    log.warning("%d windows due on %s[%d]; publishing the newest %d",
                                len(windows), source, partition, cap)
                    self.metrics["windows.skipped"] += len(windows) - cap
                    windows = windows[-cap:]
                due += [(source, partition, w) for w in windows]
        return sorted(due, key=lambda d: (d[2], d[0], d[1]))

    def take_due(self, now_ms: int, owned: Mapping[str, Iterable[int]]) -> Iterator[list[Record]]:
        """Take each due partial (`due_partials`) and yield its records; resume only once
        they are on Kafka: the step's timings are logged then."""
        for source, partition, window in self.due_partials(now_ms, owned):
            started = time.perf_counter()
            records = self.take_partial(source, partition, window,
                                        self.settings.delta_partitions)
            built = time.perf_counter()
            yield records
            log.info("release step: window %d %s[%d]: partials built in %.2f s, "
                     "acknowledged in %.2f s", window, source, partition,
                     built - started, time.perf_counter() - built)

    def _first_cursor(self, source: str, partition: int, closed_before: int) -> int:
        """The last window already closed, but never past a window this partition counted."""
        cursor = window_start(closed_before, self.window_ms)
        counts = self.counts.get(partition) if source == "tv" else self.web.get(partition)
        held = counts.windows() if isinstance(counts, WindowCounts) else (
            set(counts.titles) | set(counts.queries) if counts is not None else set())
        return min([cursor, *(w - self.window_ms for w in held)])

    def take_partial(self, source: str, partition: int, window: int,
                     partition_count: int) -> list[Record]:
        """Hand one partition's counts of a closed window over as partial records."""
        if source == "tv":
            titles, pairs = self._tv_counts(partition).pop(window)
            queries: Counter[str] = Counter()
        else:
            web = self.web.get(partition, WebCounts())
            titles, queries = web.titles.pop(window, Counter()), web.queries.pop(window, Counter())
            pairs = PairCounts.empty()
        self.published[(source, partition)] = window
        return partial_records(window, source, partition, partition_count, titles, pairs,
                               queries)

    def forget_partition(self, source: str, partition: int) -> None:
        """A partition moved to another worker: its counts and cursor are that worker's now."""
        self.published.pop((source, partition), None)
        (self.counts if source == "tv" else self.web).pop(partition, None)

    @property
    def noise_key(self) -> bytes | None:
        """The release noise's key (None when seeded or unkeyed), read once, when first
        needed: only the releaser makes or reads the data folder's key file."""
        s = self.settings
        if s.release_seed is not None or not s.release_keyed:
            return None
        if self._noise_key is None:
            self._noise_key = release_key(s.release_key, s.data_dir)
        return self._noise_key

    def release(self, window: int, totals: WindowTotals) -> WindowRelease:
        """Noise one window's merged totals; the caller publishes it in one transaction."""
        return release_window(self.release_policy, window, window + self.window_ms, totals,
                              self.noise_key)
