"""The MovieLens replay: grouping per sync window, the limits, and same seed same records."""

from __future__ import annotations

from collections import Counter

from omega.data.catalog import load_catalog
from omega.data.movielens import (
    MAX_TITLES_PER_DELTA,
    Rating,
    group_views,
    movielens_replay,
    replay_records,
)
from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaLimits, parse_delta

HOUR = 3600


def test_ratings_group_per_device_per_sync_window_in_time_order() -> None:
    ratings = [Rating(1, 10, 4.0, 100), Rating(2, 11, 3.0, 200), Rating(1, 12, 5.0, 300),
               Rating(1, 13, 1.0, 4 * HOUR + 5)]
    groups = group_views(ratings, 4 * HOUR)
    assert [(g.user, g.window_start_s, [r.movie_id for r in g.ratings]) for g in groups] == [
        (2, 0, [11]), (1, 0, [10, 12]), (1, 4 * HOUR, [13])]


def test_a_long_session_splits_into_deltas_of_at_most_32_titles_with_rising_seqs() -> None:
    ratings = [Rating(7, m, 3.0, 1000 + m) for m in range(1, 71)]
    title_of = {m: m + 500 for m in range(1, 71)}
    records = [r for _, r in replay_records(group_views(ratings, 4 * HOUR), title_of,
                                            dict.fromkeys(title_of.values(), 90), seed=3)]
    assert [len(r["titles"]) for r in records] == [32, 32, 6]
    assert [r["seq"] for r in records] == [1, 2, 3]
    assert {r["device_id"] for r in records} == {"movielens-7"}
    assert [t["title_id"] for r in records for t in r["titles"]] == list(range(501, 571))


def test_speedup_compresses_time_from_the_given_start() -> None:
    ratings = [Rating(1, 1, 4.0, 1_000_000), Rating(2, 2, 4.0, 1_000_000 + 10 * HOUR)]
    out = list(replay_records(group_views(ratings, 4 * HOUR), {1: 1, 2: 2}, {1: 90, 2: 90},
                              seed=0, start_ms=5_000, speedup=3600))
    assert [(at, r["sent_at_ms"]) for at, r in out] == [(0.0, 5_000), (10.0, 15_000)]


def test_higher_ratings_are_watched_longer_and_seeds_decide_the_draws() -> None:
    ratings = [Rating(u, 1, stars, 100 + u) for u in range(200) for stars in [(u % 5) + 1.0]]
    def run(seed: int) -> list[dict[str, object]]:
        return [r for _, r in replay_records(group_views(ratings, 4 * HOUR), {1: 9}, {9: 100},
                                             seed)]
    first = run(1)
    assert first == run(1) and first != run(2)
    by_stars: dict[float, list[float]] = {}
    for record in first:
        title = record["titles"][0]  # type: ignore[index]
        by_stars.setdefault(title["rating"], []).append(title["completion"])
    means = [sum(v) / len(v) for _, v in sorted(by_stars.items())]
    assert means == sorted(means) and means[0] < 0.5 < means[-1]


def test_the_real_log_replays_every_rating_as_valid_deltas(codec: AvroCodec) -> None:
    records = [r for _, r in movielens_replay(seed=11)]
    # all 100,004 ratings but the 7 of the 5 films whose title the data set lost, which
    # the catalog leaves out: every replayed title id is a catalog title
    assert sum(len(r["titles"]) for r in records) == 100_004 - 7
    catalog_ids = {r["title_id"] for r in load_catalog()}
    assert {t["title_id"] for r in records for t in r["titles"]} <= catalog_ids
    assert len({r["device_id"] for r in records}) == 671
    times = [r["sent_at_ms"] for r in records]
    assert times == sorted(times), "replayed in time order"
    highest = max(t["title_id"] for r in records for t in r["titles"])
    limits = DeltaLimits.from_settings(Settings(title_universe_size=highest))
    seqs: Counter[str] = Counter()
    for record in records:
        data = codec.encode("omega.TvDelta", record)
        delta = parse_delta(data, codec, limits, now_ms=record["sent_at_ms"])
        assert len(delta.titles) <= MAX_TITLES_PER_DELTA
        seqs[record["device_id"]] += 1
        assert delta.seq == seqs[record["device_id"]]
    assert records == [r for _, r in movielens_replay(seed=11)], "same seed, same records"
