"""The privacy ledger: ε each device (or web session) has spent, under rolling caps.

A unit is charged when it first counts in a window (one charge covers that window's two
releases: trends and pairs, or web titles and queries). A charge covers its whole window,
so each cap bounds the ε of every window whose data falls in *any* span of time of its
horizon: a span of a day holds data of windows starting up to one window before it, so
the cap is checked over every interval of a horizon plus one window of window starts
(`LedgerPolicy.span`). A charge is checked against the intervals on both sides of its
window: a late delta for window n−1, arriving after window n was charged, sees window n.
Over a cap, the unit contributes nothing to that window. Charges live in the unit's
table entry, so the ledger is changelogged with the same single write per event; they
are dropped on released-window time, never on a clock (`expire`, `last_needed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LedgerPolicy:
    """Each window a unit counts in costs `cost_per_window`; `caps` are (budget ε,
    horizon ms): no span of time of a horizon may hold data of windows charged more than
    its budget. A charge at window start w covers [w, w + `window_ms`) (0: an instant)."""

    cost_per_window: float
    caps: tuple[tuple[float, int], ...]
    window_ms: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> LedgerPolicy:
        from omega.dp.accounting import ledger_caps  # noqa: PLC0415 - dp-accounting only on use

        return cls(settings.cost_per_window,
                   tuple((cap.budget, int(cap.horizon_s * 1000))
                         for cap in ledger_caps(settings)),
                   int(settings.window_seconds * 1000))

    def span(self, horizon_ms: int) -> int:
        """The interval of window starts a cap of `horizon_ms` is checked over: a span of
        time that long touches every window starting in (start − window, end)."""
        return horizon_ms + self.window_ms

    @property
    def keep_ms(self) -> int:
        """How long after its window a charge can still be seen by another window's check."""
        return max(self.span(h) for _, h in self.caps)


@dataclass(slots=True)
class PrivacyLedger:
    """One unit's charges: (window start ms, ε)."""

    charges: list[tuple[int, float]] = field(default_factory=list)

    def spent(self, window: int, span_ms: int) -> float:
        """The most ε charged in any interval [s, s + span) that contains `window`.

        The sum over [s, s + span) only rises as s moves right when a charge w enters
        at the right end (s = w − span + 1), so the largest is at the leftmost start or
        at one of those: charges at or after `window`, usually none (a late delta)."""
        lowest = window - span_ms + 1
        starts = [lowest] + [w - span_ms + 1 for w, _ in self.charges
                             if window <= w < window + span_ms]
        return max(sum(e for w, e in self.charges if s <= w < s + span_ms) for s in starts)

    def try_charge(self, window: int, policy: LedgerPolicy) -> bool:
        """Charge `window` if every cap allows; False (and no charge) when one does not."""
        if self.charges:  # a unit's first window (no charges) is the common case: no scans
            if any(w == window for w, _ in self.charges):
                return True
            for budget, horizon_ms in policy.caps:
                # A small tolerance so that budget = n × cost admits exactly n windows.
                spent = self.spent(window, policy.span(horizon_ms))
                if spent + policy.cost_per_window > budget + 1e-9:
                    return False
        self.charges.append((window, policy.cost_per_window))
        return True

    def expire(self, released_through_ms: int, keep_ms: int) -> None:
        """Drop the charges no window after `released_through_ms` (the last released
        window: no later charge can be at or before it) can see. Released-window time,
        not a clock: a clock that jumps forward forgets nothing."""
        self.charges = [(w, e) for w, e in self.charges if w > released_through_ms - keep_ms]

    def last_needed(self, keep_ms: int) -> int | None:
        """The released-window time from which no charge can matter; None when none."""
        return max(w for w, _ in self.charges) + keep_ms if self.charges else None
