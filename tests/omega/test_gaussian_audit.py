"""The empirical DP audit of the Gaussian pair release, and the mutations it must catch.

As tests/omega/test_dp_audit.py: the real bounding and counting code builds neighbouring
inputs (one device added), the real release runs 20,000 times with seeds, and
`tests/support/audit.py` says what (ε, δ) the samples prove. Audited at ε = 1, δ = 0.02
(the effects are visible with 20K runs; the math is the same at 0.1). Each mutation
breaks one thing the guarantee rests on: the noise's width, the per-device pair bound
the noise is calibrated to, the budget, and the threshold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

import omega.dp.gaussian
import omega.dp.selection
from omega.validation import DeviceDelta, WatchedTitle
from omega.windows import Bounds
from tests.omega.test_dp_audit import RUNS, counts_of
from tests.support.audit import audit

EPS, DELTA = 1.0, 0.02


@pytest.fixture(autouse=True)
def fresh_calibration() -> Iterator[None]:
    """σ and thresholds are cached per parameters: a mutation must not leak."""
    for cached in (omega.dp.selection.gaussian_selection, omega.dp.gaussian.gaussian_sigma):
        cached.cache_clear()
    yield
    for cached in (omega.dp.selection.gaussian_selection, omega.dp.gaussian.gaussian_sigma):
        cached.cache_clear()


def watcher(name: str, titles: int) -> DeviceDelta:
    return DeviceDelta(name, 1, 0, tuple(WatchedTitle(t, 100 - t, 1.0, None)
                                         for t in range(1, titles + 1)), "t")


def neighbours(base: int, titles: int, pairs: int) -> tuple[Counter[int], Counter[int]]:
    """`base` devices and the neighbour that adds one more, all watching titles 1 …
    `titles`, bounded to `pairs` pairs."""
    bounds = Bounds(titles=8, pairs=pairs)
    devices = [watcher(f"tv-{i}", titles) for i in range(base)]
    d = counts_of(devices, bounds)[1]
    d_prime = counts_of([*devices, watcher("tv-new", titles)], bounds)[1]
    return d, d_prime


def released(counts: Counter[int], max_pairs: int, center: int,
             epsilon: float = EPS) -> Iterator[tuple[int, int]]:
    """Per run: how many pairs were released, and the sum of their noisy counts less
    `center`, in bins of 4 clipped to ±4 (so that the tails hold enough runs to prove
    something at δ = 0.02). For noise that shifts by one in each of the neighbour's pairs
    the sum is the likelihood ratio's statistic, and any statistic is a post-processing:
    what it proves, the release loses."""
    keys = sorted(counts)
    values = np.array([counts[k] for k in keys], dtype=np.int64)
    for seed in range(RUNS):  # min_devices 1, floor error ½: no floor, τ_G alone is audited
        _, noisy = omega.dp.selection.select_partitions_gaussian(
            values, epsilon, DELTA, max_pairs, 1, 0.5, np.random.RandomState(seed))
        yield len(noisy), min(max((int(noisy.sum()) - center) // 4, -4), 4)


def epsilon_proven(d: Counter[int], d_prime: Counter[int], max_pairs: int,
                   release_epsilon: float = EPS) -> float:
    center = sum(d.values())
    return audit(list(released(d, max_pairs, center, release_epsilon)),
                 list(released(d_prime, max_pairs, center, release_epsilon)),
                 EPS, DELTA).epsilon_lower_bound


def delta_proven(max_pairs: int = 3) -> float:
    d, d_prime = neighbours(base=0, titles=3, pairs=3)  # the pairs exist only with it
    assert not d and sorted(d_prime.values()) == [1, 1, 1]
    return audit(list(released(d, max_pairs, 0)), list(released(d_prime, max_pairs, 0)),
                 EPS, DELTA).delta_lower_bound


def test_gaussian_pairs_pass_the_audit() -> None:
    d, d_prime = neighbours(base=30, titles=3, pairs=3)
    assert all(d_prime[k] == d[k] + 1 for k in d) and len(d) == 3
    assert epsilon_proven(d, d_prime, 3) <= EPS
    assert delta_proven() <= DELTA


def test_gaussian_audit_fails_when_the_noise_is_halved(monkeypatch: pytest.MonkeyPatch) -> None:
    honest = omega.dp.gaussian.gaussian_sigma
    monkeypatch.setattr(omega.dp.selection, "gaussian_sigma", lambda e, d, p: honest(e, d, p) / 2)
    d, d_prime = neighbours(base=30, titles=3, pairs=3)
    assert epsilon_proven(d, d_prime, 3) > EPS


def test_gaussian_audit_fails_when_the_pair_bound_is_ignored() -> None:
    """The weight cap ignored: every device adds 1 to 10 pairs (5 titles), the noise is
    calibrated for 3."""
    d, d_prime = neighbours(base=30, titles=5, pairs=10)
    assert len(d) == 10 and all(d_prime[k] == d[k] + 1 for k in d)
    assert epsilon_proven(d, d_prime, 3) > EPS


def test_gaussian_audit_fails_when_the_budget_is_doubled() -> None:
    """A round's budget doubled: the noise is calibrated for 2ε, the claim is ε."""
    d, d_prime = neighbours(base=30, titles=3, pairs=3)
    assert epsilon_proven(d, d_prime, 3, release_epsilon=2 * EPS) > EPS


def test_gaussian_audit_fails_when_the_threshold_is_too_low(
        monkeypatch: pytest.MonkeyPatch) -> None:
    honest = omega.dp.selection.per_partition_delta
    monkeypatch.setattr(omega.dp.selection, "per_partition_delta", lambda d, p: 100 * honest(d, p))
    assert delta_proven() > DELTA
