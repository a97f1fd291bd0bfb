"""Kafka: the cluster, identities, the registry, topics and their partitions."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from omega.settings.base import REPO_ROOT, Group


class KafkaSettings(Group):
    """The cluster and how to reach it; the local broker and registry of devstack/."""

    kafka_bootstrap: str | None = Field(
        default=None, description="External cluster; unset means the local broker."
    )
    kafka_username: str | None = Field(
        default=None, description="This component's Kafka identity (SASL/SCRAM-SHA-512); "
                                  "unset: no authentication.")
    kafka_password: str | None = Field(default=None, repr=False,
                                       description="This component's Kafka password.")
    kafka_ssl_ca: Path | None = Field(
        default=None, description="CA certificate (PEM) that signed the brokers' "
                                  "certificates; set: every client connects with TLS and "
                                  "checks the broker's name (`make certs`, the compose stack).")
    kafka_auth: bool = Field(
        default=True, description="The local broker (`omega kafka start`) authenticates "
                                  "each role with SASL/SCRAM-SHA-512 and enforces ACLs.")
    kafka_home: Path = Field(default=REPO_ROOT / "infra" / "kafka",
                             description="The local broker's pom.xml and config templates.")
    kafka_heap: str = Field(default="512m", description="The local broker's Java heap.")
    kafka_start_timeout_s: float = Field(
        default=60.0, description="How long `omega kafka start` waits for the broker.")
    schema_registry_url: str | None = Field(
        default=None, description="A Confluent-compatible Schema Registry: set, records use "
                                  "Confluent's wire format (`omega registry` runs one here).")
    registry_home: Path = Field(default=REPO_ROOT / "infra" / "registry",
                                description="The local Schema Registry's build (`omega registry`).")
    topic_namespace: str = Field(
        default="omega", description="Prefix of every topic name; tests use a unique one."
    )
    delta_partitions: int = Field(default=4, ge=1, description="Partitions of the input "
                                  "topics: the most workers that share the load. Fixed "
                                  "once devices are keyed onto them (docs/privacy.md).")
    schemas_dir: Path = Field(default=REPO_ROOT / "schemas", description="The Avro contracts.")

    def topic(self, short_name: str) -> str:
        """Full topic name in this namespace, e.g. `omega.tv-deltas.v1`."""
        return f"{self.topic_namespace}.{short_name}"
