"""Avro single-object encoding (spec 1.11): C3 01, CRC-64-AVRO fingerprint, binary body.

The .avsc files in schemas/ are the source of truth. The fingerprint names the writer's
schema, so a reader holding a newer version of a record resolves old data (Avro schema
resolution), and a message of the wrong record type is told apart from a corrupt one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

MAGIC = b"\xc3\x01"
HEADER_BYTES = len(MAGIC) + 8

Record = dict[str, Any]


class AvroDecodeError(ValueError):
    """Bytes that are not a valid message of the expected record; `code` is for counting."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AvroSchema:
    """A parsed schema with its full name and single-object fingerprint."""

    name: str
    parsed: Any
    fingerprint: bytes
    source: str


class SchemaStore:
    """All known schemas, by full name (newest loaded wins) and by fingerprint."""

    def __init__(self) -> None:
        self.by_name: dict[str, AvroSchema] = {}
        self.by_fingerprint: dict[bytes, AvroSchema] = {}

    @classmethod
    def from_directory(cls, directory: Path) -> SchemaStore:
        files = sorted(directory.glob("*.avsc"))
        if not files:
            raise FileNotFoundError(f"no .avsc files in {directory}; set OMEGA_SCHEMAS_DIR")
        store = cls()
        for path in files:
            store.add_file(path)
        return store

    def add_file(self, path: Path) -> AvroSchema:
        return self.add(json.loads(path.read_text()), source=str(path))

    def add(self, schema_json: dict[str, Any], source: str = "<inline>") -> AvroSchema:
        parsed: Any = parse_schema(schema_json, named_schemas={})
        name: str = parsed["name"]
        fp = bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))
        schema = AvroSchema(name=name, parsed=parsed, fingerprint=fp, source=source)
        self.by_name[name] = schema
        self.by_fingerprint[fp] = schema
        return schema

    def get(self, name: str) -> AvroSchema:
        try:
            return self.by_name[name]
        except KeyError:
            raise KeyError(f"unknown schema {name}; known: {sorted(self.by_name)}") from None


class AvroCodec:
    """Encodes and decodes records as Avro single-object messages.

    Subclasses change only the framing (`_header`, `_writer_of`); the body and schema
    resolution are the same for every wire format.
    """

    def __init__(self, store: SchemaStore) -> None:
        self.store = store

    def encode(self, schema_name: str, record: Record) -> bytes:
        schema = self.store.get(schema_name)
        out = io.BytesIO()
        out.write(self._header(schema))
        fastavro.schemaless_writer(out, schema.parsed, record)
        return out.getvalue()

    def decode(self, data: bytes, expected: str) -> Record:
        """Decode `data` as the record named `expected`, resolving older writer versions."""
        reader = self.store.get(expected)
        writer, header_bytes = self._writer_of(data)
        if writer.name != reader.name:
            raise AvroDecodeError(
                "wrong_schema", f"expected {reader.name}, got a message written as {writer.name}"
            )
        body = io.BytesIO(data)
        body.seek(header_bytes)
        try:
            if writer.fingerprint == reader.fingerprint:
                record = fastavro.schemaless_reader(body, writer.parsed, None)
            else:
                record = fastavro.schemaless_reader(body, writer.parsed, reader.parsed)
        except (EOFError, StopIteration) as exc:
            raise AvroDecodeError("truncated", f"{reader.name} body ends early: {exc!r}") from exc
        except Exception as exc:  # fastavro raises many types on corrupt bodies
            raise AvroDecodeError(
                "undecodable", f"{reader.name} body is corrupt: {type(exc).__name__}: {exc}"
            ) from exc
        if body.tell() != len(data):
            raise AvroDecodeError(
                "trailing_bytes",
                f"{reader.name} ends at byte {body.tell()} of {len(data)}; extra bytes follow",
            )
        assert isinstance(record, dict)
        return record

    def _header(self, schema: AvroSchema) -> bytes:
        return MAGIC + schema.fingerprint

    def _writer_of(self, data: bytes) -> tuple[AvroSchema, int]:
        """The writer's schema named by the header, and the header's length."""
        if len(data) < HEADER_BYTES or data[:2] != MAGIC:
            raise AvroDecodeError(
                "not_avro",
                f"not an Avro single-object message: starts with {data[:2].hex() or 'nothing'}, "
                f"expected c301, and needs at least {HEADER_BYTES} bytes (got {len(data)})",
            )
        fp = data[2:HEADER_BYTES]
        writer = self.store.by_fingerprint.get(fp)
        if writer is None:
            raise AvroDecodeError(
                "unknown_schema", f"schema fingerprint {fp.hex()} is not one of ours"
            )
        return writer, HEADER_BYTES
