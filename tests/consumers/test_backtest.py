"""The backtest: the split, the recommenders against known answers, the MovieLens
sanity check (co-view without noise beats popularity), and byte-identical reruns."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from consumers.backtest import (
    backtest,
    main,
    movielens_split,
    neighbours,
    recommend_coview,
    recommend_coview_batch,
    recommend_popular,
    score,
    time_split,
)
from omega.settings import Settings, get_settings
from omega.windows import pair_key

HOUR_MS = 3600 * 1000


def delta(device: str, seq: int, titles: list[int], at: int = 0) -> dict[str, object]:
    return {"device_id": device, "seq": seq, "sent_at_ms": at, "app_version": "t/1",
            "titles": [{"title_id": t, "seconds_watched": 100, "completion": 1.0,
                        "rating": None} for t in titles]}


def test_time_split_holds_out_the_last_fifth_of_each_device() -> None:
    split = time_split([delta("a", 1, [1, 2, 3, 4, 5, 6]), delta("b", 1, [9]),
                        delta("a", 2, [7, 8, 9, 10], at=HOUR_MS)])
    assert split.next_views == {"a": {9, 10}}
    assert [(d["device_id"], [t["title_id"] for t in d["titles"]]) for d in split.history] == [
        ("a", [1, 2, 3, 4, 5, 6]), ("b", [9]), ("a", [7, 8])]


def test_coview_recommends_the_histories_heaviest_unseen_neighbours() -> None:
    edges = {pair_key(1, 2): 5, pair_key(1, 3): 2, pair_key(2, 3): 2, pair_key(2, 4): 1,
             pair_key(5, 6): 9}
    adjacency = neighbours(edges)
    assert adjacency == {1: {2: 5, 3: 2}, 2: {1: 5, 3: 2, 4: 1}, 3: {1: 2, 2: 2}, 4: {2: 1},
                         5: {6: 9}, 6: {5: 9}}
    assert recommend_coview([1, 2], adjacency) == [3, 4]  # 3 scores 2+2, 4 scores 1
    assert recommend_coview([7], adjacency) == []
    assert recommend_coview_batch([[1, 2], [7], [4]], edges) == [[3, 4], [], [2]]
    assert recommend_popular([2], [2, 5, 1, 9], n=2) == [5, 1]
    hit, recall, coverage = score({"a": [3, 4], "b": []}, {"a": {4, 8}, "b": {1}})
    assert (hit, recall, coverage) == (0.5, 0.25, 0.5)


def test_batch_and_one_by_one_recommenders_agree_on_random_graphs() -> None:
    rng = random.Random(3)
    edges = {pair_key(a, b): rng.randint(1, 5)
             for a, b in (rng.sample(range(1, 60), 2) for _ in range(400))}
    adjacency = neighbours(edges)
    histories = [rng.sample(range(1, 70), rng.randint(1, 6)) for _ in range(300)]
    assert recommend_coview_batch(histories, edges, chunk=64) == [
        recommend_coview(h, adjacency) for h in histories]


def test_on_movielens_coview_without_noise_beats_popularity_and_dp_rows_are_honest() -> None:
    settings = Settings()
    rows = backtest("MovieLens", movielens_split(seed=0, sync_s=4 * 3600), 4 * HOUR_MS,
                    settings, seed=0)
    by = {(r.method, r.epsilon): r for r in rows}
    popularity = by[("popularity (exact counts)", None)]
    exact = by[("watched together", None)]
    assert popularity.devices == exact.devices == 671
    assert exact.hit_rate > popularity.hit_rate and exact.recall > popularity.recall
    for epsilon in (0.1, 1.0):  # 671 devices never reach min_devices = 1,000 on a pair
        assert by[("watched together", epsilon)].edges == 0
        assert by[("watched together", epsilon)].hit_rate == 0


@pytest.mark.parametrize("args", [
    ["--data", "movielens"],
    ["--data", "fleet", "--devices", "20000", "--titles", "2000", "--eval-devices", "3000"],
])
def test_two_runs_with_the_same_seed_write_byte_identical_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
    args: list[str],
) -> None:
    monkeypatch.setenv("OMEGA_MIN_DEVICES", "30")  # small data: let some pairs through
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    outputs = []
    for run in ("one", "two"):
        main([*args, "--seed", "5", "--out", str(tmp_path / run)])
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 3 and all(outputs[0].values())
    table = next(v for k, v in outputs[0].items() if k.endswith(".md")).decode()
    assert table.count("| watched together |") == 3 and "min_devices = 30" in table
