"""Each way a delta can be wrong gets its own reason code and a message naming the limit."""

from __future__ import annotations

from typing import Any

import pytest

from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaLimits, DeltaRejected, parse_delta
from tests.conftest import valid_delta

NOW = 1_700_000_000_000
LIMITS = DeltaLimits.from_settings(Settings(title_universe_size=100))


def reject(codec: AvroCodec, record: dict[str, Any]) -> DeltaRejected:
    with pytest.raises(DeltaRejected) as err:
        parse_delta(codec.encode("omega.TvDelta", record), codec, LIMITS, NOW)
    return err.value


def test_valid_delta_parses(codec: AvroCodec) -> None:
    delta = parse_delta(codec.encode("omega.TvDelta", valid_delta(sent_at_ms=NOW)),
                        codec, LIMITS, NOW)
    assert delta.device_id == "tv-1"
    assert [t.title_id for t in delta.titles] == [1, 2]


def test_oversize_is_checked_before_decoding(codec: AvroCodec) -> None:
    with pytest.raises(DeltaRejected, match="1500 bytes encoded; at most 1024") as err:
        parse_delta(b"\x00" * 1500, codec, LIMITS, NOW)
    assert err.value.code == "oversize"


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"titles": [(t, 1) for t in range(1, 41)]}, "too_many_titles", "40 entries; at most 32"),
        ({"sent_at_ms": NOW + 3_600_000}, "future_time", "3600 s ahead"),
        ({"sent_at_ms": 1000}, "ancient_time", "must be >="),
        ({"titles": [(101, 5)]}, "unknown_title", "catalog ids are 1..100"),
        ({"titles": [(0, 5)]}, "unknown_title", "title_id is 0"),
        ({"titles": [(3, -5)]}, "bad_seconds", "seconds_watched is -5"),
        ({"device_id": ""}, "bad_device_id", "1..64 printable"),
        ({"device_id": "tv\x00evil"}, "bad_device_id", "printable"),
        ({"seq": -1}, "bad_seq", "seq is -1"),
    ],
)
def test_field_errors(codec: AvroCodec, change: dict[str, Any], code: str, words: str) -> None:
    args: dict[str, Any] = {"sent_at_ms": NOW}
    args.update(change)
    error = reject(codec, valid_delta(**args))
    assert error.code == code
    assert words in str(error)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("completion", float("nan"), "bad_completion"),
    ("completion", 1.5, "bad_completion"),
    ("rating", float("inf"), "bad_rating"),
    ("rating", float("nan"), "bad_rating"),
    ("rating", -0.5, "bad_rating"),
    ("rating", 7.0, "bad_rating"),
])
def test_non_finite_and_out_of_range_numbers(
    codec: AvroCodec, field: str, value: float, code: str
) -> None:
    record = valid_delta(sent_at_ms=NOW)
    record["titles"][0][field] = value
    assert reject(codec, record).code == code


def test_the_reason_names_the_title_that_failed(codec: AvroCodec) -> None:
    record = valid_delta(sent_at_ms=NOW, titles=[(1, 5), (2, 5), (3, 5)])
    record["titles"][2]["completion"] = float("nan")
    error = reject(codec, record)
    assert (error.code, "delta.titles[2].completion is nan" in str(error)) == (
        "bad_completion", True)
