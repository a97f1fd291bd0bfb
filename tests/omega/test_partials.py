"""Partials: chunking, completeness across partitions and sources, merging."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from omega.kafka.codecs import codec_for
from omega.partials import (
    MAX_CHUNK_BYTES,
    SCHEMA,
    PairCounts,
    PendingPartials,
    check_partial,
    complete_window,
    merge_partials,
    moved_on,
    partial_key,
    partial_records,
)
from omega.settings import Settings


def store(records: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {partial_key(r): r for r in records}


def test_chunks_reassemble_to_the_same_counts() -> None:
    pairs = Counter({i: i % 7 + 1 for i in range(1, 95)})
    records = partial_records(0, "tv", 2, 4, {1: 3}, pairs, {}, pair_chunk_entries=10)
    assert len(records) == 11 and {r["chunks"] for r in records} == {11}  # 1 of titles
    assert merge_partials(records).pairs.as_dict() == pairs


def test_partitions_sum_per_pair_whatever_their_order() -> None:
    rng = np.random.default_rng(5)
    parts = [Counter(rng.integers(1, 400, size=3000).tolist()) for _ in range(4)]
    records = [r for p, counts in enumerate(parts)
               for r in partial_records(0, "tv", p, 4, {}, counts, {}, pair_chunk_entries=97)]
    rng.shuffle(records)  # type: ignore[arg-type]
    merged = merge_partials(records).pairs
    assert merged.as_dict() == dict(sum(parts, Counter()))
    assert np.all(np.diff(merged.keys) > 0), "keys ascending and unique"


def test_packed_pairs_survive_the_avro_codec(tmp_path: object) -> None:
    codec = codec_for(Settings())
    pairs = Counter({(7 << 32) | 9: 1_000_000, (1 << 32) | 2: 3})
    raw = codec.encode("omega.ColumnarPartial", partial_records(0, "tv", 0, 1, {}, pairs, {})[0])
    assert merge_partials([codec.decode(raw, "omega.ColumnarPartial")]).pairs.as_dict() == pairs


def test_misaligned_packed_pairs_are_refused() -> None:
    record = partial_records(0, "tv", 0, 1, {}, {5: 1, 6: 2}, {})[0]
    record["pairs"]["counts"]["values"] = record["pairs"]["counts"]["values"][:1]
    with pytest.raises(ValueError, match=r"partial 0\|tv\|0\|0: pairs: counts: 1 bytes for 2"):
        merge_partials([record])


def test_no_record_is_over_one_message_and_the_same_counts_give_the_same_records() -> None:
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(1, 1 << 62, 400_000))  # every key its own run: 16 B each
    counts = PairCounts(keys, rng.integers(1, 1 << 20, len(keys)))
    titles = dict(enumerate(rng.integers(1, 1 << 20, 62_503).tolist(), start=1))
    queries = {f"query {i} " + "x" * 150: 1 for i in range(20_000)}  # 3 MB of queries
    records = partial_records(0, "tv", 0, 1, titles, counts, queries)
    assert len(records) > 2, "400,000 sixteen-byte pairs cannot fit one message"
    codec = codec_for(Settings())
    sizes = [len(codec.encode(SCHEMA, r)) for r in records]
    assert max(sizes) <= MAX_CHUNK_BYTES + 1000
    merged = merge_partials(records)
    assert merged.pairs.as_dict() == counts.as_dict() and merged.titles == titles
    assert merged.queries == queries
    again = partial_records(0, "tv", 0, 1, titles, counts, queries)
    assert [codec.encode(SCHEMA, r) for r in again] == [codec.encode(SCHEMA, r) for r in records]


def test_pending_partials_decode_what_a_recovered_table_holds() -> None:
    codec = codec_for(Settings())
    records = partial_records(0, "tv", 0, 1, {1: 2}, {(1 << 32) | 2: 4}, {}) + \
        partial_records(0, "web", 0, 1, {}, {}, {"heat": 1})
    table = {partial_key(r): codec.encode("omega.ColumnarPartial", r) for r in records}
    recovered = PendingPartials(table, lambda raw: codec.decode(raw, "omega.ColumnarPartial"))
    window = complete_window(0, recovered)
    assert window is not None
    totals = merge_partials(window)
    assert totals.titles == {1: 2} and totals.pairs.as_dict() == {(1 << 32) | 2: 4}
    recovered.discard(partial_key(records[0]))
    assert partial_key(records[0]) not in recovered and complete_window(0, recovered) is None


def test_empty_pair_counts_merge_to_empty() -> None:
    assert len(PairCounts.summed([PairCounts.empty(), PairCounts.empty()])) == 0


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
    tv = partial_records(0, "tv", 0, 1, {}, Counter(range(1, 30)), {}, pair_chunk_entries=10)
    web = partial_records(0, "web", 0, 1, {}, {}, {})
    assert complete_window(0, store(tv[:2] + web)) is None
    assert complete_window(0, store(tv + web)) is not None


def test_a_partition_that_moved_on_to_a_later_window_has_nothing_more_for_this_one() -> None:
    """A worker restarted before the deployment's first release starts each partition at
    the last closed window it holds nothing of (streams/pipeline.py); the releaser must
    not wait forever for that partition's partial of a window it skipped."""
    tv_later = [r for p in range(2) for r in partial_records(20, "tv", p, 2, {1: 1}, {}, {})]
    web = [r for p in range(2) for r in partial_records(10, "web", p, 2, {}, {}, {"heat": 1})]
    tv_one = partial_records(10, "tv", 0, 2, {3: 5}, {}, {})
    stored = store(tv_later + web + tv_one)
    assert complete_window(10, stored) is None, "tv[1] has not reported window 10"
    passed = moved_on(10, stored.keys())
    assert passed == {("tv", 0), ("tv", 1)}
    records = complete_window(10, stored, partition_count=2, passed=passed)
    assert records is not None
    totals = merge_partials(records)
    assert totals.titles == {3: 5} and totals.queries == {"heat": 2}
    # Nobody reported window 10 of tv, but both moved on: the window holds no tv counts.
    only_web = store(tv_later + web)
    records = complete_window(10, only_web, partition_count=2, passed=moved_on(10, only_web))
    assert records is not None and merge_partials(records).titles == Counter()
    # A partition that has not moved on keeps the window open.
    assert complete_window(10, store(web + tv_one), partition_count=2,
                           passed=moved_on(10, store(web + tv_one))) is None


@pytest.mark.parametrize(("change", "message"), [
    ({"source": "radio"}, "source 'radio' is not one of tv, web"),
    ({"query_counts": [1]}, "0 queries and 1 counts"),
])
def test_a_partial_the_releaser_could_not_merge_is_refused_on_arrival(
        change: dict[str, object], message: str) -> None:
    record = partial_records(0, "tv", 0, 1, {1: 2}, {}, {})[0] | change
    with pytest.raises(ValueError, match=message):
        check_partial(record)
