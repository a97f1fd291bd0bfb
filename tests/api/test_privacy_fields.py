"""The API's privacy fields: per-window ε of each release and their sum, the windows a
view sums, and the (ε, δ) those compose to, capped by what the ledger lets one unit spend."""

from __future__ import annotations

from api.privacy import accounting
from omega.dp.accounting import composed, unit_releases
from omega.settings import Settings


def test_a_week_view_composes_only_the_windows_the_ledger_lets_a_device_count_in() -> None:
    settings = Settings()  # 4-hour windows: 42 a week; week cap 4.0 at 0.2 a window
    fields = accounting(settings, "device", "titles", "week", windows=42)
    assert fields["windowsSummed"] == 42
    assert fields["epsilonPerWindow"] == {"titles": 0.1, "pairs": 0.1, "sum": 0.2}
    assert fields["composed"]["windows"] == 20 and fields["composedAll"]["windows"] == 20
    assert fields["composed"]["basicEpsilon"] == 2.0 and fields["composedAll"][
        "basicEpsilon"] == 4.0
    titles, _ = unit_releases(settings)
    assert fields["composed"]["epsilon"] == round(composed((titles,), 20, 1e-6).epsilon, 4)
    # The day: 6 windows, but the day cap 1.0 lets a device count in 5 of them.
    day = accounting(settings, "device", "titles", "day", windows=6)
    assert day["composed"]["windows"] == 5
    assert day["composed"]["epsilon"] < fields["composed"]["epsilon"]
    assert 1e-6 <= day["composedAll"]["delta"] < 1e-4


def test_fewer_windows_than_the_cap_compose_as_they_are() -> None:
    fields = accounting(Settings(), "device", "titles", "week", windows=3)
    assert fields["composed"]["windows"] == 3 and fields["composed"]["basicEpsilon"] == 0.3


def test_a_session_is_bounded_by_its_token_lifetime() -> None:
    settings = Settings(window_seconds=600, session_ttl_s=1800)  # a session spans ≤ 4 windows
    fields = accounting(settings, "session", "queries", "day", windows=144)
    assert fields["unit"] == "session" and fields["composed"]["windows"] == 4
    assert set(fields["epsilonPerWindow"]) == {"webTitles", "queries", "sum"}
