"""Pair bounding: at most P pairs per device per window, most-watched titles first."""

from __future__ import annotations

import random

import pytest

from omega.validation import DeviceDelta, WatchedTitle
from streams.windows import Bounds, apply_delta, bound_pairs, decode_state, pair_key, pair_of


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
        assert len(contribution.pairs) <= p
        assert len(set(contribution.pairs)) == len(contribution.pairs)
        assert all(set(pair_of(x)) <= set(contribution.titles) for x in contribution.pairs)


def test_later_delta_adds_pairs_with_earlier_titles() -> None:
    first = apply_delta(None, DeviceDelta("tv", 1, 0, (WatchedTitle(1, 9, 0.5, None),
                                                       WatchedTitle(2, 5, 0.5, None)), "t"),
                        0, Bounds(10, 10), None)
    assert [pair_of(k) for k in first.pairs] == [(1, 2)]
    second = apply_delta(first.state, DeviceDelta("tv", 2, 0, (WatchedTitle(3, 1, 0.5, None),),
                                                  "t"), 0, Bounds(10, 10), None)
    assert [pair_of(k) for k in second.pairs] == [(1, 3), (2, 3)]
