"""Differential privacy: ε and δ, contribution bounds, ledgers, the release noise's key."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from omega.settings.base import Group


class PrivacySettings(Group):
    """What each release spends, what a unit may contribute, and the caps over time
    (docs/privacy.md)."""

    epsilon: float = Field(default=0.1, gt=0, description="ε of each release (docs/privacy.md).")
    delta: float = Field(default=1e-6, gt=0, lt=1,
                         description="δ of each thresholded release (pairs, searches).")
    max_titles_per_device: int = Field(
        default=10, gt=0, description="K: titles per device per window."
    )
    max_pairs_per_device: int = Field(
        default=45, gt=0, description="P: co-view pairs per device per window; 45 = every "
                                      "pair of K = 10 titles, so none is dropped.")
    pair_mechanism: Literal["gaussian", "laplace"] = Field(
        default="gaussian", description="Co-view pair release: Gaussian partition selection "
                                        "(noise for ℓ2 sensitivity √P) or the naive Laplace "
                                        "threshold (scale P/ε), kept for comparison.")
    min_devices: int = Field(
        default=1000, ge=1, description="No pair or query is released below this many units.")
    floor_error: float = Field(
        default=1e-9, gt=0, lt=1,
        description="Gaussian pairs: the largest chance that a pair watched by fewer than "
                    "min_devices devices is released (the floor threshold). Per pair: a "
                    "1M-device window holds ~3M pairs, so 1e-9 keeps the expected number "
                    "of such pairs released below 0.01 a window.")
    max_queries_per_session: int = Field(default=3, gt=0, description="Q per session, window.")
    max_titles_per_session: int = Field(default=10, gt=0, description="Web titles per session.")
    ledger_budget: float = Field(
        default=1.0, gt=0, description="ε (summed) a device or session may spend in any day "
                                       "(ledger_horizon_seconds): 5 windows at 2 × 0.1 in "
                                       "any 24 h, which touch 7 of 4 h (docs/privacy.md).")
    ledger_horizon_seconds: float = Field(default=86_400, gt=0, description="The day cap's "
                                          "horizon (make run shortens it with its windows).")
    ledger_week_budget: float = Field(
        default=4.0, gt=0, description="ε (summed) in any week: 20 of the 43 windows it "
                                       "touches.")
    ledger_week_seconds: float = Field(default=7 * 86_400, gt=0,
                                       description="The week cap's horizon.")
    ledger_year_budget: float = Field(
        default=100.0, gt=0, description="ε (summed) in any year: 500 windows; composed "
                                         "with PLD, ε ≈ 5.5 at δ = 2.5e-4 (omega privacy "
                                         "report).")
    ledger_year_seconds: float = Field(default=365 * 86_400, gt=0,
                                       description="The year cap's horizon.")
    release_seed: int | None = Field(
        default=None, description="Seed for replays and audits: the noise is then known to "
                                  "whoever knows the seed; never in production.")
    release_key: str | None = Field(
        default=None, repr=False,
        description="Keys the release noise: each (stream, window) draws from ChaCha20 keyed "
                    "by HMAC(key, stream, window), so a retried release is bit-identical to "
                    "the first attempt. Unset: a random key kept in the data folder (mode "
                    "0600); set it when the releaser can move between hosts.")
    release_keyed: bool = Field(
        default=True, description="False: OS randomness for each release attempt (a retry "
                                  "after an aborted transaction then draws fresh noise; "
                                  "logged as such). For experiments only.")

    @model_validator(mode="after")
    def _budget_admits_a_window(self) -> PrivacySettings:
        for name, budget in (("OMEGA_LEDGER_BUDGET", self.ledger_budget),
                             ("OMEGA_LEDGER_WEEK_BUDGET", self.ledger_week_budget),
                             ("OMEGA_LEDGER_YEAR_BUDGET", self.ledger_year_budget)):
            if budget + 1e-9 < self.cost_per_window:
                raise ValueError(
                    f"{name}={budget} is below one window's cost 2 × OMEGA_EPSILON = "
                    f"{self.cost_per_window}: no device could ever count; raise it to at "
                    f"least {self.cost_per_window}")
        return self

    @property
    def cost_per_window(self) -> float:
        """ε one device spends in a window it counts in: its trends and its pairs."""
        return 2 * self.epsilon
