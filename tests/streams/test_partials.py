"""Partials: chunking, completeness across partitions and sources, merging."""

from __future__ import annotations

from collections import Counter

from streams.partials import complete_window, merge_partials, partial_key, partial_records


def store(records: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {partial_key(r): r for r in records}


def test_chunks_reassemble_to_the_same_counts() -> None:
    pairs = Counter({i: i % 7 + 1 for i in range(1, 95)})
    records = partial_records(0, "tv", 2, 4, {1: 3}, pairs, {}, chunk_entries=10)
    assert len(records) == 10 and {r["chunks"] for r in records} == {10}
    assert merge_partials(records).pairs == pairs


def test_a_window_is_complete_only_with_every_partition_of_every_source() -> None:
    parts = [partial_records(0, "tv", p, 2, {1: 1}, {}, {}) for p in range(2)]
    web = [partial_records(0, "web", p, 2, {}, {}, {"heat": 2}) for p in range(2)]
    everything = [r for group in parts + web for r in group]
    assert complete_window(0, store(everything[:-1])) is None
    records = complete_window(0, store(everything))
    assert records is not None
    totals = merge_partials(records)
    assert totals.titles == {1: 2} and totals.queries == {"heat": 4}


def test_a_missing_chunk_keeps_the_window_open() -> None:
    tv = partial_records(0, "tv", 0, 1, {}, Counter(range(1, 30)), {}, chunk_entries=10)
    web = partial_records(0, "web", 0, 1, {}, {}, {})
    assert complete_window(0, store(tv[:2] + web)) is None
    assert complete_window(0, store(tv + web)) is not None
