"""Confluent Schema Registry wire format: 0x00, 4-byte big-endian schema id, Avro body.

Used when OMEGA_SCHEMA_REGISTRY_URL is set, so Omega's topics can be read by any
Confluent-compatible consumer. Subjects follow RecordNameStrategy (the record's full
name, e.g. `omega.TvDelta`), because one record type may travel on several topics.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from fastavro.schema import parse_schema

from omega.avro import AvroCodec, AvroDecodeError, AvroSchema, SchemaStore

WIRE_MAGIC = b"\x00"
WIRE_HEADER_BYTES = 5


class ConfluentCodec(AvroCodec):
    """AvroCodec with the registry's framing; ids are cached after the first lookup."""

    def __init__(self, store: SchemaStore, registry_url: str) -> None:
        super().__init__(store)
        self.client = SchemaRegistryClient({"url": registry_url})
        self._id_by_name: dict[str, int] = {}
        self._schema_by_id: dict[int, AvroSchema] = {}

    def _header(self, schema: AvroSchema) -> bytes:
        schema_id = self._id_by_name.get(schema.name)
        if schema_id is None:
            text = json.dumps(json.loads(open(schema.source).read()))
            schema_id = self.client.register_schema(schema.name, Schema(text, "AVRO"))
            self._id_by_name[schema.name] = schema_id
            self._schema_by_id[schema_id] = schema
        return WIRE_MAGIC + struct.pack(">I", schema_id)

    def _writer_of(self, data: bytes) -> tuple[AvroSchema, int]:
        if len(data) < WIRE_HEADER_BYTES or data[:1] != WIRE_MAGIC:
            raise AvroDecodeError(
                "not_avro",
                f"not Confluent wire format: starts with {data[:1].hex() or 'nothing'}, expected "
                f"00 and a 4-byte schema id (got {len(data)} bytes)")
        (schema_id,) = struct.unpack(">I", data[1:WIRE_HEADER_BYTES])
        writer = self._schema_by_id.get(schema_id)
        if writer is None:
            writer = self._fetch(schema_id)
        return writer, WIRE_HEADER_BYTES

    def _fetch(self, schema_id: int) -> AvroSchema:
        try:
            registered = self.client.get_schema(schema_id)
        except Exception as exc:  # noqa: BLE001 - the registry's errors vary by version
            raise AvroDecodeError(
                "unknown_schema", f"schema id {schema_id} not found in the registry: {exc}"
            ) from exc
        schema_json: Any = json.loads(registered.schema_str or "null")
        parsed: Any = parse_schema(schema_json, named_schemas={})
        writer = AvroSchema(name=parsed["name"], parsed=parsed, fingerprint=b"",
                            source=f"registry:{schema_id}")
        self._schema_by_id[schema_id] = writer
        return writer
