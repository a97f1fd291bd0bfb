"""The TV delta contract's checks, shared by the worker and the API: raw bytes → a
`DeviceDelta`, or exactly what is wrong with them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn

from omega.kafka.avro import AvroCodec, AvroDecodeError
from omega.settings import Settings

TV_DELTA_SCHEMA = "omega.TvDelta"
MAX_DEVICE_ID_CHARS = 64
MAX_APP_VERSION_CHARS = 32
MAX_SECONDS_WATCHED = 86_400


class DeltaRejected(ValueError):
    """A delta that is dead-lettered; `code` is the stable reason to count by."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class WatchedTitle(NamedTuple):
    """A named tuple, not a dataclass: ten of these per delta on the worker's hot path,
    and a frozen dataclass costs three times as much to build."""

    title_id: int
    seconds_watched: int
    completion: float
    rating: float | None


@dataclass(frozen=True, slots=True)
class DeviceDelta:
    device_id: str
    seq: int
    sent_at_ms: int
    titles: tuple[WatchedTitle, ...]
    app_version: str


@dataclass(frozen=True, slots=True)
class DeltaLimits:
    """What a valid delta looks like; all from Settings."""

    max_bytes: int
    max_titles: int
    max_future_skew_ms: int
    min_valid_time_ms: int
    title_universe_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DeltaLimits:
        return cls(
            max_bytes=settings.max_delta_bytes,
            max_titles=settings.max_titles_per_delta,
            max_future_skew_ms=int(settings.max_future_skew_s * 1000),
            min_valid_time_ms=settings.min_valid_time_ms,
            title_universe_size=settings.title_universe_size,
        )


def check_size(data: bytes, max_bytes: int, noun: str) -> None:
    """An encoded record over `max_bytes` is refused, whatever it holds."""
    if len(data) > max_bytes:
        raise DeltaRejected("oversize", f"{noun} is {len(data)} bytes encoded; at most {max_bytes}")


def decode_bounded(data: bytes, codec: AvroCodec, schema: str, max_bytes: int,
                   noun: str) -> dict[str, Any]:
    """Size first (cheap, and bounds the decoder's work), then decode; rejections coded."""
    check_size(data, max_bytes, noun)
    try:
        return codec.decode(data, schema)
    except AvroDecodeError as exc:
        raise DeltaRejected(exc.code, str(exc)) from exc


def parse_delta(data: bytes, codec: AvroCodec, limits: DeltaLimits, now_ms: int) -> DeviceDelta:
    """Decode and check one delta; raises DeltaRejected naming the field and the limit."""
    return check_delta(decode_bounded(data, codec, TV_DELTA_SCHEMA, limits.max_bytes, "delta"),
                       limits, now_ms)


def check_delta(record: dict[str, Any], limits: DeltaLimits, now_ms: int) -> DeviceDelta:
    """Check one delta record of the TvDelta schema's types (decoded, or JSON that
    api/avrojson.py checked): the limits and the clock, as `parse_delta`."""
    titles = record["titles"]
    if len(titles) > limits.max_titles:
        raise DeltaRejected(
            "too_many_titles",
            f"delta.titles has {len(titles)} entries; at most {limits.max_titles}")
    _check_identity(record)
    check_sent_time(record["sent_at_ms"], limits, now_ms, "delta.sent_at_ms")
    universe = limits.title_universe_size
    watched = []
    for index, raw in enumerate(titles):
        title_id, seconds, completion, rating = (
            raw["title_id"], raw["seconds_watched"], raw["completion"], raw.get("rating"))
        # One chained test per title on the hot path (NaN fails every comparison); the
        # reason is worked out only for a title that fails it.
        if not (1 <= title_id <= universe and 0 <= seconds <= MAX_SECONDS_WATCHED
                and 0.0 <= completion <= 1.0 and (rating is None or 0.0 <= rating <= 5.0)):
            _reject_title(index, raw, limits)
        watched.append(WatchedTitle(title_id, seconds, completion, rating))
    return DeviceDelta(
        device_id=record["device_id"],
        seq=record["seq"],
        sent_at_ms=record["sent_at_ms"],
        titles=tuple(watched),
        app_version=record["app_version"],
    )


def _check_identity(record: dict[str, object]) -> None:
    device_id = record["device_id"]
    assert isinstance(device_id, str)
    if not device_id or len(device_id) > MAX_DEVICE_ID_CHARS or not device_id.isprintable():
        raise DeltaRejected(
            "bad_device_id",
            f"delta.device_id must be 1..{MAX_DEVICE_ID_CHARS} printable characters; "
            f"got {len(device_id)} characters")
    seq = record["seq"]
    assert isinstance(seq, int)
    if seq < 0:
        raise DeltaRejected("bad_seq", f"delta.seq is {seq}; must be >= 0")
    app_version = record["app_version"]
    assert isinstance(app_version, str)
    if len(app_version) > MAX_APP_VERSION_CHARS or not app_version.isprintable():
        raise DeltaRejected(
            "bad_app_version",
            f"delta.app_version must be at most {MAX_APP_VERSION_CHARS} printable characters")


def check_sent_time(sent_at_ms: int, limits: DeltaLimits, now_ms: int, field: str) -> None:
    """Times far in the future or before the service existed are wrong clocks or forgeries."""
    if sent_at_ms > now_ms + limits.max_future_skew_ms:
        raise DeltaRejected(
            "future_time",
            f"{field} is {sent_at_ms}, {(sent_at_ms - now_ms) / 1000:.0f} s ahead of "
            f"the worker clock; at most {limits.max_future_skew_ms / 1000:.0f} s")
    if sent_at_ms < limits.min_valid_time_ms:
        raise DeltaRejected(
            "ancient_time", f"{field} is {sent_at_ms}; must be >= {limits.min_valid_time_ms}")


def _reject_title(index: int, raw: dict[str, object], limits: DeltaLimits) -> NoReturn:
    """Raise the DeltaRejected that says what is wrong with title `index`."""
    where = f"delta.titles[{index}]"
    title_id, seconds, completion, rating = (
        raw["title_id"], raw["seconds_watched"], raw["completion"], raw.get("rating"))
    assert isinstance(title_id, int) and isinstance(seconds, int)
    assert isinstance(completion, int | float)  # JSON's 1 is Avro's 1.0
    if not 1 <= title_id <= limits.title_universe_size:
        raise DeltaRejected(
            "unknown_title",
            f"{where}.title_id is {title_id}; catalog ids are 1..{limits.title_universe_size}")
    if not 0 <= seconds <= MAX_SECONDS_WATCHED:
        raise DeltaRejected(
            "bad_seconds",
            f"{where}.seconds_watched is {seconds}; must be 0..{MAX_SECONDS_WATCHED}")
    if not (math.isfinite(completion) and 0.0 <= completion <= 1.0):
        raise DeltaRejected("bad_completion", f"{where}.completion is {completion}; must be 0..1")
    if rating is not None:
        assert isinstance(rating, int | float)
        if not (math.isfinite(rating) and 0.0 <= rating <= 5.0):
            raise DeltaRejected("bad_rating", f"{where}.rating is {rating}; must be 0..5")
    raise AssertionError(f"{where} passed every check here but failed the fast one: {raw}")
