"""Bounding and window counts, without a broker."""

from __future__ import annotations

import random
from collections import Counter

import pytest

import omega.windows
from omega.validation import DeltaRejected, DeviceDelta, WatchedTitle
from omega.windows import (
    Bounds,
    Contribution,
    WindowCounts,
    apply_delta,
    bound_titles,
    decode_state,
    retire,
    state_bytes,
    window_start,
)
from streams.direct import usable_states


def delta(seq: int, titles: list[tuple[int, int]], device: str = "tv-1") -> DeviceDelta:
    return DeviceDelta(device, seq, 0, tuple(WatchedTitle(t, s, 0.5, None) for t, s in titles),
                       "t/1")


def test_window_start_is_tumbling() -> None:
    assert window_start(0, 1000) == 0
    assert window_start(999, 1000) == 0
    assert window_start(1000, 1000) == 1000


def test_bound_keeps_most_watched_first_then_lowest_id() -> None:
    watched = [WatchedTitle(t, s, 0.5, None) for t, s in [(5, 10), (3, 900), (9, 900), (1, 50)]]
    assert bound_titles(watched, [], 3) == [3, 9, 1]


@pytest.mark.parametrize("seed", range(10))
def test_bound_order_is_seconds_descending_then_id_on_random_ties(seed: int) -> None:
    rng = random.Random(seed)
    watched = [WatchedTitle(rng.randint(1, 30), rng.choice([0, 5, 5, 60]), 0.5, None)
               for _ in range(rng.randint(0, 20))]
    expected = []
    for title in sorted(watched, key=lambda t: (-t.seconds_watched, t.title_id)):
        if title.title_id not in expected:
            expected.append(title.title_id)
    assert bound_titles(watched, [], 50) == expected


@pytest.mark.parametrize("seed", range(20))
def test_bounding_never_exceeds_k_whatever_the_input(seed: int) -> None:
    rng = random.Random(seed)
    k = rng.randint(1, 10)
    state = None
    for seq in range(rng.randint(1, 8)):
        titles = [(rng.randint(1, 30), rng.randint(0, 100)) for _ in range(rng.randint(0, 32))]
        state = apply_delta(state, delta(seq, titles), 0, Bounds(k, 45), None).state
        contribution = decode_state(state).windows[0]
        assert len(contribution.titles) <= k
        assert len(set(contribution.titles)) == len(contribution.titles)


def test_later_deltas_merge_without_exceeding_k() -> None:
    first = apply_delta(None, delta(1, [(1, 10), (2, 10)]), 0, Bounds(3, 10), None)
    assert first.added == [1, 2]
    second = apply_delta(first.state, delta(2, [(2, 99), (3, 5), (4, 1)]), 0, Bounds(3, 10),
                         None)
    assert second.added == [3]
    assert decode_state(second.state).windows[0].titles == [1, 2, 3]


def test_a_resent_delta_changes_nothing() -> None:
    state = apply_delta(None, delta(7, [(1, 10)]), 0, Bounds(5, 10), None).state
    with pytest.raises(DeltaRejected) as err:
        apply_delta(state, delta(7, [(2, 10)]), 0, Bounds(5, 10), None)
    assert err.value.code == "duplicate"
    assert decode_state(state).windows[0].titles == [1]


def test_released_windows_are_dropped_from_device_state() -> None:
    state = apply_delta(None, delta(1, [(1, 10)]), 0, Bounds(5, 10), None).state
    state = apply_delta(state, delta(2, [(2, 10)]), 1000, Bounds(5, 10), 0).state
    assert list(decode_state(state).windows) == [1000]


def as_dicts(counts: WindowCounts) -> dict[int, tuple[dict[int, int], dict[int, int]]]:
    return {w: (dict(counts.counted(w)[0]), counts.counted(w)[1].as_dict())
            for w in sorted(counts.windows())}


