"""Confluent Schema Registry wire format: 0x00, 4-byte big-endian schema id, Avro body.

Used when OMEGA_SCHEMA_REGISTRY_URL is set, so Omega's topics can be read by any
Confluent-compatible consumer. Writing goes through confluent-kafka's own
`AvroSerializer` (it registers the schema and frames the body); reading parses the same
frame here, so a bad message gets one of our coded rejections rather than a library
error. Subjects follow RecordNameStrategy (the record's full name, e.g. `omega.TvDelta`),
because one record type may travel on several topics. Evolution rules: docs/schemas.md;
`register_schemas` (`omega schemas register`) sets each subject's compatibility to
BACKWARD and registers every schema, so the registry itself refuses a change that would
break readers, and says why.
"""

from __future__ import annotations

import json
import struct
from typing import Any

from confluent_kafka.schema_registry import (
    Schema,
    SchemaRegistryClient,
    SchemaRegistryError,
    record_subject_name_strategy,
)
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from fastavro.schema import parse_schema

from omega.kafka.avro import AvroCodec, AvroDecodeError, AvroSchema, SchemaStore

WIRE_MAGIC = b"\x00"
WIRE_HEADER_BYTES = 5
COMPATIBILITY = "BACKWARD"  # docs/schemas.md, "Evolution rules"


class SchemaRefused(RuntimeError):
    """The registry would not take a schema; the message carries the registry's reason."""


def schema_text(schema: AvroSchema) -> str:
    """The .avsc file as compact JSON: what is registered, and compared, under a subject."""
    return json.dumps(json.loads(open(schema.source).read()))


def register_schemas(store: SchemaStore, registry_url: str) -> list[tuple[str, int]]:
    """Set every subject's compatibility to BACKWARD, then register each schema under it
    (idempotent); (subject, id) of each. A schema the registry refuses raises
    SchemaRefused with its reason, after the others were tried."""
    client = SchemaRegistryClient({"url": registry_url})
    registered, refused = [], []
    for schema in store.by_name.values():
        try:
            client.set_compatibility(subject_name=schema.name, level=COMPATIBILITY)
            schema_id = client.register_schema(schema.name, Schema(schema_text(schema), "AVRO"))
        except SchemaRegistryError as exc:
            refused.append(f"{schema.name}: {exc.error_message} (HTTP {exc.http_status_code})")
            continue
        registered.append((schema.name, schema_id))
    if refused:
        raise SchemaRefused(f"the registry at {registry_url} refused " + "; ".join(refused))
    return registered


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
            serializer = AvroSerializer(self.client, schema_text(self.store.get(schema_name)),
                                        conf={"auto.register.schemas": True,
                                              "subject.name.strategy":
                                                  record_subject_name_strategy})
            self._serializers[schema_name] = serializer
        try:
            data = serializer(record, self._context)
        except SchemaRegistryError as exc:  # registering it: e.g. an incompatible change
            raise SchemaRefused(f"the registry refused {schema_name}: {exc.error_message} "
                                f"(HTTP {exc.http_status_code})") from exc
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
