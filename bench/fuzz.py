"""Fuzz targets for the two parsers that read untrusted input, run with Hypothesis.

- the delta path: any bytes, and valid deltas with bytes flipped, inserted or cut, go
  through `parse_delta`; the only allowed failure is a coded `DeltaRejected`;
- the query parser: any text goes through `parse_query`; it must return an intent whose
  fields stay in range, and never raise.

The suite runs each target briefly (tests/omega/test_fuzz.py); this runs them longer:

    python -m bench.fuzz [--examples 200000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from api.search.query import GENRE_SYNONYMS, parse_query
from omega.kafka.avro import AvroCodec
from omega.kafka.codecs import load_codec
from omega.settings import REPO_ROOT, Settings
from omega.validation import DeltaLimits, DeltaRejected, parse_delta

CODEC: AvroCodec = load_codec(REPO_ROOT / "schemas")
LIMITS = DeltaLimits.from_settings(Settings())
NOW_MS = 1_800_000_000_000
GENRES = {g for values in GENRE_SYNONYMS.values() for g in values}
VALID = CODEC.encode("omega.TvDelta", {
    "device_id": "tv-fuzz", "seq": 3, "sent_at_ms": NOW_MS, "app_version": "fuzz/1",
    "titles": [{"title_id": 7, "seconds_watched": 600, "completion": 0.5, "rating": 4.0},
               {"title_id": 9, "seconds_watched": 60, "completion": 1.0, "rating": None}]})


def check_delta_bytes(data: bytes) -> str:
    """Decode untrusted bytes as a delta: a DeviceDelta or a coded rejection, nothing else."""
    try:
        delta = parse_delta(data, CODEC, LIMITS, NOW_MS)
    except DeltaRejected as exc:
        assert exc.code and str(exc), "a rejection names its reason"
        return exc.code
    assert 1 <= len(delta.device_id) <= 64 and delta.seq >= 0
    assert all(1 <= t.title_id <= LIMITS.title_universe_size for t in delta.titles)
    return "ok"


def mutated(draw: Any) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[at]
        elif op == "cut":
            del data[at:]
    return bytes(data)


DELTA_BYTES = st.one_of(st.binary(max_size=2048), st.composite(mutated)())


def check_query(text: str) -> None:
    """Parse any query text; the intent must stay in range."""
    intent = parse_query(text)
    assert intent.raw == text
    assert set(intent.genres) <= GENRES and set(intent.mood_genres) <= GENRES
    for year in (intent.year_from, intent.year_to):
        assert year is None or 1870 <= year <= 2100, year
    if intent.year_from is not None and intent.year_to is not None:
        assert intent.year_from <= intent.year_to
    assert intent.min_rating is None or 0 <= intent.min_rating <= 10
    assert len(intent.text) <= 3 * len(text) + 1  # case folding may expand: ß → ss, ﬀ → ff


QUERY_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(["90s", "80's", "after", "before", "between", "and", "2005",
                              "1999", "highly", "rated", "short", "long", "movies", "like",
                              "rom-com", "sci-fi", "feel-good", "scary", "heat", "the",
                              "1066", "99999", "-5", "decade", "×", "\u202e"]),
             max_size=12).map(" ".join))


def as_property(target: Any) -> Any:
    def property_(value: Any) -> None:  # Hypothesis wants None back
        target(value)
    return property_


def run(examples: int, seed_value: int) -> dict[str, float]:
    timings = {}
    common = settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    for name, strategy, target in (("delta bytes", DELTA_BYTES, check_delta_bytes),
                                   ("query text", QUERY_TEXT, check_query)):
        test = seed(seed_value)(common(given(strategy)(as_property(target))))
        started = time.perf_counter()
        test()
        timings[name] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200_000, help="examples per target")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for name, seconds in run(args.examples, args.seed).items():
        print(f"{name}: {args.examples:,} examples in {seconds:.0f} s "
              f"({args.examples / seconds:,.0f}/s), no failure")


if __name__ == "__main__":
    main()
