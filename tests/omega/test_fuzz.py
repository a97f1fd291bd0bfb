"""The fuzz targets of bench/fuzz.py, run briefly: a thrown exception or a broken
invariant fails here with Hypothesis's smallest example."""

from __future__ import annotations

from bench.fuzz import VALID, check_delta_bytes, check_query, run


def test_the_targets_accept_what_they_should() -> None:
    assert check_delta_bytes(VALID) == "ok"
    assert check_delta_bytes(b"") == "not_avro"
    assert check_delta_bytes(VALID[:-3]) == "truncated"
    check_query("90s sci-fi movies like heat, highly rated")


def test_fuzz_delta_decoder_and_query_parser_briefly() -> None:
    timings = run(examples=1500, seed_value=20261125)
    assert set(timings) == {"delta bytes", "query text"}
