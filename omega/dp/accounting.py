"""Privacy accounting: what one device (or web session) can lose, per window and over time.

Pure functions, shared by the API's privacy fields and `omega privacy report`:

- `max_windows`: the most windows the ledger (omega/dp/ledger.py) lets a unit count in
  within any span of time of a period, whenever it starts.
- `composed`: the privacy-loss distributions (Google's `dp-accounting`, PLD) of one
  unit's window and of the windows the ledger admits in a day, week and year; the
  Laplace sampler's own δ (omega/dp/noise.py) and the discrete Gaussian's exact pmf
  (omega/dp/gaussian.py) go into them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from omega.dp.gaussian import discrete_gaussian, gaussian_sigma
from omega.dp.noise import UNIFORM_GRID, float_sampler_delta
from omega.dp.ranges import discrete_laplace_variance

DAY_S, WEEK_S, YEAR_S = 86_400, 7 * 86_400, 365 * 86_400
PLD_MAX_EPSILON = 20.0  # per coordinate: beyond, `composed` states basic composition



# -- accounting ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Release:
    """One noised release a unit takes part in each window: ε, the number of coordinates
    (titles, pairs, queries) one unit changes by one each, and the partition-selection δ
    (0 for public partitions).

    `mechanism` "laplace": discrete Laplace of scale coordinates/ε, pure ε-DP but for the
    float sampler's δ. "gaussian": Gaussian partition selection (omega/dp.py
    `gaussian_selection`): the noise is (ε, δ/2) over the coordinates, which its privacy
    loss distribution carries, and the threshold adds δ/2."""

    name: str
    epsilon: float
    coordinates: int
    delta: float = 0.0
    mechanism: str = "laplace"

    @property
    def float_delta(self) -> float:
        if self.mechanism == "gaussian":
            return 0.0  # the PLD is built from the sampler's exact distribution
        return self.coordinates * float_sampler_delta(self.epsilon, self.coordinates)

    @property
    def total_delta(self) -> float:
        if self.mechanism == "gaussian":
            return self.delta / 2 + self.float_delta  # the threshold's half
        return self.delta + self.float_delta


def gaussian_sampler_pld(sigma: float) -> Any:
    """The privacy-loss distribution of one coordinate of `DiscreteGaussian(sigma)` as it
    is sampled (its exact grid distribution, not the ideal one), count changed by one."""
    from dp_accounting.pld import privacy_loss_distribution as pld  # noqa: PLC0415

    noise = discrete_gaussian(sigma)
    log_grid = math.log(UNIFORM_GRID)
    lower = {value - noise.bound: math.log(count) - log_grid
             for value, count in enumerate(noise.grid_counts) if count}
    upper = {value + 1: log_p for value, log_p in lower.items()}
    return pld.from_two_probability_mass_functions(lower, upper,
                                                   value_discretization_interval=1e-4)


def pair_release(settings: Any, epsilon: float | None = None) -> Release:
    return Release("pairs", settings.epsilon if epsilon is None else epsilon,
                   settings.max_pairs_per_device, settings.delta, settings.pair_mechanism)


def pair_noise_std(settings: Any, epsilon: float | None = None) -> float:
    """The standard deviation of the noise on each released co-view count."""
    release = pair_release(settings, epsilon)
    if release.mechanism == "gaussian":

        return gaussian_sigma(release.epsilon, release.delta / 2, release.coordinates)
    return math.sqrt(discrete_laplace_variance(release.epsilon, release.coordinates))


def unit_releases(settings: Any, unit: str = "device") -> tuple[Release, Release]:
    """The two releases a TV device (titles, pairs) or a web session (titles, queries)
    takes part in each window it counts in."""
    if unit == "device":
        return (Release("titles", settings.epsilon, settings.max_titles_per_device),
                pair_release(settings))
    return (Release("web titles", settings.epsilon, settings.max_titles_per_session),
            Release("queries", settings.epsilon, settings.max_queries_per_session,
                    settings.delta))


def _pld(releases: tuple[Release, ...], windows: int) -> Any:
    from dp_accounting.pld import common  # noqa: PLC0415 - ~0.5 s, only here
    from dp_accounting.pld import privacy_loss_distribution as pld

    window = None
    for release in releases:
        if release.mechanism == "gaussian":

            sigma = gaussian_sigma(release.epsilon, release.delta / 2, release.coordinates)
            part = gaussian_sampler_pld(sigma).self_compose(release.coordinates)
        else:
            part = pld.from_discrete_laplace_mechanism(
                release.epsilon / release.coordinates, sensitivity=1,
                value_discretization_interval=1e-4).self_compose(release.coordinates)
        if release.total_delta > 0:
            part = part.compose(pld.from_privacy_parameters(
                common.DifferentialPrivacyParameters(0.0, release.total_delta)))
        window = part if window is None else window.compose(part)
    assert window is not None
    return window if windows == 1 else window.self_compose(windows)


@dataclass(frozen=True, slots=True)
class Guarantee:
    """A unit's worst case over `windows` windows: basic composition and PLD."""

    windows: int
    basic_epsilon: float
    delta: float  # the δ the PLD ε is stated at
    epsilon: float  # composed with dp-accounting's PLD at `delta`


