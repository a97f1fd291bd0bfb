"""Tumbling windows, per-device contribution bounding, and the counts derived from them.

A device's contributions are the source of truth (one table write per delta); the
per-title counts are derived, kept in memory and rebuilt from the table on recovery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from streams.validation import DeltaRejected, DeviceDelta, WatchedTitle


def window_start(timestamp_ms: int, window_ms: int) -> int:
    return timestamp_ms - timestamp_ms % window_ms


def bound_titles(watched: Sequence[WatchedTitle], already: Sequence[int], k: int) -> list[int]:
    """The titles to add to a device's window set so that it never holds more than `k`.

    Most-watched first (then lowest id): deterministic, needs no secret, and keeps the
    titles the viewer actually spent time on. Titles already in the set are skipped.
    """
    room = k - len(already)
    if room <= 0:
        return []
    have = set(already)
    added: list[int] = []
    for title in sorted(watched, key=lambda t: (-t.seconds_watched, t.title_id)):
        if title.title_id not in have:
            have.add(title.title_id)
            added.append(title.title_id)
            if len(added) == room:
                break
    return added


@dataclass(slots=True)
class Contribution:
    """What one device contributed to one window: bounded titles and the seqs seen."""

    titles: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)


# Table value: {"w": [[window_start_ms, [titles...], [seqs...]], ...]} (JSON-friendly).
DeviceState = dict[str, Any]


def decode_state(state: DeviceState | None) -> dict[int, Contribution]:
    if not state:
        return {}
    return {int(w): Contribution(list(t), list(s)) for w, t, s in state["w"]}


def encode_state(windows: dict[int, Contribution]) -> DeviceState:
    return {"w": [[w, c.titles, c.seqs] for w, c in sorted(windows.items())]}


def apply_delta(
    state: DeviceState | None,
    delta: DeviceDelta,
    window: int,
    k: int,
    released_through_ms: int | None,
) -> tuple[DeviceState, list[int]]:
    """Merge `delta` into the device's state for `window`; returns (new state, titles added).

    Windows already released are dropped from the state so it stays bounded.
    """
    windows = decode_state(state)
    if released_through_ms is not None:
        windows = {w: c for w, c in windows.items() if w > released_through_ms}
    contribution = windows.setdefault(window, Contribution())
    if delta.seq in contribution.seqs:
        raise DeltaRejected(
            "duplicate",
            f"device already sent seq {delta.seq} in this window; a re-sent delta counts once")
    added = bound_titles(delta.titles, contribution.titles, k)
    contribution.titles.extend(added)
    contribution.seqs.append(delta.seq)
    return encode_state(windows), added


@dataclass
class WindowCounts:
    """Devices per title per open window, derived from the contributions table."""

    by_window: dict[int, Counter[int]] = field(default_factory=dict)

    def add(self, window: int, titles: Iterable[int]) -> None:
        counter = self.by_window.get(window)
        if counter is None:
            counter = self.by_window[window] = Counter()
        counter.update(titles)

    def pop(self, window: int) -> Counter[int]:
        return self.by_window.pop(window, Counter())

    def rebuild(self, states: Iterable[DeviceState], released_through_ms: int | None) -> int:
        """Recount from the table after recovery; returns the contributions read."""
        self.by_window.clear()
        read = 0
        for state in states:
            for window, contribution in decode_state(state).items():
                if released_through_ms is None or window > released_through_ms:
                    self.add(window, contribution.titles)
                    read += 1
        return read
