"""WindowPipeline without Faust: late deltas, keys, due windows and releases."""

from __future__ import annotations

import pytest

from omega.avro import AvroCodec
from omega.settings import Settings
from streams.pipeline import WindowPipeline
from streams.validation import DeltaRejected
from streams.windows import DeviceState
from tests.conftest import valid_delta

W = 10_000  # window ms
T0 = 1_700_000_000_000


def make_pipeline(codec: AvroCodec) -> WindowPipeline:
    settings = Settings(window_seconds=W / 1000, allowed_lateness_seconds=2,
                        title_universe_size=10, release_seed=5, max_titles_per_device=3)
    return WindowPipeline(settings, codec)


def send(pipeline: WindowPipeline, codec: AvroCodec, table: dict[str, DeviceState],
         now: int, **kw: object) -> None:
    record = valid_delta(**kw)  # type: ignore[arg-type]
    accepted = pipeline.accept_delta(record["device_id"].encode(),
                               codec.encode("omega.TvDelta", record), table.get, now)
    assert accepted.state is not None
    table[accepted.unit] = accepted.state


def test_counts_devices_per_title_and_releases_when_closed(codec: AvroCodec) -> None:
    pipeline, table = make_pipeline(codec), {}
    send(pipeline, codec, table, T0, device_id="a", sent_at_ms=T0, titles=[(1, 5), (2, 5)])
    send(pipeline, codec, table, T0, device_id="b", sent_at_ms=T0, titles=[(1, 5)])
    window = T0 - T0 % W
    assert pipeline.counts.titles[window] == {1: 2, 2: 1}
    assert sum(pipeline.counts.pairs[window].values()) == 1
    assert pipeline.due_windows(window + W + 1999) == []
    assert pipeline.due_windows(window + W + 2000) == [window]
    release = pipeline.release(window)
    assert [r["title_id"] for r in release.trends] == list(range(1, 11))
    pipeline.mark_released(window)
    assert window not in pipeline.counts.windows()
    # The next windows are released even when empty: omission would reveal absence.
    assert pipeline.due_windows(window + 3 * W + 2000) == [window + W, window + 2 * W]


def test_late_delta_is_rejected_as_late(codec: AvroCodec) -> None:
    pipeline = make_pipeline(codec)
    with pytest.raises(DeltaRejected) as err:
        send(pipeline, codec, {}, T0 + W + 3000, sent_at_ms=T0 - T0 % W)
    assert err.value.code == "late"
    assert pipeline.metrics["dead_letter.late"] == 1


def test_key_must_be_the_device_id(codec: AvroCodec) -> None:
    pipeline = make_pipeline(codec)
    data = codec.encode("omega.TvDelta", valid_delta(sent_at_ms=T0))
    with pytest.raises(DeltaRejected) as err:
        pipeline.accept_delta(b"someone-else", data, {}.get, T0)
    assert err.value.code == "key_mismatch"
