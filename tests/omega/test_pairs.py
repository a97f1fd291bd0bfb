"""Pair bounding: at most P pairs per device per window, most-watched titles first."""

from __future__ import annotations

import random

import pytest

from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import (
    Bounds,
    apply_delta,
    bound_pairs,
    decode_state,
    encode_state,
    pair_count,
    pair_key,
    pair_of,
)


def reference_bound_pairs(titles: list[int], first_new: int, already: int, p: int) -> list[int]:
    """The loop `bound_pairs` replaced, one pair at a time: the specification."""
    added: list[int] = []
    for j in range(max(first_new, 1), len(titles)):
        for i in range(j):
            if len(added) >= p - already:
                return added
            added.append(pair_key(titles[i], titles[j]))
    return added


@pytest.mark.parametrize("seed", range(40))
def test_bound_pairs_equals_the_one_pair_at_a_time_loop(seed: int) -> None:
    rng = random.Random(seed)
    titles = rng.sample(range(1, 2**31), rng.randint(0, 14))
    first_new, p = rng.randint(0, len(titles)), rng.randint(0, 60)
    already = rng.randint(0, p + 3)
    assert bound_pairs(titles, first_new, already, p) == reference_bound_pairs(
        titles, first_new, already, p)


def test_pair_key_is_unordered_and_reversible() -> None:
    assert pair_key(7, 3) == pair_key(3, 7)
    assert pair_of(pair_key(7, 3)) == (3, 7)
    assert pair_of(pair_key(1, 2**31)) == (1, 2**31)


def test_pairs_of_the_most_watched_titles_come_first() -> None:
    titles = [10, 20, 30, 40]  # already in most-watched order
    assert [pair_of(k) for k in bound_pairs(titles, 0, 0, 4)] == [
        (10, 20), (10, 30), (20, 30), (10, 40)]


@pytest.mark.parametrize("seed", range(25))
def test_pairs_never_exceed_p_and_are_distinct_whatever_the_input(seed: int) -> None:
    rng = random.Random(seed)
    k, p = rng.randint(1, 12), rng.randint(1, 50)
    state = None
    for seq in range(rng.randint(1, 6)):
        watched = tuple(WatchedTitle(rng.randint(1, 40), rng.randint(0, 999), 0.5, None)
                        for _ in range(rng.randint(0, 32)))
        state = apply_delta(state, DeviceDelta("tv", seq, 0, watched, "t"), 0,
                            Bounds(k, p), None).state
        contribution = decode_state(state).windows[0]
        pairs = contribution.pairs(p)
        assert len(pairs) <= p
        assert len(set(pairs)) == len(pairs)
        assert all(set(pair_of(x)) <= set(contribution.titles) for x in pairs)


def test_later_delta_adds_pairs_with_earlier_titles() -> None:
    first = apply_delta(None, DeviceDelta("tv", 1, 0, (WatchedTitle(1, 9, 0.5, None),
                                                       WatchedTitle(2, 5, 0.5, None)), "t"),
                        0, Bounds(10, 10), None)
    assert [pair_of(k) for k in first.pairs] == [(1, 2)]
    second = apply_delta(first.state, DeviceDelta("tv", 2, 0, (WatchedTitle(3, 1, 0.5, None),),
                                                  "t"), 0, Bounds(10, 10), None)
    assert [pair_of(k) for k in second.pairs] == [(1, 3), (2, 3)]


@pytest.mark.parametrize("seed", range(25))
def test_pairs_derived_from_titles_are_the_pairs_added_delta_by_delta(seed: int) -> None:
    """The state keeps titles only: what a device added, delta by delta, must be exactly
    the first pair_count pairs of its titles (what a rebuild after recovery counts)."""
    rng = random.Random(seed)
    k, p = rng.randint(1, 12), rng.randint(0, 50)
    state, added = None, []
    for seq in range(rng.randint(1, 6)):
        watched = tuple(WatchedTitle(rng.randint(1, 40), rng.randint(0, 999), 0.5, None)
                        for _ in range(rng.randint(0, 8)))
        applied = apply_delta(state, DeviceDelta("tv", seq, 0, watched, "t"), 0,
                              Bounds(k, p), None)
        state, added = applied.state, added + applied.pairs
        contribution = decode_state(state).windows[0]
        assert contribution.pairs(p) == added
        assert pair_count(len(contribution.titles), p) == len(added)


def test_a_state_written_with_stored_pairs_still_reads() -> None:
    """Values changelogged before pairs were derived carry them as a fourth list."""
    legacy = {"w": [[0, [5, 9, 2], [1], [pair_key(5, 9), pair_key(5, 2), pair_key(9, 2)]]],
              "l": []}
    record = decode_state(legacy)
    assert record.windows[0].pairs(45) == legacy["w"][0][3]
    assert encode_state(record) == {"w": [[0, [5, 9, 2], [1]]], "l": []}
    more = apply_delta(legacy, DeviceDelta("tv", 2, 0, (WatchedTitle(7, 1, 0.5, None),), "t"),
                       0, Bounds(10, 45), None)
    assert more.pairs == [pair_key(5, 7), pair_key(9, 7), pair_key(2, 7)]
