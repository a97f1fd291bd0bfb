"""Scale-out without double counting: per-partition partials, merged once, then noised.

Each worker owns some source partitions. When a window closes it publishes, for every
partition it owns, that partition's true counts (a `ColumnarPartial`, chunked to keep
messages small) — empty partitions too. One releaser collects them and releases a window
only when every partition of every source has reported; noise is added once, to the
merged totals. A partial republished after a crash is ignored: the first one wins.

Counts travel as packed columns (omega/columns.py, Avro `omega.ColumnarPartial`): pair
counts, millions per window at fleet scale, take about 2 bytes each and are packed,
unpacked and merged with numpy, never as one Python object per pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from omega import columns

SCHEMA = "omega.ColumnarPartial"
CHUNK_ENTRIES = 20_000  # queries a chunk at most
PAIR_CHUNK_ENTRIES = 300_000  # about 2 bytes a pair packed; a chunk over MAX_CHUNK_BYTES halves
MAX_CHUNK_BYTES = 900_000  # under Kafka's 1 MB message default
SOURCES = ("tv", "web")

Record = dict[str, Any]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True)
class PairCounts:
    """Devices per co-view pair: keys ascending and unique, counts aligned with them."""

    keys: IntArray
    counts: IntArray

    @classmethod
    def empty(cls) -> PairCounts:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))

    @classmethod
    def from_mapping(cls, counts: Mapping[int, int]) -> PairCounts:
        keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        order = np.argsort(keys, kind="stable")
        return cls(keys[order], values[order])

    @classmethod
    def summed(cls, parts: Iterable[PairCounts]) -> PairCounts:
        """One PairCounts from several, counts of a key present in many added up."""
        parts = [p for p in parts if len(p.keys)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        keys = np.concatenate([p.keys for p in parts])
        counts = np.concatenate([p.counts for p in parts])
        order = np.argsort(keys, kind="stable")
        keys, counts = keys[order], counts[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        return cls(keys[starts], np.add.reduceat(counts, starts))

    def __len__(self) -> int:
        return len(self.keys)

    def as_dict(self) -> dict[int, int]:
        return dict(zip(self.keys.tolist(), self.counts.tolist(), strict=True))


@dataclass
class WindowTotals:
    """Merged true counts of one window, across all partitions: the release step's input."""

    titles: Counter[int] = field(default_factory=Counter)
    pairs: PairCounts = field(default_factory=PairCounts.empty)
    web_titles: Counter[int] = field(default_factory=Counter)
    queries: Counter[str] = field(default_factory=Counter)


