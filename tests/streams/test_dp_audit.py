"""The empirical DP audit passes for the real mechanisms and fails for broken ones.

Each test runs the real release code many times with seeds on neighbouring inputs (one
device added) and asks `streams.audit` what privacy loss the samples prove. The
mutation tests break the mechanism (noise half as wide, threshold too low) through the
same code path and check that the audit catches it, so the audit has teeth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

import streams.dp
from omega.validation import DeviceDelta, WatchedTitle
from streams.audit import audit
from streams.dp import noisy_counts, select_partitions
from streams.windows import Bounds, WindowCounts, apply_delta

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


class HalfWidthGeometric(streams.dp.Geometric):  # type: ignore[misc,name-defined]
    """The mutation: noise half as wide as claimed (ε doubled inside the mechanism)."""

    def __init__(self, *, epsilon: float, sensitivity: int = 1, random_state: object = None):
        super().__init__(epsilon=2 * epsilon, sensitivity=sensitivity,
                         random_state=random_state)


@pytest.fixture
def halved_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams.dp, "Geometric", HalfWidthGeometric)


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
    honest = streams.dp.discrete_laplace_threshold
    monkeypatch.setattr(streams.dp, "discrete_laplace_threshold",
                        lambda e, d, p: max(honest(e, d, p) // 3, 1))
    assert run_pair_delta_audit() > AUDIT_DELTA
