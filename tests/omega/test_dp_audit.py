"""The empirical DP audit passes for the real mechanisms and fails for broken ones.

Each test runs the real release code many times with seeds on neighbouring inputs (one
device added) and asks `tests/support/audit.py` what privacy loss the samples prove. The
mutation tests break the mechanism (noise half as wide, threshold too low) through the
same code path and check that the audit catches it, so the audit has teeth.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import omega.dp.noise
import omega.dp.selection
from omega.dp.ledger import LedgerPolicy, PrivacyLedger
from omega.dp.noise import noisy_counts
from omega.dp.selection import select_partitions
from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import Bounds, WindowCounts, apply_delta
from tests.support.audit import audit

RUNS = 20_000
EPS = 1.0  # audited at ε = 1: the math is the same at 0.1, and the effects are visible


def counts_of(devices: list[DeviceDelta], bounds: Bounds) -> tuple[Counter[int], Counter[int]]:
    """Devices per title and per pair, through the real bounding and counting code."""
    counts = WindowCounts(bounds.pairs)
    for delta in devices:
        applied = apply_delta(None, delta, 0, bounds, None)
        counts.add(0, applied.titles, applied.first_new)
    titles, pairs = counts.counted(0)
    return titles, Counter(pairs.as_dict())


def fleet(extra: bool) -> list[DeviceDelta]:
    """Ten devices watching titles 1 and 2; the neighbour adds one that watched 8 titles."""
    devices = [DeviceDelta(f"tv-{i}", 1, 0, (WatchedTitle(1, 100, 1.0, None),
                                             WatchedTitle(2, 50, 1.0, None)), "t")
               for i in range(10)]
    if extra:
        devices.append(DeviceDelta("tv-new", 1, 0, tuple(
            WatchedTitle(t, 1000 - t, 1.0, None) for t in range(1, 9)), "t"))
    return devices


def trend_samples(counts: Counter[int], sensitivity: int) -> Iterator[tuple[int, ...]]:
    for seed in range(RUNS):
        released = noisy_counts(counts, [1], EPS, sensitivity, np.random.RandomState(seed))
        yield tuple(released.values())


def pair_samples(counts: Counter[int], max_pairs: int, delta: float) -> Iterator[int | None]:
    for seed in range(RUNS):
        released = select_partitions(counts, EPS, delta, max_pairs, 1,
                                     np.random.RandomState(seed))
        yield next(iter(released.values()), None)


class HalfWidthGeometric(omega.dp.noise.Geometric):  # type: ignore[misc,name-defined]
    """The mutation: noise half as wide as claimed (ε doubled inside the mechanism)."""

    def __init__(self, *, epsilon: float, sensitivity: int = 1, random_state: object = None):
        super().__init__(epsilon=2 * epsilon, sensitivity=sensitivity,
                         random_state=random_state)


@pytest.fixture
def halved_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    # both mechanisms build their own: the trends' noise and the pairs' selection
    monkeypatch.setattr(omega.dp.noise, "Geometric", HalfWidthGeometric)
    monkeypatch.setattr(omega.dp.selection, "Geometric", HalfWidthGeometric)


def run_trend_audit() -> float:
    bounds = Bounds(titles=1, pairs=1)  # K = 1: the extra device adds 1 to title 1 only
    d = counts_of(fleet(False), bounds)[0]
    d_prime = counts_of(fleet(True), bounds)[0]
    assert d_prime[1] == d[1] + 1 and sum(d_prime.values()) == sum(d.values()) + 1
    return audit(list(trend_samples(d, 1)), list(trend_samples(d_prime, 1)),
                 EPS, 0.0).epsilon_lower_bound


def test_trend_release_passes_the_audit() -> None:
    assert run_trend_audit() <= EPS


@pytest.mark.usefixtures("halved_noise")
def test_trend_audit_fails_when_noise_is_halved() -> None:
    assert run_trend_audit() > EPS * 1.3


def pair_inputs(base: int) -> tuple[Counter[int], Counter[int]]:
    """Neighbouring pair counts: `base` devices, then one more (bounded to P = 1 pair)."""
    bounds = Bounds(titles=8, pairs=1)
    devices = [DeviceDelta(f"tv-{i}", 1, 0, (WatchedTitle(1, 9, 1.0, None),
                                             WatchedTitle(2, 5, 1.0, None)), "t")
               for i in range(base)]
    newcomer = fleet(extra=True)[-1]  # watched titles 1..8; bounded to its first pair (1, 2)
    d = counts_of(devices, bounds)[1]
    d_prime = counts_of(devices + [newcomer], bounds)[1]
    return d, d_prime


AUDIT_DELTA = 0.02


def run_pair_epsilon_audit() -> float:
    d, d_prime = pair_inputs(base=12)  # well past τ ≈ 4.2 at ε = 1, δ = 0.02
    return audit(list(pair_samples(d, 1, AUDIT_DELTA)),
                 list(pair_samples(d_prime, 1, AUDIT_DELTA)),
                 EPS, AUDIT_DELTA).epsilon_lower_bound


def run_pair_delta_audit() -> float:
    d, d_prime = pair_inputs(base=0)  # the pair exists only with the extra device
    assert not d and sum(d_prime.values()) == 1
    return audit(list(pair_samples(d, 1, AUDIT_DELTA)),
                 list(pair_samples(d_prime, 1, AUDIT_DELTA)),
                 EPS, AUDIT_DELTA).delta_lower_bound


def test_pair_selection_passes_the_audit() -> None:
    assert run_pair_epsilon_audit() <= EPS
    assert run_pair_delta_audit() <= AUDIT_DELTA


@pytest.mark.usefixtures("halved_noise")
def test_pair_audit_fails_when_noise_is_halved() -> None:
    assert run_pair_epsilon_audit() > EPS * 1.3


def test_pair_audit_fails_when_the_threshold_is_too_low(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = omega.dp.selection.discrete_laplace_threshold
    monkeypatch.setattr(omega.dp.selection, "discrete_laplace_threshold",
                        lambda e, d, p: max(honest(e, d, p) // 3, 1))
    assert run_pair_delta_audit() > AUDIT_DELTA


# -- the pair bound passed to the release, and δ -------------------------------------------

def three_pair_inputs() -> tuple[Counter[int], Counter[int]]:
    """Thirty devices with pairs (1, 2), (1, 3), (2, 3); the neighbour adds one to each."""
    bounds = Bounds(titles=8, pairs=3)
    devices = [DeviceDelta(f"tv-{i}", 1, 0, (WatchedTitle(1, 9, 1.0, None),
                                             WatchedTitle(2, 5, 1.0, None),
                                             WatchedTitle(3, 4, 1.0, None)), "t")
               for i in range(30)]
    newcomer = DeviceDelta("tv-new", 1, 0, (WatchedTitle(1, 9, 1.0, None),
                                            WatchedTitle(2, 5, 1.0, None),
                                            WatchedTitle(3, 4, 1.0, None)), "t")
    d = counts_of(devices, bounds)[1]
    d_prime = counts_of(devices + [newcomer], bounds)[1]
    assert len(d) == 3 and all(d_prime[k] == d[k] + 1 for k in d)  # P pairs, one each
    return d, d_prime


def summed_pair_samples(counts: Counter[int], max_pairs: int) -> Iterator[int]:
    """How many released pairs have a noisy count above thirty (a post-processing: it
    proves no more than the release itself loses; for a shift by one in each pair, the
    likelihood ratio depends on the release only through it)."""
    for seed in range(RUNS):
        released = select_partitions(counts, EPS, AUDIT_DELTA, max_pairs, 1,
                                     np.random.RandomState(seed))
        yield sum(value > 30 for value in released.values())


def run_pair_bound_audit(max_pairs_passed: int) -> float:
    d, d_prime = three_pair_inputs()
    return audit(list(summed_pair_samples(d, max_pairs_passed)),
                 list(summed_pair_samples(d_prime, max_pairs_passed)),
                 EPS, AUDIT_DELTA).epsilon_lower_bound


def test_pairs_calibrated_to_the_bound_pass_the_audit() -> None:
    assert run_pair_bound_audit(max_pairs_passed=3) <= EPS


def test_pair_audit_fails_when_the_release_is_told_p_is_1() -> None:
    """The mutation "P = 1 pairs": devices bounded to 3 pairs, noise and τ for 1."""
    assert run_pair_bound_audit(max_pairs_passed=1) > EPS * 1.3


def test_pair_audit_fails_when_delta_is_passed_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mutation "δ passed wrong": the release computes τ from 25 × the claimed δ."""
    honest = omega.dp.selection.select_partitions

    def wrong_delta(counts, epsilon, delta, *rest):  # type: ignore[no-untyped-def]
        return honest(counts, epsilon, 25 * delta, *rest)

    monkeypatch.setattr(sys.modules[__name__], "select_partitions", wrong_delta)
    assert run_pair_delta_audit() > AUDIT_DELTA


