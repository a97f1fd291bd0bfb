"""Hostile TV deltas: generated malformed input for fault and fuzz testing.

Each case is one message a broken or malicious TV might send, as the bytes it would put
on Kafka and as the HTTP request it would make to `/v1/sync`. Kinds: random bytes,
truncated Avro, huge strings, negative and NaN numbers, odd unicode, far-future and
ancient times, replayed sequence numbers, 1 MB bodies, wrong JSON types, wrong content
types. Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from omega.kafka.avro import AvroCodec

AVRO = "application/avro"
JSON = "application/json"
KINDS = ("random_bytes", "truncated_avro", "huge_string", "negative_number", "nan_number",
         "odd_unicode", "far_future", "ancient_time", "replayed_seq", "megabyte_body",
         "wrong_json_type", "wrong_content_type", "too_many_titles")
ODD_UNICODE = ("\u202etv", "tv\u200b\u200b", "\U0001f4fa\U0001f4fa", "tv\x00id", "ｔｖ－１",
               "e\u0301\u0301\u0301", "\ufeff", "tv\nid", "Ω" * 64 + "x")


@dataclass(frozen=True)
class HostileCase:
    kind: str
    device_id: str  # the X-Device-Id a sender would claim
    body: bytes  # the Avro message (Kafka) or the HTTP body (API)
    content_type: str
    replay_of: int | None = None  # index of the case this one repeats


def _delta(device: str, seq: int, now_ms: int, **changes: Any) -> dict[str, Any]:
    record = {"device_id": device, "seq": seq, "sent_at_ms": now_ms,
              "titles": [{"title_id": 1 + seq % 50, "seconds_watched": 600,
                          "completion": 0.5, "rating": None}],
              "app_version": "hostile/1"}
    titles = changes.pop("titles", None)
    if titles is not None:
        record["titles"] = titles
    record.update(changes)
    return record


def hostile_cases(n: int, seed: int, codec: AvroCodec, now_ms: int,
                  prefix: str = "hostile") -> Iterator[HostileCase]:
    """`n` cases, cycling through every kind; replays repeat an earlier valid delta."""
    rng = random.Random(seed)
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        device = f"{prefix}-{i}"
        encode = codec.encode
        if kind == "random_bytes":
            yield HostileCase(kind, device, rng.randbytes(rng.randrange(0, 300)), AVRO)
        elif kind == "truncated_avro":
            whole = encode("omega.TvDelta", _delta(device, 1, now_ms))
            yield HostileCase(kind, device, whole[:rng.randrange(0, len(whole))], AVRO)
        elif kind == "huge_string":
            field = rng.choice(["device_id", "app_version"])
            record = _delta(device, 1, now_ms, **{field: "x" * rng.randrange(1100, 20_000)})
            yield HostileCase(kind, device, encode("omega.TvDelta", record), AVRO)
        elif kind == "negative_number":
            title = {"title_id": rng.choice([-1, 0, 1]), "seconds_watched":
                     rng.choice([-5, -2**31, 600]), "completion": rng.choice([-0.5, 0.5]),
                     "rating": rng.choice([None, -1.0])}
            if title == {"title_id": 1, "seconds_watched": 600, "completion": 0.5,
                         "rating": None}:
                title["seconds_watched"] = -1
            seq = rng.choice([-7, 1]) if title["title_id"] != 1 else 1
            record = _delta(device, seq, now_ms, titles=[title])
            yield HostileCase(kind, device, encode("omega.TvDelta", record), AVRO)
        elif kind == "nan_number":
            value = rng.choice([float("nan"), float("inf"), float("-inf")])
            field = rng.choice(["completion", "rating"])
            title = {"title_id": 3, "seconds_watched": 60, "completion": 0.5, "rating": None}
            title[field] = value
            yield HostileCase(kind, device, encode("omega.TvDelta",
                                                   _delta(device, 1, now_ms, titles=[title])),
                              AVRO)
        elif kind == "odd_unicode":
            record = _delta(rng.choice(ODD_UNICODE) + str(i), 1, now_ms)
            yield HostileCase(kind, device, encode("omega.TvDelta", record), AVRO)
        elif kind == "far_future":
            record = _delta(device, 1, now_ms + rng.randrange(3_600_000, 10**12))
            yield HostileCase(kind, device, encode("omega.TvDelta", record), AVRO)
        elif kind == "ancient_time":
            record = _delta(device, 1, rng.choice([0, -1, 1_000_000, 788_918_399_999]))
            yield HostileCase(kind, device, encode("omega.TvDelta", record), AVRO)
        elif kind == "replayed_seq":
            # An honest first send, then the same bytes again (a TV retrying blindly).
            original = encode("omega.TvDelta", _delta(device, 1, now_ms))
            yield HostileCase("valid_original", device, original, AVRO)
            yield HostileCase(kind, device, original, AVRO, replay_of=i)
        elif kind == "megabyte_body":
            yield HostileCase(kind, device, rng.randbytes(1024 * 1024), AVRO)
        elif kind == "wrong_json_type":
            record = _delta(device, 1, now_ms)
            record[rng.choice(["seq", "titles", "sent_at_ms"])] = rng.choice(
                ["abc", None, {"x": 1}, "9" * 30])
            yield HostileCase(kind, device, json.dumps(record).encode(), JSON)
        elif kind == "wrong_content_type":
            yield HostileCase(kind, device, b"<delta/>", rng.choice(
                ["text/xml", "text/plain", "", "multipart/form-data"]))
        elif kind == "too_many_titles":
            titles = [{"title_id": t, "seconds_watched": 60, "completion": 0.5, "rating": None}
                      for t in range(1, rng.randrange(34, 60))]  # 33+
            yield HostileCase(kind, device, encode("omega.TvDelta",
                                                   _delta(device, 1, now_ms, titles=titles)),
                              AVRO)
