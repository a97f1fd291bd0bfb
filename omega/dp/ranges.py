"""Day and week views: sums of window releases (post-processing, so no extra ε).

Only released (noised) numbers come in here, so api/ and consumers/ may use it freely.
The error of a sum of n window releases is the sum of n independent discrete-Laplace
noises: variance n · 2p/(1−p)², p = exp(−ε/K).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
RANGES_MS = {"day": DAY_MS, "week": WEEK_MS}


def discrete_laplace_variance(epsilon: float, sensitivity: float) -> float:
    """Variance of the two-sided geometric with p = exp(−ε/sensitivity)."""
    p = math.exp(-epsilon / sensitivity)
    return 2 * p / (1 - p) ** 2


def range_totals(
    releases: Iterable[Mapping[str, Any]], start_ms: int, end_ms: int, key: str = "title_id",
) -> Counter[Any]:
    """Sum the noisy counts of the windows that lie wholly inside [start_ms, end_ms)."""
    totals: Counter[Any] = Counter()
    for record in releases:
        if start_ms <= record["window_start_ms"] and record["window_end_ms"] <= end_ms:
            totals[record[key]] += record["noisy_count"]
    return totals


def range_noise_std(n_windows: int, epsilon: float, sensitivity: float) -> float:
    """Standard deviation of a range total made of `n_windows` window releases."""
    return math.sqrt(n_windows * discrete_laplace_variance(epsilon, sensitivity))
