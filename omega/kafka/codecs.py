"""Which codec a deployment uses: Avro single-object encoding, or Confluent's wire format
when a Schema Registry is set (the registry client is imported only then)."""

from __future__ import annotations

from pathlib import Path

from omega.kafka.avro import AvroCodec, SchemaStore
from omega.settings import Settings


def load_codec(schemas_dir: Path, schema_registry_url: str | None = None) -> AvroCodec:
    """The codec over every schema in `schemas_dir`: Confluent framing when a registry is set."""
    store = SchemaStore.from_directory(schemas_dir)
    if schema_registry_url:
        from omega.kafka.registry import ConfluentCodec  # registry client only when used

        return ConfluentCodec(store, schema_registry_url)
    return AvroCodec(store)


def codec_for(settings: Settings) -> AvroCodec:
    """The codec these settings ask for."""
    return load_codec(settings.schemas_dir, settings.schema_registry_url)
