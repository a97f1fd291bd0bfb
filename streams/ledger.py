"""The privacy ledger: ε each device has spent over a rolling horizon.

A device is charged when it first counts in a window (one charge covers that window's
trend and pair releases). Over budget, it contributes nothing until old charges fall
out of the horizon. Charges live in the device's table entry, so the ledger is
changelogged with the same single write per delta and expires with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    """Budget ε over a horizon; each window a device counts in costs `cost_per_window`."""

    budget: float
    horizon_ms: int
    cost_per_window: float


@dataclass(slots=True)
class PrivacyLedger:
    """One device's charges: (window start ms, ε)."""

    charges: list[tuple[int, float]] = field(default_factory=list)

    def spent(self, window: int, horizon_ms: int) -> float:
        """ε charged for windows in (window − horizon, window]."""
        return sum(eps for w, eps in self.charges if window - horizon_ms < w <= window)

    def try_charge(self, window: int, policy: LedgerPolicy) -> bool:
        """Charge `window` if the budget allows; False (and no charge) when over budget."""
        spent = 0.0  # a device's first window (no charges) is the common case: no scans
        if self.charges:
            if any(w == window for w, _ in self.charges):
                return True
            spent = self.spent(window, policy.horizon_ms)
        # A small tolerance so that budget = n × cost admits exactly n windows.
        if spent + policy.cost_per_window > policy.budget + 1e-9:
            return False
        self.charges.append((window, policy.cost_per_window))
        return True

    def expire(self, now_window: int, horizon_ms: int) -> None:
        """Drop charges that no window at or after `now_window` can see."""
        self.charges = [(w, e) for w, e in self.charges if w > now_window - horizon_ms]
