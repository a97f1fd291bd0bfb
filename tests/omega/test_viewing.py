"""The MovieLens-grounded fleet: real histories in catalog ids, deterministic, mixed."""

from __future__ import annotations

import numpy as np

from omega.data.fleet import fleet_deltas
from omega.data.viewing import (
    ACTIVITY,
    ViewingPlan,
    histories,
    simulate_viewing,
    viewing_truth,
)
from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaLimits, parse_delta

# three viewers; MovieLens ids 1..4 are catalog titles 11..14, id 9 is not in the catalog
RATINGS = [(1, 1, 5.0), (1, 2, 4.0), (1, 9, 5.0), (2, 3, 5.0), (2, 4, 1.0), (3, 1, 3.0)]
CATALOG = [{"title_id": 10 + m, "movielens_id": m, "runtime_min": 90} for m in (1, 2, 3, 4)]
CATALOG += [{"title_id": 20, "movielens_id": None, "runtime_min": None}]
PLAN = ViewingPlan(devices=3_000, mean_titles=2.0, taste_mix=0.0, stray_share=0.0)


def test_histories_are_in_catalog_ids() -> None:
    hist = histories(RATINGS, CATALOG)
    assert hist.users.tolist() == [1, 2, 3]
    assert hist.titles.tolist() == [11, 12, 13, 14, 11]  # id 9 has no catalog title
    cum = hist.cumulative(1.0)
    assert cum[hist.offsets[1:] - 1].tolist() == [1.0, 2.0, 3.0]


def test_devices_watch_their_viewers_films_and_the_same_seed_is_the_same_fleet() -> None:
    hist = histories(RATINGS, CATALOG)
    first = simulate_viewing(hist, PLAN, 4)
    assert np.array_equal(first.titles, simulate_viewing(hist, PLAN, 4).titles)
    assert not np.array_equal(first.titles, simulate_viewing(hist, PLAN, 5).titles)
    later = simulate_viewing(hist, PLAN, 4, period=1)
    assert np.array_equal(first.viewer, later.viewer)
    films = {0: {11, 12}, 1: {13, 14}, 2: {11}}
    for i in range(PLAN.devices):
        assert set(first.device(i)[0].tolist()) <= films[int(first.viewer[i])]
    # weights (stars/5)² × popularity: viewer 2's 5-star film far more often than its 1-star
    viewer_two = np.isin(first.viewer[np.repeat(np.arange(PLAN.devices),
                                                np.diff(first.offsets))], [1])
    watched = first.titles[viewer_two].tolist()
    assert watched.count(13) > 5 * watched.count(14)


def test_mixed_tastes_and_strays_reach_other_titles() -> None:
    hist = histories(RATINGS, CATALOG)
    mixed = simulate_viewing(hist, ViewingPlan(devices=2_000, taste_mix=0.5, stray_share=0.2), 1)
    assert 20 in set(mixed.titles.tolist()), "strays come from the whole catalog"
    own = {0: {11, 12}, 1: {13, 14}, 2: {11}}
    outside = sum(not set(mixed.device(i)[0].tolist()) <= own[int(mixed.viewer[i])] | {20}
                  for i in range(2_000))
    assert outside > 200, "a second viewer's films"


def test_deltas_are_valid_and_the_truth_counts_every_device(codec: AvroCodec) -> None:
    hist = histories(RATINGS, CATALOG)
    viewing = simulate_viewing(hist, PLAN, 2)
    limits = DeltaLimits.from_settings(Settings(title_universe_size=20))
    records = list(fleet_deltas(viewing, 2, 1, 1_800_000_000_000, "omega-fleet/movielens"))
    assert len(records) == PLAN.devices and {r["seq"] for r in records} == {2}
    for record in records[:200]:
        parse_delta(codec.encode("omega.TvDelta", record), codec, limits, 1_800_000_000_000)
    truth = viewing_truth(hist, viewing, 2)
    assert sum(truth["devices_per_viewer"].values()) == PLAN.devices
    assert sum(c for _, c in truth["top_titles"]) == len(viewing.titles)


def test_devices_watch_in_a_share_of_periods_each_by_its_own_habit(codec: AvroCodec) -> None:
    """TVs are not all on at once: each device watches in its own share of periods, so the
    ledger's caps bind device by device, not for the whole fleet in the same windows."""
    hist = histories(RATINGS, CATALOG)
    plan = ViewingPlan(devices=4_000, mean_titles=2.0, activity=ACTIVITY)
    periods = 40
    watched = np.array([np.diff(simulate_viewing(hist, plan, 3, p).offsets) > 0
                        for p in range(periods)])
    share = watched.mean(axis=0)  # per device, the share of periods it watched in
    mean_share = ACTIVITY[0] / sum(ACTIVITY)
    assert abs(share.mean() - mean_share) < 0.02
    # Habits differ: some devices almost always on, many rarely, none the same for all.
    assert (share > 5 / 7).mean() > 0.1 and (share < 0.2).mean() > 0.1
    # At most the day's cap (5 of any 7 windows) binds only for the heavy watchers.
    capped = [max(watched[s:s + 7, d].sum() for s in range(periods - 6)) > 5
              for d in range(plan.devices)]
    assert 0.05 < np.mean(capped) < 0.6
    # Same seed, same habits; a device that is off sends no delta.
    again = simulate_viewing(hist, plan, 3, 7)
    assert np.array_equal(np.diff(again.offsets) > 0, watched[7])
    records = list(fleet_deltas(again, 3, 7, 0))
    assert len(records) == int(watched[7].sum()) and all(r["titles"] for r in records)
    always = simulate_viewing(hist, ViewingPlan(devices=4_000, mean_titles=2.0), 3, 7)
    assert (np.diff(always.offsets) > 0).all()
