"""Tumbling windows, per-device contribution bounding, and the counts derived from them.

A device's contributions are the source of truth (one table write per delta); the
per-title and per-pair counts are derived, kept in memory and rebuilt from the table
on recovery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omega.validation import DeltaRejected, DeviceDelta, WatchedTitle
from streams.ledger import LedgerPolicy, PrivacyLedger

PAIR_SHIFT = 32


def window_start(timestamp_ms: int, window_ms: int) -> int:
    return timestamp_ms - timestamp_ms % window_ms


def pair_key(a: int, b: int) -> int:
    """One int per unordered pair (smaller id high): half the memory of a tuple key."""
    low, high = (a, b) if a < b else (b, a)
    return low << PAIR_SHIFT | high


def pair_of(key: int) -> tuple[int, int]:
    return key >> PAIR_SHIFT, key & ((1 << PAIR_SHIFT) - 1)


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


def bound_pairs(titles: Sequence[int], first_new: int, already: int, p: int) -> list[int]:
    """Pair keys for titles[first_new:] with every earlier title, until `p` pairs in all.

    Titles are in bounding order (most-watched first), so the pairs kept are those
    among the device's most-watched titles: (t0,t1), (t0,t2), (t1,t2), (t0,t3), …
    Because titles are only ever appended, a device's pairs are always the first
    `pair_count(len(titles), p)` of that order: derived from its titles, never stored.
    """
    room = p - already
    added: list[int] = []
    for j in range(max(first_new, 1), len(titles)):
        if len(added) >= room:
            break
        b = titles[j]  # pair_key inlined: 45 pairs a delta on the worker's hot path
        added += [a << PAIR_SHIFT | b if a < b else b << PAIR_SHIFT | a for a in titles[:j]]
    return added[:max(room, 0)]


def pair_count(titles: int, p: int) -> int:
    """How many pairs a window contribution of `titles` titles holds under bound `p`."""
    return max(0, min(p, titles * (titles - 1) // 2))


@dataclass(slots=True)
class Contribution:
    """What one device contributed to one window: bounded titles and the seqs seen.
    Its pairs are `pairs(p)`: derived from the titles (see `bound_pairs`)."""

    titles: list[int] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)

    def pairs(self, p: int) -> list[int]:
        return bound_pairs(self.titles, 0, 0, p)


@dataclass(slots=True)
class DeviceRecord:
    """A device's table value: open windows' contributions and its privacy ledger."""

    windows: dict[int, Contribution] = field(default_factory=dict)
    ledger: PrivacyLedger = field(default_factory=PrivacyLedger)


# Table value, JSON-friendly: {"w": [[window, titles, seqs], ...], "l": [[window, eps]]}.
# Values written before pairs were derived carry a fourth list, the same pairs: ignored.
DeviceState = dict[str, Any]


def decode_state(state: DeviceState | None) -> DeviceRecord:
    if not state:
        return DeviceRecord()
    windows = {int(w[0]): Contribution(list(w[1]), list(w[2])) for w in state["w"]}
    ledger = PrivacyLedger([(int(w), float(e)) for w, e in state.get("l", [])])
    return DeviceRecord(windows, ledger)


def encode_state(record: DeviceRecord) -> DeviceState:
    return {"w": [[w, c.titles, c.seqs] for w, c in sorted(record.windows.items())],
            "l": [[w, e] for w, e in record.ledger.charges]}


@dataclass(frozen=True, slots=True)
class Bounds:
    """Per device per window: at most `titles` titles (K) and `pairs` pairs (P)."""

    titles: int
    pairs: int


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one delta on a device: new table value and what it added."""

    state: DeviceState
    titles: list[int]
    pairs: list[int]
    over_budget: bool = False


def apply_delta(
    state: DeviceState | None,
    delta: DeviceDelta,
    window: int,
    bounds: Bounds,
    released_through_ms: int | None,
    policy: LedgerPolicy | None = None,
) -> Applied:
    """Merge `delta` into the device's state for `window`, within K, P and the budget.

    Windows already released are dropped from the state so it stays bounded. A device
    over budget adds nothing and its state is left as it was.
    """
    record = decode_state(state)
    if released_through_ms is not None:
        record.windows = {w: c for w, c in record.windows.items() if w > released_through_ms}
    contribution = record.windows.get(window)
    if contribution is not None and delta.seq in contribution.seqs:
        raise DeltaRejected(
            "duplicate",
            f"device already sent seq {delta.seq} in this window; a re-sent delta counts once")
    if contribution is None:
        if policy is not None:
            record.ledger.expire(window, policy.horizon_ms)
            if not record.ledger.try_charge(window, policy):
                return Applied(state or encode_state(DeviceRecord()), [], [], over_budget=True)
        contribution = record.windows[window] = Contribution()
    first_new = len(contribution.titles)
    titles = bound_titles(delta.titles, contribution.titles, bounds.titles)
    contribution.titles.extend(titles)
    pairs = bound_pairs(contribution.titles, first_new, pair_count(first_new, bounds.pairs),
                        bounds.pairs)
    contribution.seqs.append(delta.seq)
    return Applied(encode_state(record), titles, pairs)


@dataclass
class WindowCounts:
    """Devices per title and per pair in each open window, derived from the table."""

    titles: dict[int, Counter[int]] = field(default_factory=dict)
    pairs: dict[int, Counter[int]] = field(default_factory=dict)

    def add(self, window: int, titles: Iterable[int], pairs: Iterable[int] = ()) -> None:
        self.titles.setdefault(window, Counter()).update(titles)
        self.pairs.setdefault(window, Counter()).update(pairs)

    def windows(self) -> set[int]:
        return set(self.titles) | set(self.pairs)

    def pop(self, window: int) -> tuple[Counter[int], Counter[int]]:
        return self.titles.pop(window, Counter()), self.pairs.pop(window, Counter())

    def add_state(self, state: DeviceState, closed_through_ms: int | None, p: int) -> int:
        """Count one device's open contributions (pairs bounded by `p`); returns how many
        windows it had."""
        read = 0
        for window, contribution in decode_state(state).windows.items():
            if closed_through_ms is None or window > closed_through_ms:
                self.add(window, contribution.titles, contribution.pairs(p))
                read += 1
        return read