@lru_cache(maxsize=64)
def composed(releases: tuple[Release, ...], windows: int, slack_delta: float) -> Guarantee:
    """(ε, δ) of `windows` windows of `releases`, δ = the releases' own δ (thresholds and
    float samplers) over those windows plus `slack_delta` for the composition."""
    if windows == 0:
        return Guarantee(0, 0.0, 0.0, 0.0)
    delta = windows * sum(r.total_delta for r in releases) + slack_delta
    basic = windows * sum(r.epsilon for r in releases)
    if any(r.epsilon / r.coordinates > PLD_MAX_EPSILON for r in releases):
        # No privacy to speak of (the soak's ε = 10⁹ turns the noise off), and a PLD over
        # such losses does not fit in memory: basic composition is the honest bound.
        return Guarantee(windows, basic, min(delta, 1.0), basic)
    epsilon = float(_pld(releases, windows).get_epsilon_for_delta(delta))
    return Guarantee(windows, basic, delta, epsilon)


@dataclass(frozen=True, slots=True)
class Cap:
    """At most `budget` ε (basic composition, as the ledger sums it) in any `horizon_s`."""

    name: str
    budget: float
    horizon_s: float


def ledger_caps(settings: Any) -> tuple[Cap, ...]:
    return (Cap("day", settings.ledger_budget, settings.ledger_horizon_seconds),
            Cap("week", settings.ledger_week_budget, settings.ledger_week_seconds),
            Cap("year", settings.ledger_year_budget, settings.ledger_year_seconds))


def windows_touched(period_s: float, window_s: float) -> int:
    """The most windows whose data a span of time of `period_s` holds: the windows that
    fit in it, and one more, as a span that starts inside a window reaches into a further
    one (a day of 4-hour windows touches 7 of them)."""
    return math.ceil(period_s / window_s - 1e-9) + 1


def max_windows(period_s: float, window_s: float, cost: float, caps: tuple[Cap, ...]) -> int:
    """The most windows one unit can count in within any span of time of `period_s`.

    Such a span touches T = `windows_touched` consecutive windows. The ledger checks each
    cap over its horizon plus one window of window starts (omega/ledger.py), so every run
    of L = `windows_touched(horizon)` consecutive windows holds at most n = ⌊budget/cost⌋
    charges: T windows are ⌊T/L⌋ such runs and a shorter rest, bounded by every cap in
    turn. At a period equal to a cap's horizon this is exactly n (when no other cap is
    tighter): the counts stated hold for any span of that length."""
    runs = [(windows_touched(cap.horizon_s, window_s), math.floor(cap.budget / cost + 1e-9))
            for cap in caps]

    @cache
    def most(windows: int) -> int:
        bound = windows
        for length, allowed in runs:
            if windows <= length:
                bound = min(bound, allowed)
            else:
                bound = min(bound, windows // length * allowed + most(windows % length))
        return bound

    return most(windows_touched(period_s, window_s))


def report_rows(settings: Any, unit: str = "device") -> list[tuple[str, Guarantee]]:
    """(period, guarantee) for one window, a day, a week and a year at these settings. A
    web session also ends with its token (session_ttl_s): it can touch at most the
    windows its lifetime overlaps."""
    releases = unit_releases(settings, unit)
    rows = [("window", composed(releases, 1, settings.delta))]
    for name, period in (("day", DAY_S), ("week", WEEK_S), ("year", YEAR_S)):
        rows.append((name, composed(releases, unit_windows(settings, unit, period),
                                    settings.delta)))
    return rows


def unit_windows(settings: Any, unit: str, period_s: float) -> int:
    """The most windows one unit counts in within any span of time of `period_s` at these
    settings: the report's and the API's window counts."""
    releases = unit_releases(settings, unit)
    window_s = settings.window_seconds
    most = max_windows(period_s, window_s, sum(r.epsilon for r in releases),
                       ledger_caps(settings))
    if unit == "session":  # and no more than its token's lifetime touches
        most = min(most, windows_touched(settings.session_ttl_s, window_s))
    return most


def view_guarantee(release: Release, windows: int, slack_delta: float) -> Guarantee:
    """(ε, δ) of a view that sums `windows` windows of one release (a day's trends)."""
    return composed((release,), windows, slack_delta)
