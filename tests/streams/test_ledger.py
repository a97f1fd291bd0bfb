"""The privacy ledger: budget, horizon, expiry, and its effect on counting."""

from __future__ import annotations

from omega.validation import DeviceDelta, WatchedTitle
from streams.ledger import LedgerPolicy, PrivacyLedger
from streams.windows import Bounds, apply_delta, decode_state

HOUR = 3_600_000
# Defaults' arithmetic: 4 h windows, 2 × 0.1 per window, 6 windows a day = 1.2 per 24 h.
POLICY = LedgerPolicy(budget=1.2, horizon_ms=24 * HOUR, cost_per_window=0.2)


def test_a_device_syncing_every_4h_fits_the_default_budget_exactly() -> None:
    ledger = PrivacyLedger()
    for i in range(6):
        assert ledger.try_charge(i * 4 * HOUR, POLICY)
    assert not ledger.try_charge(5 * 4 * HOUR + HOUR, POLICY), "a 7th window in 24 h"
    assert abs(ledger.spent(5 * 4 * HOUR, POLICY.horizon_ms) - 1.2) < 1e-9


def test_over_budget_until_the_horizon_moves() -> None:
    fast = LedgerPolicy(budget=1.2, horizon_ms=24 * HOUR, cost_per_window=0.2)
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
    assert ledger.spent(0, POLICY.horizon_ms) == 0.2


def test_expiry_bounds_the_ledger() -> None:
    ledger = PrivacyLedger([(h * HOUR, 0.2) for h in range(100)])
    ledger.expire(100 * HOUR, POLICY.horizon_ms)
    assert len(ledger.charges) == 23
    assert min(w for w, _ in ledger.charges) == 77 * HOUR


def test_over_budget_device_adds_nothing_and_keeps_its_state() -> None:
    tight = LedgerPolicy(budget=0.2, horizon_ms=24 * HOUR, cost_per_window=0.2)
    delta = DeviceDelta("tv", 1, 0, (WatchedTitle(1, 10, 0.5, None),), "t")
    first = apply_delta(None, delta, 0, Bounds(5, 5), None, tight)
    assert first.added == [1] and not first.over_budget
    later = DeviceDelta("tv", 2, 0, (WatchedTitle(2, 10, 0.5, None),), "t")
    second = apply_delta(first.state, later, HOUR, Bounds(5, 5), None, tight)
    assert second.over_budget and second.added == [] and second.pairs == []
    assert second.state == first.state
    assert decode_state(second.state).ledger.charges == [(0, 0.2)]
