"""Tumbling windows, per-device contribution bounding, and the counts derived from them.

A device's contributions are the source of truth (one table write per delta); the
per-title and per-pair counts are derived, kept in memory and rebuilt from the table
on recovery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import orjson

from omega.dp.ledger import LedgerPolicy, PrivacyLedger
from omega.partials import IntArray, PairCounts
from omega.validation import DeltaRejected, DeviceDelta, WatchedTitle

PAIR_SHIFT = 32
_TITLE_ID, _SECONDS = itemgetter(0), itemgetter(1)  # WatchedTitle fields, for sorting


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
    # Two stable C-level sorts (id, then seconds descending) instead of a Python key.
    for title in sorted(sorted(watched, key=_TITLE_ID), key=_SECONDS, reverse=True):
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


def state_bytes(state: DeviceState) -> bytes:
    """A device's table value as the compact JSON bytes that are changelogged and held.

    orjson encodes it about 9× faster than `json`, but the bytes object it returns keeps
    a buffer of a few KB behind ~110 bytes of JSON (200,000 values held: 785 MB against
    30 MB); copying them out keeps only the JSON, and still costs a ninth of `json`."""
    return bytes(memoryview(orjson.dumps(state)))


def decode_state(state: DeviceState | None) -> DeviceRecord:
    if not state:
        return DeviceRecord()
    windows = {int(w[0]): Contribution(list(w[1]), list(w[2])) for w in state["w"]}
    ledger = PrivacyLedger([(int(w), float(e)) for w, e in state.get("l", [])])
    return DeviceRecord(windows, ledger)


def encode_state(record: DeviceRecord) -> DeviceState:
    return {"w": [[w, c.titles, c.seqs] for w, c in sorted(record.windows.items())],
            "l": [[w, e] for w, e in record.ledger.charges]}


def retire(state: DeviceState, released_through_ms: int, keep_ms: int) -> DeviceState | None:
    """What a device's table value becomes once its windows are released: `state` itself
    while a window is still open; its ledger alone once every window is released (the
    titles are no longer needed); None (a tombstone) once no window after
    `released_through_ms` can see its charges. Decided on released-window time, never on
    the worker's clock: a clock that jumps forward a year drops no charge."""
    record = decode_state(state)
    if any(w > released_through_ms for w in record.windows):
        return state
    last = record.ledger.last_needed(keep_ms)
    if last is None or last <= released_through_ms:
        return None
    if not record.windows:
        return state
    record.windows = {}
    return {**encode_state(record), **({"p": state["p"]} if "p" in state else {})}


