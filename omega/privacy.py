"""Privacy accounting: what one device (or web session) can lose, per window and over time.

Pure functions, shared by the worker's noise (omega/dp.py), the API's privacy fields and
`omega privacy report`:

- `geometric_from_uniforms`: diffprivlib's `Geometric.randomise` formula (discrete Laplace,
  two-sided geometric) applied to uniforms; the worker's only noise sampler.
- `float_sampler_delta`: that sampler runs in floating point, so it is not exactly the
  ideal distribution (Mironov 2012). Its exact output distribution on the 2⁵³-point grid
  of uniforms is computed here (the formula is monotone on each side of ½, so the grid
  splits into one interval per output value, found by bisection), and the δ it adds is
  the hockey-stick divergence of that distribution from itself shifted by one.
- `max_windows`: the most windows the ledger (omega/ledger.py) lets a unit count in
  within any span of time of a period, whenever it starts.
- `composed`: the privacy-loss distributions (Google's `dp-accounting`, PLD) of one
  unit's window and of the windows the ledger admits in a day, week and year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np

from omega.ranges import discrete_laplace_variance

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_GRID = 2**53  # uniforms are m · 2⁻⁵³, m in [0, 2⁵³)
DAY_S, WEEK_S, YEAR_S = 86_400, 7 * 86_400, 365 * 86_400
PLD_MAX_EPSILON = 20.0  # per coordinate: beyond, `composed` states basic composition


def geometric_from_uniforms(uniform: FloatArray, scale: float) -> FloatArray:
    """Two-sided geometric noise (whole numbers in float64) for uniforms in [0, 1), with
    scale = −ε/sensitivity, exactly as diffprivlib's `Geometric.randomise` computes it.

    A uniform of exactly 0.5 (probability 2⁻⁵³), where the formula takes log(0) and
    diffprivlib's own call overflows, gives noise 0.
    """
    unif_rv = (uniform - 0.5) * (1 + np.exp(scale))
    sign = np.where(unif_rv < 0, -1.0, 1.0)
    with np.errstate(divide="ignore"):
        noise: FloatArray = sign * np.floor(np.log(sign * unif_rv) / scale)
    noise[~np.isfinite(noise)] = 0.0
    return noise


def _noise_at(m: np.ndarray[Any, np.dtype[np.int64]], scale: float) -> np.ndarray[
        Any, np.dtype[np.int64]]:
    return geometric_from_uniforms(m.astype(np.float64) * 2.0**-53, scale).astype(np.int64)


def _first_at_most(lo: int, hi: int, targets: np.ndarray[Any, np.dtype[np.int64]],
                   scale: float, decreasing: bool) -> np.ndarray[Any, np.dtype[np.int64]]:
    """For each target k, the first grid point m in [lo, hi] whose noise is ≤ k (noise
    non-increasing in m) or ≥ k (non-decreasing): a vectorised bisection."""
    left = np.full(targets.shape, lo, dtype=np.int64)
    right = np.full(targets.shape, hi + 1, dtype=np.int64)
    while np.any(left < right):
        mid = (left + right) // 2
        values = _noise_at(np.minimum(mid, hi), scale)
        ok = (values <= targets) if decreasing else (values >= targets)
        ok &= mid <= hi
        right = np.where(ok, mid, right)
        left = np.where(ok, left, mid + 1)
    return left


@lru_cache(maxsize=32)
def float_sampler_pmf(epsilon: float, sensitivity: int) -> dict[int, int]:
    """The sampler's exact output distribution: noise value → number of grid points (of
    2⁵³) that give it, for noise of scale sensitivity/ε."""
    scale = -epsilon / sensitivity
    half = _GRID // 2
    counts: dict[int, int] = {0: 1}  # m = 2⁵² is a uniform of exactly ½: noise 0
    # Above ½ noise falls from its largest value (m = 2⁵² + 1) to 0 (m = 2⁵³ − 1).
    top = int(_noise_at(np.array([half + 1]), scale)[0])
    ks = np.arange(top, -1, -1, dtype=np.int64)
    starts = _first_at_most(half + 1, _GRID - 1, ks, scale, decreasing=True)
    ends = np.append(starts[1:], _GRID)
    for k, start, end in zip(ks.tolist(), starts.tolist(), ends.tolist(), strict=True):
        counts[k] = counts.get(k, 0) + end - start
    # Below ½ noise falls from 0 (m = 0) to its smallest value (m = 2⁵² − 1).
    bottom = int(_noise_at(np.array([half - 1]), scale)[0])
    ks = np.arange(0, bottom - 1, -1, dtype=np.int64)
    starts = _first_at_most(0, half - 1, ks, scale, decreasing=True)
    ends = np.append(starts[1:], half)
    for k, start, end in zip(ks.tolist(), starts.tolist(), ends.tolist(), strict=True):
        counts[k] = counts.get(k, 0) + end - start
    assert sum(counts.values()) == _GRID
    return {k: c for k, c in counts.items() if c}


@lru_cache(maxsize=32)
def float_sampler_delta(epsilon: float, sensitivity: int) -> float:
    """δ the float sampler adds to one coordinate's ε/sensitivity guarantee (count changed
    by one): max over both shifts of Σ_k max(0, P(k) − e^{ε/s}·P(k∓1))."""
    pmf = float_sampler_pmf(epsilon, sensitivity)
    ratio = math.exp(min(epsilon / sensitivity, 700.0))  # e^x overflows a float beyond
    worst = 0.0
    for shift in (1, -1):
        keys = set(pmf) | {k + shift for k in pmf}
        excess = sum(max(0.0, pmf.get(k, 0) - ratio * pmf.get(k - shift, 0)) for k in keys)
        worst = max(worst, excess / _GRID)
    return worst


def ideal_geometric_pmf(epsilon: float, sensitivity: int, k: int) -> float:
    """P(X = k) for the ideal two-sided geometric of scale sensitivity/ε."""
    p = math.exp(-epsilon / sensitivity)
    return (1 - p) / (1 + p) * p ** abs(k)


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

    from omega.dp import discrete_gaussian  # noqa: PLC0415 - dp imports this module

    noise = discrete_gaussian(sigma)
    log_grid = math.log(_GRID)
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
        from omega.dp import gaussian_sigma  # noqa: PLC0415 - dp imports this module

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
            from omega.dp import gaussian_sigma  # noqa: PLC0415 - dp imports this module

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