# -- the ledger over windows ---------------------------------------------------------------

HOUR = 3_600_000
LEDGER = LedgerPolicy(cost_per_window=EPS, caps=((2 * EPS, 24 * HOUR),))  # 2 windows a day
LEDGER_EPS = 2 * EPS  # what the ledger claims for any day: its budget


def admitted_windows(order: list[int], policy: LedgerPolicy | None) -> list[int]:
    """The windows one device counts in, its deltas arriving in `order`, through the real
    bounding and ledger code (late windows are still open: nothing released yet)."""
    state = None
    admitted = []
    for seq, window in enumerate(order, 1):
        delta = DeviceDelta("tv-new", seq, window, (WatchedTitle(1, 60, 1.0, None),), "t")
        applied = apply_delta(state, delta, window, Bounds(1, 1), None, policy)
        if not applied.over_budget:
            admitted.append(window)
            state = applied.state
    return admitted


def day_samples(windows: list[int], extra: list[int]) -> Iterator[int]:
    """The day's title-1 trend: each window's release (ten devices, plus the neighbour
    where it counted; each window its own draw), reduced to the number of windows whose
    noisy count is above ten. A post-processing, so it proves no more than the releases
    lose, and for this neighbour the most telling one: the likelihood ratio of a shift by
    one in each window depends on the release only through it."""
    counts = Counter({w: 10 + (w in extra) for w in windows})
    for seed in range(RUNS):
        released = noisy_counts(counts, windows, EPS, 1, np.random.RandomState(seed))
        yield sum(value > 10 for value in released.values())


