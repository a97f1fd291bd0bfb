"""Popularity and trending, read through their noise: the public prior, and DP totals by
their lower confidence bounds (the model docs/search.md describes).

- popularity: the public prior (IMDb votes and a Bayesian-average rating; MovieLens rating
  counts where IMDb has none), shrunk toward the DP TV total of the week only as far as
  that total stands above its noise: the weight of the DP evidence is lcb / (lcb + zσ),
  with lcb = total − zσ its lower confidence bound and σ the known noise of the sum.
- trending: the lower confidence bound of the DP TV total of the day, log-scaled against
  the largest one; 0 within the noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.views import Views
from omega.dp.ranges import range_noise_std
from omega.titles import known_votes

TRENDING_TOP = 20


@dataclass(frozen=True)
class Prior:
    """The public popularity prior's knobs (OMEGA_PRIOR_*)."""

    votes_ref: float = 500_000  # IMDb votes that count as fully popular (the catalog's top)
    min_votes: float = 1_000  # m of the Bayesian average: votes a rating needs to count
    mean_rating: float = 6.0  # C of the Bayesian average: the catalog's mean IMDb rating
    rating_share: float = 0.25  # the prior is (1 − share) · votes part + share · rating part
    confidence_z: float = 2.0  # lcb = total − z·σ (z = 2: one-sided 97.7 %)
    volume_power: float = 2.0  # the votes part is (log votes / log votes_ref) ** power

    def __call__(self, record: dict[str, Any]) -> float:
        """0..1: log-scaled votes (MovieLens ratings in IMDb votes where IMDb has none,
        omega.titles.known_votes), and the Bayesian-average rating."""
        votes = known_votes(record)
        volume = min(1.0, math.log1p(votes) / math.log1p(self.votes_ref)) ** self.volume_power
        volume = float(volume)
        rating = float(record["rating"]) if record.get("rating") is not None else 0.0
        n = float(record.get("votes") or 0) if record.get("rating") is not None else 0.0
        bayes = (n * rating + self.min_votes * self.mean_rating) / (n + self.min_votes)
        quality = max(0.0, min(1.0, (bayes - 1) / 9))
        return (1 - self.rating_share) * volume + self.rating_share * quality


@dataclass
class Evidence:
    """A DP total per title, read through its lower confidence bound."""

    lcb: dict[int, float]  # titles whose total stands above z·σ only
    sigma: float
    z: float
    scale: float  # log1p of the largest lcb

    @classmethod
    def of(cls, totals: Mapping[int, int], sigma: float, z: float) -> Evidence:
        lcb = {t: c - z * sigma for t, c in totals.items() if c - z * sigma > 0}
        return cls(lcb, sigma, z, math.log1p(max(lcb.values(), default=0.0)))

    def strength(self, title_id: int) -> float:
        value = self.lcb.get(title_id, 0.0)
        return math.log1p(value) / self.scale if value > 0 and self.scale > 0 else 0.0

    def confidence(self, title_id: int) -> float:
        """How far to trust the total over a prior: lcb / (lcb + zσ), 0 within the noise."""
        value = self.lcb.get(title_id, 0.0)
        return value / (value + self.z * self.sigma) if value > 0 else 0.0

    def top(self, n: int) -> list[int]:
        return sorted(self.lcb, key=lambda t: (-self.lcb[t], t))[:n]


@dataclass
class Signals:
    """DP week and day evidence from the release topics, and the public prior."""

    week: Evidence
    day: Evidence
    top_week: list[int]
    top_day: list[int]

    @classmethod
    def from_views(cls, views: Views, z: float) -> Signals:
        def evidence(span: str) -> Evidence:
            totals, meta = views.totals(span)
            sigma = (range_noise_std(meta["windows"], meta["epsilonPerWindow"],
                                     meta["sensitivity"]) if meta["windows"] else 0.0)
            return Evidence.of(totals, sigma, z)

        week, day = evidence("week"), evidence("day")
        return cls(week, day, week.top(TRENDING_TOP), day.top(TRENDING_TOP))
