"""The above-the-noise threshold: known answers from the noise's law, by hand and by brute
force, and what it does to a window of 63,209 titles nobody watched."""

from __future__ import annotations

import math

import numpy as np
import pytest

from omega.dp.above_noise import noise_threshold
from omega.release import release_trends

P = math.exp(-0.1 / 10)  # ε = 0.1, K = 10: discrete Laplace of scale 100


def one_window(alpha: float) -> int:
    """Smallest t ≥ 1 with P(X ≥ t) = p^t / (1 + p) ≤ α: the one-window tail in closed form."""
    return math.ceil(math.log(alpha * (1 + P)) / math.log(P))


def brute_force(windows: int, alpha: float) -> int:
    """The same threshold from the pmf convolved `windows` times, summed from the top."""
    k = np.arange(-6000, 6001)
    pmf = (1 - P) / (1 + P) * P ** np.abs(k)
    total = pmf
    for _ in range(windows - 1):
        total = np.convolve(total, pmf)
    support = np.arange(len(total)) - (len(total) // 2)
    at_least = np.cumsum(total[::-1])[::-1]
    return int(support[np.argmax(at_least <= alpha)])


@pytest.mark.parametrize("titles", [1, 3, 50, 63_209, 1_000_000])
def test_one_window_matches_the_closed_form(titles: int) -> None:
    assert noise_threshold(1, 0.1, 10, titles) == one_window(0.001 / titles)


def test_known_answers() -> None:
    assert noise_threshold(1, 0.1, 10, 63_209) == 1_728  # make run's window: max noise ≈ 1,000
    assert noise_threshold(1, 0.1, 10, 1, confidence=0.999) == 622
    assert noise_threshold(16, 0.1, 10, 63_209) == 3_653  # not 16 × 1,728: the noise is √n
    assert noise_threshold(2, 1.0, 10, 63_209) == noise_threshold(2, 0.1, 1, 63_209)


@pytest.mark.parametrize(("windows", "titles"), [(2, 3), (2, 63_209), (3, 1_000)])
def test_sums_of_windows_match_brute_force_convolution(windows: int, titles: int) -> None:
    assert noise_threshold(windows, 0.1, 10, titles) == brute_force(windows, 0.001 / titles)


def test_a_week_of_minute_windows_is_quick_and_grows_as_the_square_root() -> None:
    week = noise_threshold(10_080, 0.1, 10, 63_209)
    sigma = math.sqrt(10_080 * 2 * P) / (1 - P)
    assert 5.5 * sigma < week < 6.5 * sigma  # about the Gaussian's 5.5σ, a little heavier


def test_bonferroni_holds_where_a_per_title_bound_does_not() -> None:
    """Nobody watched any of 63,209 titles: a per-title 99.9 % bound lets about 63 through;
    the threshold over all titles lets none (in these seeded windows)."""
    per_title = noise_threshold(1, 0.1, 10, 1)
    for seed in range(5):
        noise = [r["noisy_count"] for r in
                 release_trends(0, 60_000, {}, range(63_209), 0.1, 10, seed=seed)]
        assert 30 < sum(c >= per_title for c in noise) < 110
        assert max(noise) < noise_threshold(1, 0.1, 10, 63_209)


def test_bad_arguments_say_what_was_wrong() -> None:
    with pytest.raises(ValueError, match="at least one window and one title, got 0 windows"):
        noise_threshold(0, 0.1, 10, 5)
    for confidence in (1.0, 0.3):
        with pytest.raises(ValueError, match=r"confidence must lie in \[0.5, 1\)"):
            noise_threshold(1, 0.1, 10, 5, confidence=confidence)
