"""The privacy fields of API answers: what each window's releases cost one device (or web
session), how many windows a view sums, and the (ε, δ) that view composes to.

A day or week view sums the noisy counts of its windows. One device takes part in each
window's two releases (titles and pairs; a session: web titles and queries), and the
ledger caps how many windows of any day or week it can count in, so the view's worst case
is that many windows composed with dp-accounting's PLD (omega/dp/accounting.py). `composed` is
the view's own release; `composedAll` adds the window's other release, which the same
device paid for too.
"""

from __future__ import annotations

from typing import Any

from omega.dp.accounting import DAY_S, WEEK_S, Guarantee, composed, unit_releases, unit_windows
from omega.settings import Settings

SPAN_S = {"day": DAY_S, "week": WEEK_S, "window": 0}
KEYS = {"titles": "titles", "pairs": "pairs", "web titles": "webTitles", "queries": "queries"}


def accounting(settings: Settings, unit: str, shown: str, span: str,
               windows: int) -> dict[str, Any]:
    """The privacy fields of a view of release `shown` summed over `windows` windows of
    `span` ("day", "week", or "window": one window's release on its own)."""
    releases = unit_releases(settings, unit)
    (view,) = [r for r in releases if r.name == shown]
    counted = windows if span == "window" else min(windows,
                                                   unit_windows(settings, unit, SPAN_S[span]))
    per_window = {KEYS[r.name]: r.epsilon for r in releases}
    return {
        "unit": unit,
        "windowsSummed": windows,
        "epsilonPerWindow": per_window | {"sum": round(sum(per_window.values()), 10)},
        "composed": guarantee(composed((view,), counted, settings.delta)),
        "composedAll": guarantee(composed(releases, counted, settings.delta)),
    }


def guarantee(g: Guarantee) -> dict[str, Any]:
    """A composed guarantee as the API states it: ε at δ over `windows` windows (the most
    one unit can count in), and the basic-composition sum the ledger charges."""
    return {"epsilon": round(g.epsilon, 4), "delta": float(f"{g.delta:.3g}"),
            "windows": g.windows, "basicEpsilon": round(g.basic_epsilon, 4)}