def _query_chunks(queries: Mapping[str, int]) -> list[list[tuple[str, int]]]:
    """Sorted queries in chunks of at most CHUNK_ENTRIES and about MAX_CHUNK_BYTES."""
    chunks: list[list[tuple[str, int]]] = [[]]
    size = 0
    for query, count in sorted(queries.items()):
        encoded = len(query.encode()) + 12  # the string, its length and its count
        if chunks[-1] and (len(chunks[-1]) >= CHUNK_ENTRIES or size + encoded > MAX_CHUNK_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append((query, count))
        size += encoded
    return chunks


def _packed_chunks(counts: PairCounts, size: int) -> list[dict[str, Any]]:
    """`counts` packed in chunks of at most `size` keys, each chunk halved until it packs
    into MAX_CHUNK_BYTES: the same counts always give the same chunks (the first
    partial published wins, so a republished one must repeat it)."""
    out = []
    for i in range(0, len(counts), size):
        keys, values = counts.keys[i:i + size], counts.counts[i:i + size]
        packed = columns.pack(keys, values)
        if columns.packed_bytes(packed) > MAX_CHUNK_BYTES and len(keys) > 1:
            out += _packed_chunks(PairCounts(keys, values), (len(keys) + 1) // 2)
        else:
            out.append(packed)
    return out


def partial_records(
    window: int, source: str, partition: int, partition_count: int,
    titles: Mapping[int, int], pairs: Mapping[int, int] | PairCounts,
    queries: Mapping[str, int], pair_chunk_entries: int = PAIR_CHUNK_ENTRIES,
) -> list[Record]:
    """The ColumnarPartial records of one partition's window, sorted so that bytes repeat:
    the titles, then the pairs, then the queries, each chunk in a record of its own, so
    that no record is over MAX_CHUNK_BYTES and a little framing."""
    if not isinstance(pairs, PairCounts):
        pairs = PairCounts.from_mapping(pairs)
    nothing = PairCounts.empty()
    empty = columns.pack(nothing.keys, nothing.counts)
    parts = ([{"titles": chunk} for chunk in
              _packed_chunks(PairCounts.from_mapping(titles), pair_chunk_entries)]
             + [{"pairs": chunk} for chunk in _packed_chunks(pairs, pair_chunk_entries)]
             + [{"queries": [q for q, _ in chunk], "query_counts": [c for _, c in chunk]}
                for chunk in _query_chunks(queries) if chunk]) or [{}]
    return [{"window_start_ms": window, "source": source, "partition": partition,
             "partition_count": partition_count, "chunk": i, "chunks": len(parts),
             "titles": empty, "pairs": empty, "queries": [], "query_counts": []} | part
            for i, part in enumerate(parts)]


def check_partial(record: Record) -> None:
    """Unpack a partial's columns once, on arrival: ValueError, naming the partial, for
    one that `merge_partials` could not take (so that no window waits on it forever)."""
    if record["source"] not in SOURCES:
        raise ValueError(f"partial {partial_key(record)}: source {record['source']!r} is "
                         f"not one of {', '.join(SOURCES)}")
    record["unpacked"] = (record_counts(record, "titles"), record_counts(record, "pairs"))
    if len(record["queries"]) != len(record["query_counts"]):
        raise ValueError(f"partial {partial_key(record)}: {len(record['queries'])} queries "
                         f"and {len(record['query_counts'])} counts")


def record_counts(record: Mapping[str, Any], field: str) -> PairCounts:
    """The title or pair counts (`field`) a partial record carries."""
    try:
        return PairCounts(*columns.unpack(record[field]))
    except ValueError as exc:
        raise ValueError(f"partial {partial_key(record)}: {field}: {exc}") from exc


def partial_key(record: Mapping[str, Any]) -> str:
    return (f"{record['window_start_ms']}|{record['source']}|{record['partition']}|"
            f"{record['chunk']}")


class PendingPartials:
    """The releaser's partials awaiting their window's completion.

    The raw messages live in a changelogged table (durable across a releaser crash);
    each is decoded once, on arrival or on first use after a recovery.
    """

    def __init__(self, table: MutableMapping[str, bytes],
                 decode: Callable[[bytes], Record]) -> None:
        self.table = table
        self.decode = decode
        self.decoded: dict[str, Record] = {}

    def __contains__(self, key: object) -> bool:
        return key in self.decoded or key in self.table

    def add(self, key: str, raw: bytes, record: Record) -> None:
        self.table[key] = raw
        self.decoded[key] = record

    def get(self, key: str) -> Record | None:
        record = self.decoded.get(key)
        if record is None:
            raw = self.table.get(key)
            if raw is None:
                return None
            record = self.decoded[key] = self.decode(raw)
        return record

    def keys(self) -> list[str]:
        return list(self.table.keys())

    def discard(self, key: str) -> None:
        self.decoded.pop(key, None)
        self.table.pop(key, None)


def expected_keys(window: int, first_chunks: Mapping[tuple[str, int], Record]) -> Iterator[str]:
    for (source, partition), head in first_chunks.items():
        for chunk in range(head["chunks"]):
            yield f"{window}|{source}|{partition}|{chunk}"


def moved_on(window: int, keys: Iterable[str]) -> set[tuple[str, int]]:
    """(source, partition)s with a partial of a window after `window` among `keys`.

    A partition publishes its windows oldest first and never goes back, and one skips a
    window only when it holds nothing of it (a worker's first sight before any release:
    streams/pipeline.py's `_first_cursor`; or the catch-up cap, which logs and counts
    what it skips). So a partition that has moved on has nothing more for `window`.
    """
    later: set[tuple[str, int]] = set()
    for key in keys:
        start, source, partition, _chunk = key.split("|")
        if int(start) > window:
            later.add((source, int(partition)))
    return later


def complete_window(
    window: int, stored: Mapping[str, Record] | PendingPartials,
    sources: Iterable[str] = SOURCES, partition_count: int | None = None,
    passed: Collection[tuple[str, int]] = (),
) -> list[Record] | None:
    """All partials of `window` if every partition of every source has reported, else None.

    A partition in `passed` (`moved_on`) that has not reported counts as having reported
    nothing; `partition_count` then says how many a source has when none reported."""
    first_chunks: dict[tuple[str, int], Record] = {}
    for source in sources:
        head = stored.get(f"{window}|{source}|0|0")
        count = partition_count if head is None else head["partition_count"]
        if count is None:
            return None
        for partition in range(count):
            first = stored.get(f"{window}|{source}|{partition}|0")
            if first is None:
                if (source, partition) in passed:
                    continue
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
    titles: dict[str, list[PairCounts]] = {source: [] for source in SOURCES}
    pairs = []
    for r in records:
        unpacked = r.get("unpacked") or (record_counts(r, "titles"), record_counts(r, "pairs"))
        titles[r["source"]].append(unpacked[0])
        pairs.append(unpacked[1])
        totals.queries.update(dict(zip(r["queries"], r["query_counts"], strict=True)))
    totals.titles = Counter(PairCounts.summed(titles["tv"]).as_dict())
    totals.web_titles = Counter(PairCounts.summed(titles["web"]).as_dict())
    totals.pairs = PairCounts.summed(pairs)
    return totals
