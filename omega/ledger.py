"""The privacy ledger: ε each device (or web session) has spent, under rolling caps.

A unit is charged when it first counts in a window (one charge covers that window's two
releases: trends and pairs, or web titles and queries). Each cap bounds the ε summed over
*every* interval of its horizon, so a charge is checked against the intervals on both
sides of its window: a late delta for window n−1, arriving after window n was charged,
sees window n. Over a cap, the unit contributes nothing to that window. Charges live in
the unit's table entry, so the ledger is changelogged with the same single write per
event, and kept as long as the longest horizon can need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    """Each window a unit counts in costs `cost_per_window`; `caps` are (budget ε,
    horizon ms): no interval of a horizon may hold more than its budget. Charges are kept
    for the longest horizon plus `slack_ms` (lateness: a late window still sees them)."""

    cost_per_window: float
    caps: tuple[tuple[float, int], ...]
    slack_ms: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> LedgerPolicy:
        from omega.privacy import ledger_caps  # noqa: PLC0415 - dp-accounting only on use

        window_ms = int(settings.window_seconds * 1000)
        return cls(settings.cost_per_window,
                   tuple((cap.budget, int(cap.horizon_s * 1000))
                         for cap in ledger_caps(settings)),
                   window_ms + int(settings.allowed_lateness_seconds * 1000))

    @property
    def keep_ms(self) -> int:
        return max(h for _, h in self.caps) + self.slack_ms


@dataclass(slots=True)
class PrivacyLedger:
    """One unit's charges: (window start ms, ε)."""

    charges: list[tuple[int, float]] = field(default_factory=list)

    def spent(self, window: int, horizon_ms: int) -> float:
        """The most ε charged in any interval [s, s + horizon) that contains `window`.

        The sum over [s, s + horizon) only rises as s moves right when a charge w enters
        at the right end (s = w − horizon + 1), so the largest is at the leftmost start or
        at one of those: charges at or after `window`, usually none (a late delta)."""
        lowest = window - horizon_ms + 1
        starts = [lowest] + [w - horizon_ms + 1 for w, _ in self.charges
                             if window <= w < window + horizon_ms]
        return max(sum(e for w, e in self.charges if s <= w < s + horizon_ms) for s in starts)

    def try_charge(self, window: int, policy: LedgerPolicy) -> bool:
        """Charge `window` if every cap allows; False (and no charge) when one does not."""
        if self.charges:  # a unit's first window (no charges) is the common case: no scans
            if any(w == window for w, _ in self.charges):
                return True
            for budget, horizon_ms in policy.caps:
                # A small tolerance so that budget = n × cost admits exactly n windows.
                if self.spent(window, horizon_ms) + policy.cost_per_window > budget + 1e-9:
                    return False
        self.charges.append((window, policy.cost_per_window))
        return True

    def expire(self, now_window: int, keep_ms: int) -> None:
        """Drop charges that no window from `now_window − slack` on can see."""
        self.charges = [(w, e) for w, e in self.charges if w > now_window - keep_ms]

    def last_needed(self, keep_ms: int) -> int | None:
        """The last time (ms) any charge can still matter; None when there are none."""
        return max(w for w, _ in self.charges) + keep_ms if self.charges else None