@dataclass(frozen=True, slots=True)
class Bounds:
    """Per device per window: at most `titles` titles (K) and `pairs` pairs (P)."""

    titles: int
    pairs: int


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one delta on a device: its new table value, and its window's titles
    of which `titles[first_new:]` are what the delta added (with the pairs they make,
    at most `p` for the window)."""

    state: DeviceState
    titles: list[int]
    first_new: int
    p: int
    over_budget: bool = False

    @property
    def added(self) -> list[int]:
        return self.titles[self.first_new:]

    @property
    def pairs(self) -> list[int]:
        """The pair keys this delta added."""
        return bound_pairs(self.titles, self.first_new, pair_count(self.first_new, self.p),
                           self.p)


def apply_delta(
    state: DeviceState | None,
    delta: DeviceDelta,
    window: int,
    bounds: Bounds,
    closed_through_ms: int | None,
    policy: LedgerPolicy | None = None,
    *,
    released_through_ms: int | None = None,
) -> Applied:
    """Merge `delta` into the device's state for `window`, within K, P and the budget.

    Windows closed through `closed_through_ms` are dropped from the state so it stays
    bounded, and charges that no window after `released_through_ms` (the release log's)
    can see are dropped from the ledger. A device over budget adds nothing and its state
    is left as it was.
    """
    record = decode_state(state)
    if closed_through_ms is not None:
        record.windows = {w: c for w, c in record.windows.items() if w > closed_through_ms}
    contribution = record.windows.get(window)
    if contribution is not None and delta.seq in contribution.seqs:
        raise DeltaRejected(
            "duplicate",
            f"device already sent seq {delta.seq} in this window; a re-sent delta counts once")
    if contribution is None:
        if policy is not None:
            if released_through_ms is not None:
                record.ledger.expire(released_through_ms, policy.keep_ms)
            if not record.ledger.try_charge(window, policy):
                return Applied(state or encode_state(DeviceRecord()), [], 0, bounds.pairs,
                               over_budget=True)
        contribution = record.windows[window] = Contribution()
    first_new = len(contribution.titles)
    contribution.titles.extend(bound_titles(delta.titles, contribution.titles, bounds.titles))
    contribution.seqs.append(delta.seq)
    return Applied(encode_state(record), contribution.titles, first_new, bounds.pairs)


COUNT_BATCH = 4096  # contributions noted before they are counted (numpy, per batch)
MERGE_AT = 8  # count chunks kept per window before they are merged into one


def pair_columns(p: int, k: int) -> tuple[IntArray, IntArray]:
    """(i, j) title positions of the first min(p, k(k−1)/2) pairs in bounding order:
    (0,1), (0,2), (1,2), (0,3), … — pair number j(j−1)/2 + i, as `bound_pairs` adds them."""
    columns = [(i, j) for j in range(1, k) for i in range(j)][:p]
    return (np.array([i for i, _ in columns], dtype=np.int64),
            np.array([j for _, j in columns], dtype=np.int64))


@dataclass(slots=True)
class _OpenWindow:
    """One window's counts: contributions noted, not yet counted, and count chunks."""

    noted: list[tuple[Sequence[int], int]] = field(default_factory=list)
    titles: list[PairCounts] = field(default_factory=list)
    pairs: list[PairCounts] = field(default_factory=list)


class WindowCounts:
    """Devices per title and per pair in each open window, derived from the table.

    `add` only notes a device's window titles and where this delta's new ones start; a
    batch of notes is counted at once with numpy (the titles added, and the pairs they
    add: `bound_pairs`' order, vectorized), so the per-delta cost is one list append and
    the counts of a million devices are sorted arrays, not Python dicts.
    """

    def __init__(self, p: int) -> None:
        self.p = p
        self.open: dict[int, _OpenWindow] = {}

    def add(self, window: int, titles: Sequence[int], first_new: int = 0) -> None:
        """Count `titles[first_new:]` and the pairs they add to a device's `titles[:first_new]`."""
        if first_new >= len(titles):
            return
        counts = self.open.get(window)
        if counts is None:
            counts = self.open[window] = _OpenWindow()
        counts.noted.append((titles, first_new))
        if len(counts.noted) >= COUNT_BATCH:
            self._count(counts)

    def windows(self) -> set[int]:
        return set(self.open)

    def counted(self, window: int) -> tuple[Counter[int], PairCounts]:
        """Devices per title and per pair of `window` (empty if it has none)."""
        counts = self.open.get(window)
        if counts is None:
            return Counter(), PairCounts.empty()
        self._count(counts)
        counts.titles[:] = [PairCounts.summed(counts.titles)]
        counts.pairs[:] = [PairCounts.summed(counts.pairs)]
        return Counter(counts.titles[0].as_dict()), counts.pairs[0]

    def pop(self, window: int) -> tuple[Counter[int], PairCounts]:
        counted = self.counted(window)
        self.open.pop(window, None)
        return counted

    def add_record(self, record: DeviceRecord, closed_through_ms: int | None) -> int:
        """Count one device's open contributions (its decoded state); returns how many
        windows it had."""
        read = 0
        for window, contribution in record.windows.items():
            if closed_through_ms is None or window > closed_through_ms:
                self.add(window, contribution.titles)
                read += 1
        return read

    def _count(self, counts: _OpenWindow) -> None:
        noted, counts.noted = counts.noted, []
        if not noted:
            return
        lengths = np.fromiter((len(t) for t, _ in noted), np.int64, len(noted))
        firsts = np.fromiter((f for _, f in noted), np.int64, len(noted))
        flat = np.fromiter(chain.from_iterable(t for t, _ in noted), np.int64,
                           int(lengths.sum()))
        starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
        column = np.arange(len(flat)) - starts
        counts.titles.append(_unique(flat[column >= np.repeat(firsts, lengths)]))
        width = int(lengths.max())
        if width > 1 and self.p > 0:
            padded = np.zeros((len(noted), width), np.int64)
            padded[np.repeat(np.arange(len(noted)), lengths), column] = flat
            i, j = pair_columns(self.p, width)
            a, b = padded[:, i], padded[:, j]
            keys = np.where(a < b, a << PAIR_SHIFT | b, b << PAIR_SHIFT | a)
            number = np.arange(len(i))
            kept = ((number >= _pair_count(firsts, self.p)[:, None])
                    & (number < _pair_count(lengths, self.p)[:, None]))
            counts.pairs.append(_unique(keys[kept]))
        for chunks in (counts.titles, counts.pairs):
            if len(chunks) > MERGE_AT:
                chunks[:] = [PairCounts.summed(chunks)]


def _pair_count(titles: IntArray, p: int) -> IntArray:
    """`pair_count` of each entry."""
    counts: IntArray = np.minimum(p, titles * (titles - 1) // 2)
    return counts


def _unique(keys: IntArray) -> PairCounts:
    unique, counts = np.unique(keys, return_counts=True)
    return PairCounts(unique, counts.astype(np.int64))
