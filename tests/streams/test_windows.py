"""Bounding and window counts, without a broker."""

from __future__ import annotations

import random

import pytest

from streams.validation import DeltaRejected, DeviceDelta, WatchedTitle
from streams.windows import WindowCounts, apply_delta, bound_titles, decode_state, window_start


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


@pytest.mark.parametrize("seed", range(20))
def test_bounding_never_exceeds_k_whatever_the_input(seed: int) -> None:
    rng = random.Random(seed)
    k = rng.randint(1, 10)
    state = None
    for seq in range(rng.randint(1, 8)):
        titles = [(rng.randint(1, 30), rng.randint(0, 100)) for _ in range(rng.randint(0, 32))]
        state, added = apply_delta(state, delta(seq, titles), 0, k, None)
        contribution = decode_state(state)[0]
        assert len(contribution.titles) <= k
        assert len(set(contribution.titles)) == len(contribution.titles)


def test_later_deltas_merge_without_exceeding_k() -> None:
    state, added = apply_delta(None, delta(1, [(1, 10), (2, 10)]), 0, 3, None)
    assert added == [1, 2]
    state, added = apply_delta(state, delta(2, [(2, 99), (3, 5), (4, 1)]), 0, 3, None)
    assert added == [3]
    assert decode_state(state)[0].titles == [1, 2, 3]


def test_a_resent_delta_changes_nothing() -> None:
    state, _ = apply_delta(None, delta(7, [(1, 10)]), 0, 5, None)
    with pytest.raises(DeltaRejected) as err:
        apply_delta(state, delta(7, [(2, 10)]), 0, 5, None)
    assert err.value.code == "duplicate"
    assert decode_state(state)[0].titles == [1]


def test_released_windows_are_dropped_from_device_state() -> None:
    state, _ = apply_delta(None, delta(1, [(1, 10)]), 0, 5, None)
    state, _ = apply_delta(state, delta(2, [(2, 10)]), 1000, 5, released_through_ms=0)
    assert list(decode_state(state)) == [1000]


def test_rebuild_equals_incremental_counts() -> None:
    rng = random.Random(3)
    live = WindowCounts()
    table: dict[str, dict] = {}  # type: ignore[type-arg]
    for i in range(300):
        device = f"tv-{rng.randint(0, 40)}"
        window = rng.choice([0, 1000, 2000])
        titles = [(rng.randint(1, 20), rng.randint(0, 100)) for _ in range(rng.randint(1, 6))]
        try:
            table[device], added = apply_delta(table.get(device), delta(i, titles, device),
                                               window, 4, None)
        except DeltaRejected:
            continue
        live.add(window, added)
    rebuilt = WindowCounts()
    rebuilt.rebuild(table.values(), None)
    assert rebuilt.by_window == live.by_window
    rebuilt.rebuild(table.values(), released_through_ms=0)
    assert set(rebuilt.by_window) == {1000, 2000}
