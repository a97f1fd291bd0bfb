"""Confluent's wire format through a real Schema Registry: Apicurio Registry, built from
Maven Central's jars (infra/registry/pom.xml) and serving the Confluent-compatible API.
Each subject is BACKWARD; the registry itself refuses a change that would break readers."""

from __future__ import annotations

import copy
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from devstack.local_registry import LocalRegistry
from omega.cli import main
from omega.kafka.avro import AvroDecodeError, SchemaStore
from omega.kafka.registry import ConfluentCodec, SchemaRefused, register_schemas
from omega.settings import REPO_ROOT, get_settings
from tests.conftest import valid_delta

pytestmark = pytest.mark.integration
SCHEMAS = REPO_ROOT / "schemas"


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry of this module's own: its schemas live in memory, so each starts empty."""
    registry = LocalRegistry(REPO_ROOT / "infra" / "registry",
                             tmp_path_factory.mktemp("registry") / "registry.log")
    url = registry.start(timeout_s=120, die_with_parent=True)
    yield url
    registry.stop()


def test_wire_format_round_trip_through_the_registry(registry_url: str) -> None:
    ours = ConfluentCodec(SchemaStore.from_directory(SCHEMAS), registry_url)
    record = valid_delta("tv-42", 7, 1_800_000_000_000, [(3, 60), (4, 90)])
    data = ours.encode("omega.TvDelta", record)
    (schema_id,) = struct.unpack(">I", data[1:5])
    assert data[0] == 0
    # The body is plain Avro binary: 'tv-42' is a zigzag length 5 (0x0a), then the bytes.
    assert data[5:11] == b"\x0atv-42"
    client = SchemaRegistryClient({"url": registry_url})
    registered = client.get_latest_version("omega.TvDelta")  # RecordNameStrategy
    assert registered.schema_id == schema_id
    assert json.loads(registered.schema.schema_str)["name"] == "TvDelta"
    # Another process learns the writer schema from the registry by id; so does any
    # Confluent consumer.
    other = ConfluentCodec(SchemaStore.from_directory(SCHEMAS), registry_url)
    assert other.decode(data, "omega.TvDelta") == record
    theirs = AvroDeserializer(client)
    assert theirs(data, SerializationContext("omega.tv-deltas.v1", MessageField.VALUE)) == record


def test_wire_format_errors_are_coded(registry_url: str) -> None:
    codec = ConfluentCodec(SchemaStore.from_directory(SCHEMAS), registry_url)
    with pytest.raises(AvroDecodeError) as err:
        codec.decode(b"\xc3\x01junk", "omega.TvDelta")
    assert err.value.code == "not_avro"
    with pytest.raises(AvroDecodeError) as err:
        codec.decode(b"\x00\x00\x00\x03\xe7rest", "omega.TvDelta")
    assert err.value.code == "unknown_schema"


def changed(field: dict[str, Any], folder: Path) -> SchemaStore:
    """The schemas with one field added to TvDelta, as a new version of its file."""
    folder.mkdir()
    for path in SCHEMAS.glob("*.avsc"):
        schema = json.loads(path.read_text())
        if schema["name"] == "TvDelta":
            schema = copy.deepcopy(schema)
            schema["fields"].append(field)
        (folder / path.name).write_text(json.dumps(schema))
    return SchemaStore.from_directory(folder)


def test_each_subject_is_backward_and_an_incompatible_change_is_refused_with_the_reason(
        registry_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMEGA_SCHEMA_REGISTRY_URL", registry_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["schemas", "register"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    subjects = {line.split()[0] for line in result.output.splitlines()}
    assert subjects == {s.name for s in SchemaStore.from_directory(SCHEMAS).by_name.values()}
    for subject in subjects:
        config = httpx.get(f"{registry_url}/config/{subject}", timeout=10).json()
        assert config["compatibilityLevel"] == "BACKWARD", subject

    # A field without a default: v2 readers could not read v1 data. Refused, and why.
    breaking = changed({"name": "region", "type": "string"}, tmp_path / "breaking")
    with pytest.raises(SchemaRefused) as refused:
        register_schemas(breaking, registry_url)
    message = str(refused.value)
    assert "omega.TvDelta" in message and "HTTP 409" in message
    assert "region" in message, f"the registry's reason names the field: {message}"
    # The same change written by a producer (automatic registration) is refused alike.
    with pytest.raises(SchemaRefused, match="region"):
        ConfluentCodec(breaking, registry_url).encode("omega.TvDelta", valid_delta())

    # With a default it is backward compatible: accepted as the subject's next version.
    compatible = changed({"name": "region", "type": "string", "default": ""},
                         tmp_path / "compatible")
    ids = dict(register_schemas(compatible, registry_url))
    versions = httpx.get(f"{registry_url}/subjects/omega.TvDelta/versions", timeout=10).json()
    assert len(versions) == 2
    data = ConfluentCodec(compatible, registry_url).encode(
        "omega.TvDelta", valid_delta() | {"region": "eu"})
    assert struct.unpack(">I", data[1:5]) == (ids["omega.TvDelta"],)


def test_catalog_title_v3_is_a_backward_compatible_next_version_of_v2(
        registry_url: str) -> None:
    """Issue 37 adds every Oscar nomination (`oscars`) to CatalogTitle: a reader of v3
    reads the v2 catalog already in a compacted topic. The registry itself says so."""
    client = SchemaRegistryClient({"url": registry_url})
    subject = "omega.CatalogTitle-v2-to-v3"  # a subject of its own: the others keep theirs
    client.set_compatibility(subject_name=subject, level="BACKWARD")
    for version in ("v2", "v3"):
        text = json.dumps(json.loads((SCHEMAS / f"catalog_title.{version}.avsc").read_text()))
        client.register_schema(subject, Schema(text, "AVRO"))
    versions = httpx.get(f"{registry_url}/subjects/{subject}/versions", timeout=10).json()
    assert len(versions) == 2
