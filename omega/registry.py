"""Confluent Schema Registry wire format: 0x00, 4-byte big-endian schema id, Avro body.

Used when OMEGA_SCHEMA_REGISTRY_URL is set, so Omega's topics can be read by any
Confluent-compatible consumer. Writing goes through confluent-kafka's own
`AvroSerializer` (it registers the schema and frames the body); reading parses the same
frame here, so a bad message gets one of our coded rejections rather than a library
error. Subjects follow RecordNameStrategy (the record's full name, e.g. `omega.TvDelta`),
because one record type may travel on several topics. Evolution rules: docs/schemas.md.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient, record_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import parse_schema

from omega.avro import AvroCodec, AvroDecodeError, AvroSchema, SchemaStore

WIRE_MAGIC = b"\x00"
WIRE_HEADER_BYTES = 5


class ConfluentCodec(AvroCodec):
    """AvroCodec with the registry's framing; ids are cached after the first lookup."""

    def __init__(self, store: SchemaStore, registry_url: str) -> None:
        super().__init__(store)
        self.client = SchemaRegistryClient({"url": registry_url})
        self._serializers: dict[str, AvroSerializer] = {}
        self._schema_by_id: dict[int, AvroSchema] = {}
        self._context = SerializationContext("", MessageField.VALUE)  # topic: not in subject

    def encode(self, schema_name: str, record: dict[str, Any]) -> bytes:
        serializer = self._serializers.get(schema_name)
        if serializer is None:
            schema = self.store.get(schema_name)
            text = json.dumps(json.loads(open(schema.source).read()))
            serializer = AvroSerializer(self.client, text, conf={
                "auto.register.schemas": True,
                "subject.name.strategy": record_subject_name_strategy})
            self._serializers[schema_name] = serializer
        data = serializer(record, self._context)
        assert data is not None
        return data

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
