"""The trend reader's grouping and table, without a broker."""

from __future__ import annotations

from consumers.trends import format_window, windows


def release(window: int, title: int, count: int, source: str = "tv") -> dict[str, object]:
    return {"window_start_ms": window, "window_end_ms": window + 10_000, "title_id": title,
            "noisy_count": count, "epsilon": 0.1, "sensitivity": 10, "source": source}


def test_windows_group_consecutive_releases_by_window_and_source() -> None:
    records = [release(0, 1, 5), release(0, 2, 9), release(0, 1, 7, "web"),
               release(10_000, 1, 3)]
    assert [[(r["source"], r["title_id"]) for r in b] for b in windows(iter(records))] == [
        [("tv", 1), ("tv", 2)], [("web", 1)], [("tv", 1)]]


def test_table_ranks_by_noisy_count_and_shows_the_noise_scale() -> None:
    text = format_window([release(0, 1, 5), release(0, 2, 1_500), release(0, 3, -4)], top=2,
                         names={2: "Heat (1995)"})
    lines = text.splitlines()
    assert "noise scale 100" in lines[0] and "(3 titles released)" in lines[0]
    assert " tv " in lines[0] and lines[1].split()[1:3] == ["noisy", "devices"]
    assert lines[2].split() == ["1", "1,500", "2", "Heat", "(1995)"]
    assert lines[3].split() == ["2", "5", "1", "(not", "in", "the", "catalog", "topic)"]
    assert len(lines) == 4


def test_web_tables_count_sessions() -> None:
    assert format_window([release(0, 1, 5, "web")], top=1).splitlines()[1].split()[2] == \
        "sessions"
