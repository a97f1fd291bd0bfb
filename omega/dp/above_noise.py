"""Which released counts stand above their noise: a threshold from the noise's exact law.

Post-processing of DP releases (public counts, public ε and K), so it costs no privacy.
A title's released count in one window is its devices plus discrete Laplace noise
X ~ P(k) ∝ p^|k|, p = exp(−ε/K); a day or week total adds n independent such noises.
X is G1 − G2 with G1, G2 independent geometrics (failures before a success of 1 − p), so
the noise of n windows is A − B with A, B independent negative binomials NB(n, 1 − p),
and its tail is P(A − B ≥ t) = Σ_b P(B = b) · P(A ≥ t + b): exact, no approximation.

Many titles are compared at once (every catalog title is released every window), so a
per-title bound at 99.9 % would still let one noise-only title in a thousand through:
63 of 63,209. The threshold is Bonferroni's: each title is held to (1 − confidence) /
titles, so the chance that any title with no viewers at all reaches it is at most
1 − confidence. A count at or above the threshold has a lower confidence bound
(count − threshold + 1) above zero, simultaneously for all titles compared.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.stats import nbinom

CONFIDENCE = 0.999
METHOD = ("Bonferroni: each title's noise reaches the threshold with probability at most "
          "(1 − confidence) / titles compared, so no title without viewers does, with "
          "probability at least the confidence")
_NEGLECT = 1e-6  # the law of B is cut where its tails hold this share of each title's α


@functools.lru_cache(maxsize=256)
def noise_threshold(windows: int, epsilon: float, sensitivity: float, compared: int,
                    confidence: float = CONFIDENCE) -> int:
    """The smallest count t that the noise of a sum of `windows` releases (discrete Laplace,
    scale sensitivity/ε) reaches with probability ≤ (1 − confidence) / `compared`: a title
    whose noisy sum is ≥ t stands above the noise, jointly for all `compared` titles."""
    if windows < 1 or compared < 1:
        raise ValueError(f"a threshold needs at least one window and one title, got "
                         f"{windows} windows and {compared} titles")
    if not 0.5 <= confidence < 1 or epsilon <= 0 or sensitivity <= 0:
        raise ValueError(f"confidence must lie in [0.5, 1) and ε, sensitivity be positive; "
                         f"got {confidence}, {epsilon}, {sensitivity}")
    alpha = (1 - confidence) / compared
    law = nbinom(windows, -math.expm1(-epsilon / sensitivity))  # A and B, each
    cut = alpha * _NEGLECT
    b = np.arange(int(law.ppf(cut)), int(law.isf(cut)) + 1)  # P(B outside) < 2·cut
    weights = law.pmf(b)
    # P(A − B ≥ t) ≤ P(A ≥ t + b₀) + P(B < b₀): with b₀ = b[0], this t reaches α.
    high = int(law.isf(alpha - cut)) + 1 - int(b[0])
    ks = np.arange(int(b[0]), high + int(b[-1]) + 1)
    at_least = np.cumsum(law.pmf(ks)[::-1])[::-1] + law.sf(ks[-1])  # P(A ≥ k), k in ks

    def tail(t: int) -> float:  # Σ_b P(B = b) · P(A ≥ t + b); b and ks both start at b[0]
        return float(np.dot(weights, at_least[t:t + len(b)]))

    low = 0  # tail(0) > 1/2 ≥ α
    while high - low > 1:  # tail(low) > α ≥ tail(high)
        middle = (low + high) // 2
        low, high = (middle, high) if tail(middle) > alpha else (low, middle)
    return high

