"""Empirical DP audit: what privacy loss do sampled outputs on neighbouring inputs prove?

In the style of Google's DP stochastic tester and DP-Auditorium: run a mechanism many
times on inputs D and D′ that differ in one unit, histogram the outputs, and for every
outcome bin compute Clopper–Pearson bounds. A bin S proves a violation of (ε, δ)-DP when
even the pessimistic estimates give P[M(D) ∈ S] > e^ε · P[M(D′) ∈ S] + δ. The audit
reports the largest ε (for the given δ) and the largest δ (for the given ε) the samples
prove, so a test can assert both are within the claimed guarantee, and a deliberately
broken mechanism shows they are not.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from scipy.stats import beta


@dataclass(frozen=True)
class AuditResult:
    epsilon_lower_bound: float
    delta_lower_bound: float
    bins: int


def _bounds(successes: int, trials: int, alpha: float) -> tuple[float, float]:
    """Two-sided Clopper–Pearson interval at level 1 − alpha."""
    low = 0.0 if successes == 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes == trials else float(
        beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high


def audit(
    outputs_d: Sequence[Hashable], outputs_d_prime: Sequence[Hashable],
    epsilon: float, delta: float, confidence: float = 0.999,
) -> AuditResult:
    """Lower bounds on the (ε, δ) that the two samples prove, both directions, Bonferroni."""
    hist_a, hist_b = Counter(outputs_d), Counter(outputs_d_prime)
    n_a, n_b = len(outputs_d), len(outputs_d_prime)
    outcomes = set(hist_a) | set(hist_b)
    alpha = (1 - confidence) / max(2 * len(outcomes), 1)
    eps_proven, delta_proven = 0.0, 0.0
    for outcome in outcomes:
        a_low, a_high = _bounds(hist_a[outcome], n_a, alpha)
        b_low, b_high = _bounds(hist_b[outcome], n_b, alpha)
        for p_low, q_high in ((a_low, b_high), (b_low, a_high)):
            delta_proven = max(delta_proven, p_low - math.exp(epsilon) * q_high)
            if p_low - delta > 0 and q_high > 0:
                eps_proven = max(eps_proven, math.log((p_low - delta) / q_high))
    return AuditResult(eps_proven, max(delta_proven, 0.0), len(outcomes))
