"""The trend reader's grouping and table, without a broker: only titles above the noise."""

from __future__ import annotations

import argparse

import pytest

from consumers.trends import confidence_level, format_window, window_json, windows
from omega.release import release_trends


def release(window: int, title: int, count: int, source: str = "tv") -> dict[str, object]:
    return {"window_start_ms": window, "window_end_ms": window + 10_000, "title_id": title,
            "noisy_count": count, "epsilon": 0.1, "sensitivity": 10, "source": source}


def test_windows_group_consecutive_releases_by_window_and_source() -> None:
    records = [release(0, 1, 5), release(0, 2, 9), release(0, 1, 7, "web"),
               release(10_000, 1, 3)]
    assert [[(r["source"], r["title_id"]) for r in b] for b in windows(iter(records))] == [
        [("tv", 1), ("tv", 2)], [("web", 1)], [("tv", 1)]]


def test_table_ranks_by_noisy_count_and_shows_the_noise_scale() -> None:
    text = format_window([release(0, 1, 5), release(0, 2, 1_500), release(0, 3, -4),
                          release(0, 4, 700)], top=2, names={2: "Heat (1995)"})
    lines = text.splitlines()
    assert "noise scale 100" in lines[0]
    assert "(4 titles released, 1 above the noise)" in lines[0] and " tv " in lines[0]
    # four titles at 99.9 %: p^t / (1 + p) ≤ 0.001 / 4, p = exp(−0.01) → t = 761
    assert "threshold 761 devices at 99.9 % for all 4 titles together" in lines[1]
    assert lines[2].split()[1:3] == ["noisy", "devices"]
    assert lines[3].split() == ["1", "1,500", "2", "Heat", "(1995)"]
    assert len(lines) == 4  # 700, 5 and −4 are within the noise: not ranked


def test_a_window_of_noise_only_says_so_instead_of_ranking_it() -> None:
    """63,209 titles with no viewers: the top noisy counts near 1,000 are pure noise."""
    batch = release_trends(0, 60_000, {}, range(1, 63_210), 0.1, 10, seed=36)
    top = max(r["noisy_count"] for r in batch)
    assert 800 < top < 1_728  # the noise's maximum over the window: it looked like a top list
    lines = format_window(batch, top=10).splitlines()
    assert "(63,209 titles released, 0 above the noise)" in lines[0]
    assert lines[1:] == ["no title stands above the noise in this window (threshold 1,728 "
                         "devices at 99.9 % for all 63,209 titles together, Bonferroni): a "
                         "top list here would rank noise"]
    data = window_json(batch, 10, {})
    assert data["top"] == [] and data["above_noise"] == 0 and data["threshold"] == 1_728
    assert data["titles_released"] == 63_209 and "Bonferroni" in data["method"]
    # a title well watched among them stands out, and alone
    batch[5]["noisy_count"] += 2_500
    assert [r["title_id"] for r in window_json(batch, 10, {})["top"]] == [batch[5]["title_id"]]


def test_a_lower_confidence_lets_more_through() -> None:
    batch = [release(0, 1, 700), release(0, 2, 400), release(0, 3, 10)]
    assert [r["title_id"] for r in window_json(batch, 10, {})["top"]] == []
    loose = window_json(batch, 10, {}, confidence=0.9)
    assert loose["threshold"] == 272 and [r["title_id"] for r in loose["top"]] == [1, 2]


def test_web_tables_count_sessions() -> None:
    lines = format_window([release(0, 1, 5, "web"), release(0, 2, 900, "web")],
                          top=1).splitlines()
    assert "threshold 692 sessions" in lines[1]
    assert lines[2].split()[1:3] == ["noisy", "sessions"]


def test_a_confidence_that_is_none_is_refused_with_the_range() -> None:
    assert confidence_level("0.99") == 0.99
    for text in ("1", "0.2", "high"):
        with pytest.raises(argparse.ArgumentTypeError, match="from 0.5 up to"):
            confidence_level(text)
