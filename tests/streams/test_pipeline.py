"""WindowPipeline without Faust: late events, keys, partials at close, and the release."""

from __future__ import annotations

import pytest

from omega.kafka.avro import AvroCodec
from omega.partials import merge_partials
from omega.settings import Settings
from omega.validation import DeltaRejected
from omega.windows import WindowCounts, decode_state
from streams.pipeline import WindowPipeline
from tests.conftest import valid_delta

W = 10_000  # window ms
T0 = 1_700_000_000_000
WINDOW = T0 - T0 % W


def make_pipeline(codec: AvroCodec) -> WindowPipeline:
    settings = Settings(window_seconds=W / 1000, allowed_lateness_seconds=2,
                        title_universe_size=10, release_seed=5, max_titles_per_device=3)
    return WindowPipeline(settings, codec)


def send(pipeline: WindowPipeline, codec: AvroCodec, table: dict[str, dict], now: int,  # type: ignore[type-arg]
         partition: int = 0, **kw: object) -> None:
    record = valid_delta(**kw)  # type: ignore[arg-type]
    accepted = pipeline.accept_delta(record["device_id"].encode(),
                                     codec.encode("omega.TvDelta", record), table.get, now,
                                     partition)
    assert accepted.state is not None and accepted.state["p"] == partition
    table[accepted.unit] = accepted.state


def counted(counts: WindowCounts) -> dict[int, tuple[dict[int, int], dict[int, int]]]:
    return {w: (dict(counts.counted(w)[0]), counts.counted(w)[1].as_dict())
            for w in counts.windows()}


def test_partials_per_partition_merge_into_the_window_totals(codec: AvroCodec) -> None:
    pipeline, table = make_pipeline(codec), {}
    send(pipeline, codec, table, T0, 0, device_id="a", sent_at_ms=T0, titles=[(1, 5), (2, 5)])
    send(pipeline, codec, table, T0, 3, device_id="b", sent_at_ms=T0, titles=[(1, 5)])
    assert pipeline.counts[0].counted(WINDOW)[0] == {1: 1, 2: 1}
    assert pipeline.counts[3].counted(WINDOW)[0] == {1: 1}
    owned = {"tv": {0, 3}, "web": {0}}
    assert pipeline.due_partials(WINDOW + W + 1999, owned) == []
    due = pipeline.due_partials(WINDOW + W + 2000, owned)
    assert [(s, p, w) for s, p, w in due if w == WINDOW] == [
        ("tv", 0, WINDOW), ("tv", 3, WINDOW), ("web", 0, WINDOW)]
    records = [r for s, p, w in due for r in pipeline.take_partial(s, p, w, 4)]
    totals = merge_partials(r for r in records if r["window_start_ms"] == WINDOW)
    assert totals.titles == {1: 2, 2: 1}
    assert int(totals.pairs.counts.sum()) == 1
    assert pipeline.due_partials(WINDOW + W + 2000, owned) == [], "published once"
    release = pipeline.release(WINDOW, totals)
    assert [r["title_id"] for r in release.trends] == list(range(1, 11))
    assert {r["source"] for r in release.web_trends} == {"web"}


def test_empty_partitions_publish_empty_partials(codec: AvroCodec) -> None:
    pipeline = make_pipeline(codec)
    pipeline.released_through_ms = WINDOW - W
    due = pipeline.due_partials(WINDOW + 3 * W + 2000, {"tv": {1}, "web": set()})
    assert [w for _, _, w in due] == [WINDOW, WINDOW + W, WINDOW + 2 * W]
    (record,) = pipeline.take_partial("tv", 1, WINDOW, 4)
    assert record["titles"]["size"] == 0 and record["chunks"] == 1


def test_events_for_a_published_window_are_late(codec: AvroCodec) -> None:
    pipeline, table = make_pipeline(codec), {}
    pipeline.take_partial("tv", 0, WINDOW, 4)
    with pytest.raises(DeltaRejected) as err:
        send(pipeline, codec, table, T0, 0, sent_at_ms=T0)
    assert err.value.code == "late"
    send(pipeline, codec, table, T0, 1, device_id="x", sent_at_ms=T0)  # partition 1 still open


def test_late_by_clock_is_rejected_as_late(codec: AvroCodec) -> None:
    pipeline = make_pipeline(codec)
    with pytest.raises(DeltaRejected) as err:
        send(pipeline, codec, {}, T0 + W + 3000, sent_at_ms=WINDOW)
    assert err.value.code == "late"
    assert pipeline.metrics["dead_letter.late"] == 1


def test_key_must_be_the_device_id(codec: AvroCodec) -> None:
    pipeline = make_pipeline(codec)
    data = codec.encode("omega.TvDelta", valid_delta(sent_at_ms=T0))
    with pytest.raises(DeltaRejected) as err:
        pipeline.accept_delta(b"someone-else", data, {}.get, T0)
    assert err.value.code == "key_mismatch"


def test_rebuild_recounts_each_partition_from_its_device_states(codec: AvroCodec) -> None:
    pipeline, table = make_pipeline(codec), {}
    for i in range(12):  # several devices per partition
        send(pipeline, codec, table, T0, i % 3, device_id=f"d{i}", sent_at_ms=T0,
             titles=[(4, 5), (i % 5 + 5, 3)])
    before = {p: counted(c) for p, c in pipeline.counts.items()}
    assert sum(before[0][WINDOW][0].values()) == 8
    pipeline.counts.clear()
    for partition in range(3):  # as the delta loop does when it is assigned a partition
        pipeline.rebuild_partition(partition, [
            decode_state(state) for state in table.values() if state["p"] == partition])
    after = {p: counted(c) for p, c in pipeline.counts.items()}
    assert after == before


def test_first_publication_starts_once_and_covers_windows_already_counted(
    codec: AvroCodec,
) -> None:
    pipeline, table = make_pipeline(codec), {}
    send(pipeline, codec, table, T0, 0, device_id="a", sent_at_ms=T0, titles=[(1, 5)])
    owned = {"tv": {0}, "web": set()}
    # First tick long after the window closed: the counted window is still published.
    due = pipeline.due_partials(WINDOW + 5 * W, owned)
    assert ("tv", 0, WINDOW) in due
    # A partition first seen with nothing counted starts at the last closed window, and
    # that start does not move with the clock.
    assert pipeline.due_partials(WINDOW + 5 * W, {"tv": {3}, "web": set()}) == []
    later = pipeline.due_partials(WINDOW + 7 * W, {"tv": {3}, "web": set()})
    assert [w for _, _, w in later] == [WINDOW + 4 * W, WINDOW + 5 * W]
