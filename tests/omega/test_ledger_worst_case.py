"""The ledger driven to its worst case, against what `omega privacy report` states.

Every order of window arrivals (late, early, shuffled) is covered by enumerating every set
of windows the real ledger can end up charged with: from each reachable set, any window
it admits next. The most charged windows whose data falls in a span of time of each
period is then compared with the report's count for that period (`unit_windows`, the
function `omega privacy report` and the API's composed fields call).
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from omega.dp.accounting import DAY_S, WEEK_S, unit_windows, windows_touched
from omega.dp.ledger import LedgerPolicy, PrivacyLedger
from omega.settings import Settings
from tests.omega.test_privacy import privacy_report

# Windows of 1 s, one window costing 1.0 (2 × ε = 0.5): caps of 2 windows per 3 s,
# 3 per 7 s and 5 per 15 s; every span of up to 16 s fits in a 17-window timeline.
SMALL = {"window_seconds": 1, "epsilon": 0.5, "ledger_budget": 2, "ledger_horizon_seconds": 3,
         "ledger_week_budget": 3, "ledger_week_seconds": 7, "ledger_year_budget": 5,
         "ledger_year_seconds": 15}
# 8-hour windows, 2 windows a day and 3 a week: small enough to enumerate a real week
# (Laplace pairs: the report composes them in a tenth of the Gaussian's time).
EIGHT_HOURS = {"window_seconds": 8 * 3600, "epsilon": 0.5, "ledger_budget": 2,
               "ledger_week_budget": 3, "ledger_year_budget": 5, "pair_mechanism": "laplace",
               "max_pairs_per_device": 10}


def reachable(windows: int, policy: LedgerPolicy, window_ms: int) -> set[frozenset[int]]:
    """Every set of window numbers (0 .. windows−1, starts k·window_ms) the ledger can
    hold, whatever the order the windows arrive in."""
    empty: frozenset[int] = frozenset()
    seen, todo = {empty}, [empty]
    while todo:
        charged = todo.pop()
        for k in range(windows):
            ledger = PrivacyLedger([(w * window_ms, policy.cost_per_window) for w in charged])
            if k not in charged and ledger.try_charge(k * window_ms, policy):
                more = charged | {k}
                if more not in seen:
                    seen.add(more)
                    todo.append(more)
    return seen


def most_in_a_span(charged: Iterable[int], window_ms: int, period_ms: int) -> int:
    """The most charged windows whose data a span of time [t, t + period) holds (window
    k holds [k·window, (k+1)·window)); the count only rises where a window enters the
    span's right end, so those t are enough."""
    starts = [k * window_ms for k in charged]
    return max((sum(t - window_ms < s < t + period_ms for s in starts)
                for t in (s - period_ms + 1 for s in starts)), default=0)


def worst(sets: set[frozenset[int]], window_ms: int, period_ms: int) -> int:
    return max(most_in_a_span(charged, window_ms, period_ms) for charged in sets)


def test_no_span_of_any_length_holds_more_windows_than_the_report_states() -> None:
    settings = Settings(**SMALL)
    policy = LedgerPolicy.from_settings(settings)  # as WindowPipeline builds it
    sets = reachable(17, policy, policy.window_ms)
    for period_s in range(1, 17):
        stated = unit_windows(settings, "device", period_s)
        assert worst(sets, policy.window_ms, period_s * 1000) == stated, f"{period_s} s"
        # A session is charged by the same ledger, and ends with its token besides.
        assert unit_windows(settings, "session", period_s) == min(
            stated, windows_touched(settings.session_ttl_s, settings.window_seconds))
    # Each cap's own horizon holds exactly its budget's windows: 2, 3 and 5.
    assert [worst(sets, 1000, h * 1000) for h in (3, 7, 15)] == [2, 3, 5]


def test_caps_over_window_starts_alone_let_a_span_hold_one_window_more() -> None:
    """The bug fixed: caps checked over a horizon of window starts (a charge taken for an
    instant, window_ms 0) let a horizon's span of time hold one window more than its cap:
    at the defaults, windows 0–4 and 6 of 4 h, six in the 24 h from 3 h to 27 h."""
    settings = Settings(**SMALL)
    starts_only = LedgerPolicy(settings.cost_per_window,
                               LedgerPolicy.from_settings(settings).caps)
    sets = reachable(17, starts_only, 1000)
    assert [worst(sets, 1000, h * 1000) for h in (3, 7, 15)] == [3, 4, 6]
    defaults = LedgerPolicy.from_settings(Settings())
    four_hours = 4 * 3_600_000
    for policy, sixth in ((LedgerPolicy(defaults.cost_per_window, defaults.caps), True),
                          (defaults, False)):
        ledger = PrivacyLedger()
        assert all(ledger.try_charge(w * four_hours, policy) for w in range(5))
        assert ledger.try_charge(6 * four_hours, policy) is sixth


def test_the_report_prints_the_worst_day_and_week_the_ledger_admits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(**EIGHT_HOURS)
    policy = LedgerPolicy.from_settings(settings)
    day_ms, week_ms = DAY_S * 1000, WEEK_S * 1000
    day = worst(reachable(windows_touched(DAY_S, 8 * 3600), policy, policy.window_ms),
                policy.window_ms, day_ms)
    week = worst(reachable(windows_touched(WEEK_S, 8 * 3600), policy, policy.window_ms),
                 policy.window_ms, week_ms)
    assert (day, week) == (2, 3)
    assert (unit_windows(settings, "device", DAY_S),
            unit_windows(settings, "device", WEEK_S)) == (day, week)
    output = privacy_report(monkeypatch, **EIGHT_HOURS)
    assert f"| day | {day} | {day:.2f} |" in output
    assert f"| week | {week} | {week:.2f} |" in output


def test_dropping_charges_on_released_window_time_changes_no_decision() -> None:
    """Charges dropped once no window after the last released one can see them: a ledger
    that drops them and one that keeps every charge admit the same windows, in shuffled
    orders of arrival (each window arrives while it is open: after the released one)."""
    policy = LedgerPolicy.from_settings(Settings(**SMALL))
    window = policy.window_ms
    rng = random.Random(36)
    dropped = 0
    for _ in range(200):
        pruned, kept = PrivacyLedger(), PrivacyLedger()
        released = -window
        for _ in range(60):
            if rng.random() < 0.3:
                released += window
                pruned.expire(released, policy.keep_ms)
            w = released + window * rng.randint(1, 3)  # open: late or early within 3
            assert pruned.try_charge(w, policy) == kept.try_charge(w, policy)
        dropped += len(kept.charges) - len(pruned.charges)
    assert dropped > 0