def test_rebuild_equals_incremental_counts() -> None:
    rng = random.Random(3)
    live = WindowCounts(5)
    table: dict[str, dict] = {}  # type: ignore[type-arg]
    for i in range(300):
        device = f"tv-{rng.randint(0, 40)}"
        window = rng.choice([0, 1000, 2000])
        titles = [(rng.randint(1, 20), rng.randint(0, 100)) for _ in range(rng.randint(1, 6))]
        applied = apply_delta(table.get(device), delta(i, titles, device), window,
                              Bounds(4, 5), None)
        table[device] = applied.state
        live.add(window, applied.titles, applied.first_new)
    rebuilt = WindowCounts(5)
    for state in table.values():
        rebuilt.add_record(decode_state(state), None)
    assert as_dicts(rebuilt) == as_dicts(live)
    after_release = WindowCounts(5)
    for state in table.values():
        after_release.add_record(decode_state(state), closed_through_ms=0)
    assert after_release.windows() == {1000, 2000}


@pytest.mark.parametrize("seed", range(12))
def test_batch_counts_equal_one_delta_at_a_time(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """WindowCounts counts in numpy batches; it must give exactly what a Counter of each
    delta's added titles and `bound_pairs` gives, across batch and merge boundaries."""
    monkeypatch.setattr(omega.windows, "COUNT_BATCH", 7)
    monkeypatch.setattr(omega.windows, "MERGE_AT", 2)
    rng = random.Random(seed)
    k, p = rng.randint(1, 12), rng.randint(0, 70)
    counts, table = WindowCounts(p), {}  # type: ignore[var-annotated]
    titles: dict[int, Counter[int]] = {}
    pairs: dict[int, Counter[int]] = {}
    for i in range(rng.randint(1, 200)):
        device, window = f"tv-{rng.randint(0, 30)}", rng.choice([0, 1000])
        watched = [(rng.randint(1, 50), rng.randint(0, 100)) for _ in range(rng.randint(0, 9))]
        applied = apply_delta(table.get(device), delta(i, watched, device), window,
                              Bounds(k, p), None)
        table[device] = applied.state
        counts.add(window, applied.titles, applied.first_new)
        titles.setdefault(window, Counter()).update(applied.added)
        pairs.setdefault(window, Counter()).update(applied.pairs)
        if rng.random() < 0.05:  # reading counts mid-stream must not change them
            counts.counted(window)
    for window in (0, 1000):
        got_titles, got_pairs = counts.pop(window)
        assert got_titles == +titles.get(window, Counter())
        assert got_pairs.as_dict() == dict(+pairs.get(window, Counter()))
        assert list(got_pairs.keys) == sorted(got_pairs.keys)
    assert counts.windows() == set()


def test_released_devices_keep_their_ledger_only_then_a_tombstone() -> None:
    hour = 3_600_000
    state = {"w": [[0, [1, 2], [1]], [hour, [3], [2]]], "l": [[0, 0.2], [hour, 0.2]], "p": 3}
    keep = 24 * hour
    assert retire(state, released_through_ms=0, keep_ms=keep) is state, \
        "a window still open keeps everything"
    ledger_only = retire(state, released_through_ms=hour, keep_ms=keep)
    assert ledger_only == {"w": [], "l": [[0, 0.2], [hour, 0.2]], "p": 3}
    assert ledger_only is not None
    assert retire(ledger_only, 2 * hour, keep) is ledger_only, "nothing left to drop"
    assert retire(ledger_only, hour + keep - 1, keep) is ledger_only, \
        "a window after the last one released still sees the last charge"
    assert retire(ledger_only, hour + keep, keep) is None, "no cap can see it: tombstone"
    assert retire({"w": [], "l": []}, hour, keep) is None


def test_a_restore_ignores_values_that_are_not_a_workers_state() -> None:
    good = state_bytes({"w": [[0, [1, 2], [1]]], "l": [[0, 0.2]], "p": 1})
    table = {"tv-1": good, "tv-2": b"v", "tv-3": b"1", "tv-4": b'{"l": []}', "tv-5": b"[]"}
    assert list(usable_states(table)) == ["tv-1"]
    assert usable_states(table)["tv-1"].windows == {0: Contribution([1, 2], [1])}