def run_ledger_audit(order: list[int], policy: LedgerPolicy | None) -> float:
    windows = sorted(set(order))
    extra = admitted_windows(order, policy)
    return audit(list(day_samples(windows, [])), list(day_samples(windows, extra)),
                 LEDGER_EPS, 0.0).epsilon_lower_bound


IN_ORDER = [w * 4 * HOUR for w in range(4)]
LATE_LAST = [w * 4 * HOUR for w in (2, 3, 1)]  # window 1's delta arrives after 2 and 3


def test_the_ledger_passes_the_audit_in_order_and_late() -> None:
    assert admitted_windows(IN_ORDER, LEDGER) == IN_ORDER[:2]
    assert admitted_windows(LATE_LAST, LEDGER) == LATE_LAST[:2]
    assert run_ledger_audit(IN_ORDER, LEDGER) <= LEDGER_EPS
    assert run_ledger_audit(LATE_LAST, LEDGER) <= LEDGER_EPS


def test_ledger_audit_fails_when_the_ledger_is_disabled() -> None:
    assert admitted_windows(IN_ORDER, None) == IN_ORDER
    assert run_ledger_audit(IN_ORDER, None) > LEDGER_EPS * 1.3


def look_ahead_spent(self: PrivacyLedger, window: int, horizon_ms: int) -> float:
    """The bug the review found: only windows up to the charged one count."""
    return sum(e for w, e in self.charges if window - horizon_ms < w <= window)


