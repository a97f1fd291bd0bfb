"""Accounting: the float sampler's exact distribution, its δ, and composed guarantees."""

from __future__ import annotations

import numpy as np
import pytest

from omega.dp.accounting import Cap, Release, composed, max_windows, report_rows
from omega.dp.noise import (
    float_sampler_delta,
    float_sampler_pmf,
    geometric_from_uniforms,
    ideal_geometric_pmf,
)
from omega.settings import Settings


@pytest.mark.parametrize(("eps", "sensitivity"), [(0.1, 10), (0.1, 3), (1.0, 1)])
def test_the_float_sampler_is_the_ideal_distribution_up_to_grid_rounding(
        eps: float, sensitivity: int) -> None:
    pmf = float_sampler_pmf(eps, sensitivity)
    assert sum(pmf.values()) == 2**53
    distance = sum(abs(c / 2**53 - ideal_geometric_pmf(eps, sensitivity, k))
                   for k, c in pmf.items()) / 2
    assert 0 < distance < 1e-12  # rounding only: the review's 1.3e-13 at (0.1, 10)
    # Spot checks against the formula itself, at the grid points that border an interval.
    for k in (0, 1, -1, 5):
        assert pmf[k] / 2**53 == pytest.approx(ideal_geometric_pmf(eps, sensitivity, k),
                                               rel=1e-9)


def test_the_sampler_is_monotone_on_each_side_of_a_half_as_the_bisection_assumes() -> None:
    grid = np.sort(np.random.default_rng(0).integers(0, 2**53, size=1_000_000))
    noise = geometric_from_uniforms(grid.astype(np.float64) * 2.0**-53, -0.1 / 10)
    below, above = noise[grid < 2**52], noise[grid > 2**52]
    assert np.all(np.diff(below) <= 0) and np.all(np.diff(above) <= 0)
    assert below[0] == 0 and above[-1] == 0 and below[-1] < -500 < 500 < above[0]
    pmf = float_sampler_pmf(0.1, 10)
    values, counts = np.unique(noise, return_counts=True)
    assert set(values.astype(int).tolist()) <= set(pmf)
    assert counts[values == 0][0] / len(grid) == pytest.approx(pmf[0] / 2**53, rel=0.1)


def test_float_delta_is_tiny_but_not_zero() -> None:
    delta = float_sampler_delta(0.1, 10)
    assert 1e-15 < delta < 1e-12


def test_pld_composition_known_answers() -> None:
    titles = Release("titles", 0.1, 10)
    one = composed((titles,), 1, 1e-6)
    assert one.basic_epsilon == pytest.approx(0.1)
    assert one.epsilon == pytest.approx(0.1, abs=0.005)  # one window: its own ε
    day = composed((titles,), 6, 1e-6)
    assert day.basic_epsilon == pytest.approx(0.6)
    assert 0.1 < day.epsilon < 0.6  # PLD is tighter than summing
    assert composed((titles,), 0, 1e-6).epsilon == 0


def test_the_ledger_caps_bound_the_windows_of_each_period() -> None:
    caps = (Cap("day", 1.0, 86_400), Cap("week", 4.0, 7 * 86_400),
            Cap("year", 100.0, 365 * 86_400))
    assert max_windows(86_400, 4 * 3600, 0.2, caps) == 5
    assert max_windows(7 * 86_400, 4 * 3600, 0.2, caps) == 20
    assert max_windows(365 * 86_400, 4 * 3600, 0.2, caps) == 500
    # A span of 4 h touches two windows; of two days, 13: at most 5 in each day's span.
    assert max_windows(4 * 3600, 4 * 3600, 0.2, caps) == 2
    assert max_windows(2 * 86_400, 4 * 3600, 0.2, caps) == 10
    # No year cap: a year's span touches 2,191 windows, 50 runs of a week's 43 and 41
    # more (a week's worth at most): 50 × 20 + 20.
    assert max_windows(365 * 86_400, 4 * 3600, 0.2, caps[:2]) == 1020


def test_the_report_at_the_defaults_grows_with_the_period() -> None:
    rows = dict(report_rows(Settings()))
    assert [rows[p].windows for p in ("window", "day", "week", "year")] == [1, 5, 20, 500]
    assert rows["window"].basic_epsilon == pytest.approx(0.2)
    assert rows["window"].epsilon <= 0.2 + 1e-3
    assert rows["day"].epsilon < rows["week"].epsilon < rows["year"].epsilon < 100


def privacy_report(monkeypatch: pytest.MonkeyPatch, **settings: object) -> str:
    """`omega privacy report`'s output under these settings (as OMEGA_* variables)."""
    from click.testing import CliRunner

    from omega.cli import main
    from omega.settings import get_settings

    for name, value in settings.items():
        monkeypatch.setenv(f"OMEGA_{name.upper()}", str(value))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["privacy", "report"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def test_omega_privacy_report_prints_each_units_table(monkeypatch: pytest.MonkeyPatch) -> None:
    output = privacy_report(monkeypatch, ledger_week_budget=2.0)
    assert "| week | 10 | 2.00 |" in output  # the cap set above binds the week
    assert "| day | 5 | 1.00 |" in output and "| year | 500 | 100.00 |" in output
    assert "web session (lives 30 min" in output
    assert "dp-accounting" in output
