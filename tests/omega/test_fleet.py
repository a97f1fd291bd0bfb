"""The fleet simulator: same seed same fleet, a next period of the same fleet, the truth."""

from __future__ import annotations

import numpy as np

from omega.data.fleet import FleetPlan, fleet_deltas, planted_truth, simulate_fleet
from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaLimits, parse_delta

PLAN = FleetPlan(devices=2_000, titles=500, communities=20, titles_per_community=6)


def test_same_seed_same_fleet_and_a_new_period_is_the_same_fleet_watching_anew() -> None:
    first, again = simulate_fleet(PLAN, 4), simulate_fleet(PLAN, 4)
    assert np.array_equal(first.titles, again.titles)
    assert not np.array_equal(first.titles, simulate_fleet(PLAN, 5).titles)
    later = simulate_fleet(PLAN, 4, period=1)
    assert np.array_equal(first.community_of, later.community_of)
    assert np.array_equal(first.community_titles, later.community_titles)
    assert not np.array_equal(first.offsets, later.offsets)


def test_devices_watch_their_community_more_than_chance() -> None:
    fleet = simulate_fleet(PLAN, 1)
    share = np.mean([np.isin(fleet.device(i)[0], fleet.community_titles[fleet.community_of[i]])
                     .mean() for i in range(PLAN.devices)])
    assert share > PLAN.community_share * 0.9  # chance would be ~6/500


def test_deltas_are_valid_and_the_truth_accounts_for_every_device(codec: AvroCodec) -> None:
    fleet = simulate_fleet(PLAN, 2)
    limits = DeltaLimits.from_settings(Settings(title_universe_size=PLAN.titles))
    records = list(fleet_deltas(fleet, 2, period=1, sent_at_ms=1_800_000_000_000))
    assert len(records) == PLAN.devices and {r["seq"] for r in records} == {2}
    for record in records[:200]:
        parse_delta(codec.encode("omega.TvDelta", record), codec, limits, 1_800_000_000_000)
    truth = planted_truth(fleet, 2)
    assert sum(c["devices"] for c in truth["communities"]) == PLAN.devices
    assert sorted(truth["titles_by_popularity"]) == list(range(1, PLAN.titles + 1))