def test_ledger_audit_fails_when_the_look_ahead_bug_is_restored(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PrivacyLedger, "spent", look_ahead_spent)
    assert admitted_windows(LATE_LAST, LEDGER) == LATE_LAST  # three windows in a day
    assert run_ledger_audit(LATE_LAST, LEDGER) > LEDGER_EPS * 1.15


def report() -> None:
    """Print each audit and each mutation's outcome: `python -m tests.omega.test_dp_audit`."""
    def wrong_delta(counts, epsilon, delta, *rest):  # type: ignore[no-untyped-def]
        return omega.dp.selection.select_partitions(counts, epsilon, 25 * delta, *rest)

    def third_of_tau(e: float, d: float, p: int) -> int:
        return max(honest_tau(e, d, p) // 3, 1)

    honest_tau = omega.dp.selection.discrete_laplace_threshold
    module = sys.modules[__name__]
    rows: list[tuple[str, str, Callable[[], float], list[tuple[Any, str, Any]]]] = [
        ("trends", f"ε ≤ {EPS}", run_trend_audit, []),
        ("trends, half the noise", f"ε ≤ {EPS}", run_trend_audit,
         [(omega.dp.noise, "Geometric", HalfWidthGeometric),
          (omega.dp.selection, "Geometric", HalfWidthGeometric)]),
        ("pairs, ε", f"ε ≤ {EPS}", run_pair_epsilon_audit, []),
        ("pairs, δ", f"δ ≤ {AUDIT_DELTA}", run_pair_delta_audit, []),
        ("pairs, half the noise", f"ε ≤ {EPS}", run_pair_epsilon_audit,
         [(omega.dp.noise, "Geometric", HalfWidthGeometric),
          (omega.dp.selection, "Geometric", HalfWidthGeometric)]),
        ("pairs, τ a third", f"δ ≤ {AUDIT_DELTA}", run_pair_delta_audit,
         [(omega.dp.selection, "discrete_laplace_threshold", third_of_tau)]),
        ("pairs, δ passed wrong (25×)", f"δ ≤ {AUDIT_DELTA}", run_pair_delta_audit,
         [(module, "select_partitions", wrong_delta)]),
        ("3 pairs per device, P = 3", f"ε ≤ {EPS}", lambda: run_pair_bound_audit(3), []),
        ("3 pairs per device, P = 1 passed", f"ε ≤ {EPS}", lambda: run_pair_bound_audit(1), []),
        ("ledger, in order", f"ε ≤ {LEDGER_EPS}", lambda: run_ledger_audit(IN_ORDER, LEDGER),
         []),
        ("ledger, a late window", f"ε ≤ {LEDGER_EPS}",
         lambda: run_ledger_audit(LATE_LAST, LEDGER), []),
        ("ledger disabled", f"ε ≤ {LEDGER_EPS}", lambda: run_ledger_audit(IN_ORDER, None), []),
        ("ledger, look-ahead bug restored", f"ε ≤ {LEDGER_EPS}",
         lambda: run_ledger_audit(LATE_LAST, LEDGER),
         [(PrivacyLedger, "spent", look_ahead_spent)]),
    ]
    print(f"{'mechanism':36} {'claim':11} {'proven':>8}  verdict  "  # noqa: T201 - a report
          f"({RUNS} runs each side)")
    for what, claim, run, patches in rows:
        patcher = pytest.MonkeyPatch()
        for target, name, value in patches:
            patcher.setattr(target, name, value)
        try:
            proven = run()
        finally:
            patcher.undo()
        bound = float(claim.split("≤ ")[1])
        verdict = "FAILS" if proven > bound else "passes"
        print(f"{what:36} {claim:11} {proven:8.3f}  {verdict}")  # noqa: T201 - a report


if __name__ == "__main__":
    report()
