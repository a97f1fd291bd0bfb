"""The trends pipeline without Faust: what happens to one delta, and when windows close.

The Faust agents in streams/app.py are thin wrappers around `TrendsPipeline`, so this
logic is tested without a broker.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from omega.avro import AvroCodec
from omega.settings import Settings
from streams.release import release_trends
from streams.validation import DeltaLimits, DeltaRejected, DeviceDelta, parse_delta
from streams.windows import DeviceState, WindowCounts, apply_delta, window_start

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A delta that counted: the device's new table value and the window it went to."""

    delta: DeviceDelta
    window: int
    state: DeviceState
    added_titles: list[int]


@dataclass(frozen=True, slots=True)
class WindowRelease:
    window_start_ms: int
    window_end_ms: int
    records: list[dict[str, Any]]


class TrendsPipeline:
    """Validate → bound per device → count per window → release due windows with noise."""

    def __init__(self, settings: Settings, codec: AvroCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.limits = DeltaLimits.from_settings(settings)
        self.window_ms = int(settings.window_seconds * 1000)
        self.lateness_ms = int(settings.allowed_lateness_seconds * 1000)
        self.counts = WindowCounts()
        self.released_through_ms: int | None = None
        self.metrics: Counter[str] = Counter()

    def accept(
        self, key: bytes | None, raw: bytes, device_state: Callable[[str], DeviceState | None],
        now_ms: int,
    ) -> Accepted:
        """Process one raw delta; raises DeltaRejected (dead-lettered) when it cannot count."""
        try:
            delta = parse_delta(raw, self.codec, self.limits, now_ms)
            if key is None or key.decode("utf-8", "replace") != delta.device_id:
                raise DeltaRejected(
                    "key_mismatch",
                    "message key must be the delta's device_id so a device stays on one "
                    "partition")
            window = window_start(delta.sent_at_ms, self.window_ms)
            self._check_open(window, now_ms)
            state, added = apply_delta(
                device_state(delta.device_id), delta, window,
                self.settings.max_titles_per_device, self.released_through_ms)
        except DeltaRejected as exc:
            self.metrics[f"dead_letter.{exc.code}"] += 1
            raise
        self.counts.add(window, added)
        self.metrics["deltas.accepted"] += 1
        return Accepted(delta, window, state, added)

    def _check_open(self, window: int, now_ms: int) -> None:
        closes_at = window + self.window_ms + self.lateness_ms
        released = self.released_through_ms is not None and window <= self.released_through_ms
        if released or closes_at <= now_ms:
            raise DeltaRejected(
                "late",
                f"delta belongs to window {window} which closed at {closes_at} "
                f"(allowed lateness {self.lateness_ms / 1000:.0f} s); now {now_ms}")

    def due_windows(self, now_ms: int) -> list[int]:
        """Closed windows not yet released, oldest first, including empty ones in between."""
        closed_before = now_ms - self.window_ms - self.lateness_ms  # starts <= this are closed
        if self.released_through_ms is not None:
            first = self.released_through_ms + self.window_ms
        elif self.counts.by_window:
            first = min(self.counts.by_window)
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
        """Noise one closed window's counts; the caller publishes, then calls `mark_released`."""
        counts = self.counts.by_window.get(window, Counter())
        records = release_trends(
            window, window + self.window_ms, counts,
            range(1, self.settings.title_universe_size + 1),
            self.settings.epsilon, self.settings.max_titles_per_device,
            self.settings.release_seed)
        return WindowRelease(window, window + self.window_ms, records)

    def mark_released(self, window: int) -> None:
        self.counts.pop(window)
        self.released_through_ms = window
        self.metrics["windows.released"] += 1
