"""Scale-out without double counting: per-partition partials, merged once, then noised.

Each worker owns some source partitions. When a window closes it publishes, for every
partition it owns, that partition's true counts (a `WindowPartial`, chunked to keep
messages small) — empty partitions too. One releaser collects them and releases a window
only when every partition of every source has reported; noise is added once, to the
merged totals. A partial republished after a crash is ignored: the first one wins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

CHUNK_ENTRIES = 20_000
SOURCES = ("tv", "web")

Record = dict[str, Any]


@dataclass
class WindowTotals:
    """Merged true counts of one window, across all partitions: the release step's input."""

    titles: Counter[int] = field(default_factory=Counter)
    pairs: Counter[int] = field(default_factory=Counter)
    web_titles: Counter[int] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def partial_records(
    window: int, source: str, partition: int, partition_count: int,
    titles: Mapping[int, int], pairs: Mapping[int, int], queries: Mapping[str, int],
    chunk_entries: int = CHUNK_ENTRIES,
) -> list[Record]:
    """The WindowPartial records of one partition's window, sorted so that bytes repeat."""
    title_chunks = _chunks(sorted(titles.items()), chunk_entries)
    pair_chunks = _chunks(sorted(pairs.items()), chunk_entries)
    query_chunks = _chunks(sorted(queries.items()), chunk_entries)
    total = max(len(title_chunks), len(pair_chunks), len(query_chunks))
    records = []
    for i in range(total):
        t = title_chunks[i] if i < len(title_chunks) else []
        p = pair_chunks[i] if i < len(pair_chunks) else []
        q = query_chunks[i] if i < len(query_chunks) else []
        records.append({
            "window_start_ms": window, "source": source, "partition": partition,
            "partition_count": partition_count, "chunk": i, "chunks": total,
            "title_ids": [k for k, _ in t], "title_counts": [v for _, v in t],
            "pair_keys": [k for k, _ in p], "pair_counts": [v for _, v in p],
            "queries": [k for k, _ in q], "query_counts": [v for _, v in q]})
    return records


def partial_key(record: Mapping[str, Any]) -> str:
    return (f"{record['window_start_ms']}|{record['source']}|{record['partition']}|"
            f"{record['chunk']}")


def expected_keys(window: int, first_chunks: Mapping[tuple[str, int], Record]) -> Iterator[str]:
    for (source, partition), head in first_chunks.items():
        for chunk in range(head["chunks"]):
            yield f"{window}|{source}|{partition}|{chunk}"


def complete_window(
    window: int, stored: Mapping[str, Record], sources: Iterable[str] = SOURCES,
) -> list[Record] | None:
    """All partials of `window` if every partition of every source has reported, else None."""
    first_chunks: dict[tuple[str, int], Record] = {}
    for source in sources:
        head = stored.get(f"{window}|{source}|0|0")
        if head is None:
            return None
        for partition in range(head["partition_count"]):
            first = stored.get(f"{window}|{source}|{partition}|0")
            if first is None:
                return None
            first_chunks[(source, partition)] = first
    records = []
    for key in expected_keys(window, first_chunks):
        record = stored.get(key)
        if record is None:
            return None
        records.append(record)
    return records


def merge_partials(records: Iterable[Mapping[str, Any]]) -> WindowTotals:
    totals = WindowTotals()
    for r in records:
        titles = totals.titles if r["source"] == "tv" else totals.web_titles
        titles.update(dict(zip(r["title_ids"], r["title_counts"], strict=True)))
        totals.pairs.update(dict(zip(r["pair_keys"], r["pair_counts"], strict=True)))
        totals.queries.update(dict(zip(r["queries"], r["query_counts"], strict=True)))
    return totals
