"""The Avro single-object codec: known fingerprints, evolution, and every way bytes go bad."""

from __future__ import annotations

import json

import pytest
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

from omega.kafka.avro import HEADER_BYTES, MAGIC, AvroCodec, AvroDecodeError, SchemaStore
from omega.settings import REPO_ROOT
from tests.conftest import FIXTURES, valid_delta


def test_crc64_avro_fingerprint_matches_the_avro_spec_test_vector() -> None:
    # Avro's schema-tests: parsingFingerprint64("null") == 7195948357588979594.
    hex_le = fingerprint(to_parsing_canonical_form(parse_schema("null")), "CRC-64-AVRO")
    assert int.from_bytes(bytes.fromhex(hex_le), "little") == 7195948357588979594


def test_round_trip_uses_single_object_header(codec: AvroCodec) -> None:
    record = valid_delta()
    data = codec.encode("omega.TvDelta", record)
    assert data[:2] == MAGIC
    assert data[2:HEADER_BYTES] == codec.store.get("omega.TvDelta").fingerprint
    decoded = codec.decode(data, "omega.TvDelta")
    assert decoded["device_id"] == "tv-1"
    assert [t["title_id"] for t in decoded["titles"]] == [1, 2]


def test_every_schema_field_has_a_doc_and_the_omega_namespace() -> None:
    def check(record: dict[str, object], where: str) -> None:
        for field in record["fields"]:  # type: ignore[attr-defined]
            assert field.get("doc"), f"{where}.{field['name']} has no doc"
            kind = field["type"]
            if isinstance(kind, dict) and kind.get("type") == "array" and \
                    isinstance(kind["items"], dict) and kind["items"].get("type") == "record":
                check(kind["items"], f"{where}.{field['name']}")

    files = sorted((REPO_ROOT / "schemas").glob("*.avsc"))
    assert len(files) >= 7
    for path in files:
        schema = json.loads(path.read_text())
        assert schema["namespace"] == "omega", path.name
        check(schema, path.name)


def test_v2_reader_reads_v1_data_with_defaults(codec: AvroCodec) -> None:
    v1_bytes = codec.encode("omega.TvDelta", valid_delta())
    reader = SchemaStore.from_directory(REPO_ROOT / "schemas")
    reader.add_file(FIXTURES / "tv_delta.v2.avsc")  # newest wins: v2 is now the reader
    decoded = AvroCodec(reader).decode(v1_bytes, "omega.TvDelta")
    assert decoded["network"] == "unknown"
    assert all(t["audio_language"] is None for t in decoded["titles"])
    assert decoded["seq"] == 1


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda b: b"", "not_avro"),
        (lambda b: b"\x00\x01" + b[2:], "not_avro"),
        (lambda b: b[:HEADER_BYTES - 1], "not_avro"),
        (lambda b: b[:2] + b"\xff" * 8 + b[HEADER_BYTES:], "unknown_schema"),
        (lambda b: b[:-3], "truncated"),
        (lambda b: b + b"\x00\x00", "trailing_bytes"),
    ],
)
def test_bad_bytes_raise_a_coded_error(codec: AvroCodec, mangle, code: str) -> None:  # type: ignore[no-untyped-def]
    data = codec.encode("omega.TvDelta", valid_delta())
    with pytest.raises(AvroDecodeError) as err:
        codec.decode(mangle(data), "omega.TvDelta")
    assert err.value.code == code
    assert str(err.value)


def test_wrong_record_type_is_named(codec: AvroCodec) -> None:
    data = codec.encode("omega.WebInteraction", {
        "session_id": "s", "kind": "PLAY", "query": None, "title_id": 3, "at_ms": 1})
    with pytest.raises(AvroDecodeError, match="expected omega.TvDelta.*omega.WebInteraction"):
        codec.decode(data, "omega.TvDelta")


def test_unknown_schema_name_says_which_exist(codec: AvroCodec) -> None:
    with pytest.raises(KeyError, match="omega.TvDelta"):
        codec.encode("omega.Nope", {})
