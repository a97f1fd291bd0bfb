"""Where the integration tests get Kafka and Qdrant: one switch, OMEGA_TEST_BACKEND.

- `local` (the default): the project's own KRaft broker from Maven Central jars, and
  Qdrant Edge in process — what runs here and in CI (no Docker engine).
- `testcontainers`: Apache Kafka and a Qdrant server in containers (testcontainers-python),
  for machines with a Docker engine; the Qdrant server test then runs instead of skipping.

OMEGA_KAFKA_BOOTSTRAP, when set, still wins over both: the tests use that cluster.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

BACKENDS = ("local", "testcontainers")
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.1"  # Confluent Platform 7.9 ships Apache Kafka 3.9
QDRANT_IMAGE = "qdrant/qdrant:v1.15.4"


class BackendError(RuntimeError):
    """The chosen backend cannot run here; the message says why and what to do."""


def chosen_backend(environ: dict[str, str] | None = None) -> str:
    value = (environ if environ is not None else dict(os.environ)).get(
        "OMEGA_TEST_BACKEND", "local").strip().lower()
    if value not in BACKENDS:
        raise BackendError(f"OMEGA_TEST_BACKEND={value!r} is not one of {', '.join(BACKENDS)}")
    return value


def docker_engine_problem() -> str | None:
    """None when a Docker engine answers, else why not (in words)."""
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as exc:  # noqa: BLE001 - docker raises many kinds here
        return f"{type(exc).__name__}: {exc}"
    return None


def require_engine() -> None:
    problem = docker_engine_problem()
    if problem:
        raise BackendError(
            "OMEGA_TEST_BACKEND=testcontainers needs a Docker engine, and none answers "
            f"({problem}). Start one (or set DOCKER_HOST), or use OMEGA_TEST_BACKEND=local, "
            "the project's own broker")


@contextmanager
def kafka_container() -> Iterator[str]:
    """A KRaft Kafka in a container; yields its bootstrap address."""
    require_engine()
    from testcontainers.community.kafka import KafkaContainer

    with KafkaContainer(KAFKA_IMAGE).with_kraft() as kafka:
        yield kafka.get_bootstrap_server()


@contextmanager
def qdrant_container() -> Iterator[str]:
    """A Qdrant server in a container; yields its REST URL."""
    require_engine()
    from testcontainers.community.qdrant import QdrantContainer

    with QdrantContainer(QDRANT_IMAGE) as qdrant:
        yield f"http://{qdrant.rest_host_address}"
