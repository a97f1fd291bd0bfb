"""Confluent wire format against a stand-in registry.

The Confluent Schema Registry is not on Maven Central or PyPI, so it cannot run here;
this loopback server speaks the two REST calls the client makes (register, get by id).
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omega.avro import AvroDecodeError, SchemaStore
from omega.registry import ConfluentCodec
from omega.settings import REPO_ROOT
from tests.conftest import valid_delta


class FakeRegistry(BaseHTTPRequestHandler):
    schemas: list[str] = []
    subjects: list[str] = []

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # register: POST /subjects/<subject>/versions
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        subject = self.path.split("/")[2]
        if subject not in self.subjects:
            self.subjects.append(subject)
        if body["schema"] not in self.schemas:
            self.schemas.append(body["schema"])
        self._reply(200, {"id": 100 + self.schemas.index(body["schema"])})

    def do_GET(self) -> None:  # GET /schemas/ids/<id>
        if not self.path.startswith("/schemas/ids/"):  # e.g. newer clients' association lookups
            self._reply(404, {"error_code": 40401, "message": f"{self.path} not found"})
            return
        schema_id = int(self.path.split("?")[0].rstrip("/").split("/")[-1])
        if 100 <= schema_id < 100 + len(self.schemas):
            self._reply(200, {"schema": self.schemas[schema_id - 100], "schemaType": "AVRO"})
        else:
            self._reply(404, {"error_code": 40403, "message": "Schema not found"})


@pytest.fixture
def registry_url() -> Iterator[str]:
    FakeRegistry.schemas = []
    FakeRegistry.subjects = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_wire_format_bytes_are_magic_zero_then_schema_id(registry_url: str) -> None:
    codec = ConfluentCodec(SchemaStore.from_directory(REPO_ROOT / "schemas"), registry_url)
    data = codec.encode("omega.TvDelta", valid_delta())
    assert data[0] == 0
    assert struct.unpack(">I", data[1:5]) == (100,)
    # The body is plain Avro binary: 'tv-1' is a zigzag length 4 (0x08), then the bytes.
    assert data[5:10] == b"\x08tv-1"
    # A second codec (another process) learns the writer schema from the registry by id.
    reader = ConfluentCodec(SchemaStore.from_directory(REPO_ROOT / "schemas"), registry_url)
    assert reader.decode(data, "omega.TvDelta")["titles"][0]["title_id"] == 1


def test_wire_format_errors_are_coded(registry_url: str) -> None:
    codec = ConfluentCodec(SchemaStore.from_directory(REPO_ROOT / "schemas"), registry_url)
    with pytest.raises(AvroDecodeError) as err:
        codec.decode(b"\xc3\x01junk", "omega.TvDelta")
    assert err.value.code == "not_avro"
    with pytest.raises(AvroDecodeError) as err:
        codec.decode(b"\x00\x00\x00\x03\xe7rest", "omega.TvDelta")
    assert err.value.code == "unknown_schema"


def test_any_confluent_consumer_reads_our_bytes_and_we_read_theirs(registry_url: str) -> None:
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    ours = ConfluentCodec(SchemaStore.from_directory(REPO_ROOT / "schemas"), registry_url)
    record = valid_delta("tv-42", 7, 1_800_000_000_000, [(3, 60), (4, 90)])
    data = ours.encode("omega.TvDelta", record)
    context = SerializationContext("omega.tv-deltas.v1", MessageField.VALUE)
    theirs = AvroDeserializer(SchemaRegistryClient({"url": registry_url}))
    assert theirs(data, context) == record
    assert FakeRegistry.subjects == ["omega.TvDelta"], "RecordNameStrategy: subject = record"
    other = ConfluentCodec(SchemaStore.from_directory(REPO_ROOT / "schemas"), registry_url)
    assert other.decode(data, "omega.TvDelta") == record
