"""The privacy ledger: budget, horizon, expiry, and its effect on counting."""

from __future__ import annotations

import pytest

from omega.dp.ledger import LedgerPolicy, PrivacyLedger
from omega.settings import Settings
from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import Bounds, apply_delta, decode_state, retire

HOUR = 3_600_000
DAY, WEEK = 24 * HOUR, 7 * 24 * HOUR


def policy(*caps: tuple[float, int]) -> LedgerPolicy:
    return LedgerPolicy(cost_per_window=0.2, caps=caps)


# The old defaults' arithmetic: 4 h windows, 2 × 0.1 per window, 1.2 per 24 h.
POLICY = policy((1.2, DAY))


def test_the_defaults_bind_an_always_on_tv_in_any_day_and_any_week_of_time() -> None:
    defaults = LedgerPolicy.from_settings(Settings())
    ledger = PrivacyLedger()
    windows = [i * 4 * HOUR for i in range(6 * 14)]  # two weeks, every 4 h window
    admitted = [w for w in windows if ledger.try_charge(w, defaults)]

    def most_in_any(span: int) -> int:  # windows whose data a span of time holds
        return max(sum(t - 4 * HOUR < w < t + span for w in admitted)
                   for t in range(-span, 14 * DAY, HOUR))

    assert most_in_any(DAY) == 5  # 1.0 a day: 5 of the 7 windows a day of time touches
    assert most_in_any(WEEK) == 20  # 4.0 a week: 20 of the 43 a week touches
    assert admitted[:7] == windows[:5] + [7 * 4 * HOUR, 8 * 4 * HOUR]
    assert sum(e for _, e in ledger.charges) <= 2 * 4.0 + 1e-9


def test_a_late_window_sees_the_charges_after_it() -> None:
    """The look-ahead bug: with 0.8 per day, windows 2..5 charged first, then a late
    delta for window 1 passed, because only windows up to 1 were counted: 1.0 spent."""
    tight = policy((0.8, DAY))
    ledger = PrivacyLedger()
    assert all(ledger.try_charge(i * 4 * HOUR, tight) for i in (2, 3, 4, 5))
    assert not ledger.try_charge(1 * 4 * HOUR, tight)
    assert ledger.spent(1 * 4 * HOUR, DAY) == pytest.approx(0.8)
    # Every interval of a day holds at most the budget.
    for start in range(0, 6 * 4 * HOUR, HOUR):
        assert sum(e for w, e in ledger.charges if start <= w < start + DAY) <= 0.8 + 1e-9


def test_a_device_syncing_every_4h_fits_the_old_budget_exactly() -> None:
    ledger = PrivacyLedger()
    for i in range(6):
        assert ledger.try_charge(i * 4 * HOUR, POLICY)
    assert not ledger.try_charge(5 * 4 * HOUR + HOUR, POLICY), "a 7th window in 24 h"
    assert abs(ledger.spent(5 * 4 * HOUR, DAY) - 1.2) < 1e-9


def test_over_budget_until_the_horizon_moves() -> None:
    fast = POLICY
    ledger = PrivacyLedger()
    hourly = [h * HOUR for h in range(30)]
    admitted = [w for w in hourly if ledger.try_charge(w, fast)]
    # Hours 0..5 fit; 6..23 are over budget; at hour 24 the charge of hour 0 falls out.
    assert admitted[:6] == hourly[:6]
    assert not any(6 <= w // HOUR <= 23 for w in admitted)
    assert 24 * HOUR in admitted


def test_charging_the_same_window_twice_costs_once() -> None:
    ledger = PrivacyLedger()
    assert ledger.try_charge(0, POLICY) and ledger.try_charge(0, POLICY)
    assert ledger.spent(0, DAY) == 0.2


def test_expiry_bounds_the_ledger() -> None:
    ledger = PrivacyLedger([(h * HOUR, 0.2) for h in range(100)])
    ledger.expire(100 * HOUR, POLICY.keep_ms)  # released through hour 100
    assert len(ledger.charges) == 23
    assert min(w for w, _ in ledger.charges) == 77 * HOUR


def test_a_clock_jumped_a_year_ahead_drops_no_charge_released_windows_still_need() -> None:
    """Retirement and expiry follow released-window time: a worker whose clock jumps a
    year ahead (a delta stamped then, within the allowed skew) keeps the charges a window
    after the last released one can still see, and the device stays capped."""
    settings = Settings()
    policy = LedgerPolicy.from_settings(settings)
    window = policy.window_ms
    charged = apply_delta(None, DeviceDelta("tv", 1, 0, (WatchedTitle(1, 10, 0.5, None),),
                                            "t"), 0, Bounds(5, 5), None, policy)
    state = {**charged.state, "p": 0}
    released = 0  # window 0 released: window 1 on may still count
    assert retire(state, released, policy.keep_ms) == {"w": [], "l": [[0, 0.2]], "p": 0}
    year_later = released + 365 * DAY
    assert retire({"w": [], "l": [[0, 0.2]]}, released, policy.keep_ms) is not None, \
        "the clock is no argument: a tombstone waits for releases"
    jumped = apply_delta(state, DeviceDelta("tv", 2, year_later, (WatchedTitle(2, 9, 0.5, None),),
                                            "t"), year_later, Bounds(5, 5), released, policy,
                         released_through_ms=released)
    assert [w for w, _ in decode_state(jumped.state).ledger.charges] == [0, year_later]
    # The clock back: windows 1..4 fill the day cap with window 0, window 5 is refused.
    current = jumped.state
    for seq, w in enumerate(range(1, 6), 3):
        applied = apply_delta(current, DeviceDelta("tv", seq, w * window, (
            WatchedTitle(3, 9, 0.5, None),), "t"), w * window, Bounds(5, 5), released, policy,
            released_through_ms=released)
        assert applied.over_budget is (w == 5), w
        current = applied.state
    # Once releases pass the longest cap's reach, the charges go, and so does the entry.
    assert retire({"w": [], "l": [[0, 0.2]]}, policy.keep_ms, policy.keep_ms) is None


def test_over_budget_device_adds_nothing_and_keeps_its_state() -> None:
    tight = policy((0.2, DAY))
    delta = DeviceDelta("tv", 1, 0, (WatchedTitle(1, 10, 0.5, None),), "t")
    first = apply_delta(None, delta, 0, Bounds(5, 5), None, tight)
    assert first.added == [1] and not first.over_budget
    later = DeviceDelta("tv", 2, 0, (WatchedTitle(2, 10, 0.5, None),), "t")
    second = apply_delta(first.state, later, HOUR, Bounds(5, 5), None, tight)
    assert second.over_budget and second.added == [] and second.pairs == []
    assert second.state == first.state
    assert decode_state(second.state).ledger.charges == [(0, 0.2)]
