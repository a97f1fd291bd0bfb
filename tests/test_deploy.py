"""The production stack's files: compose uses only real settings, every long-running
service is health-checked, the image is slim and non-root, and `docker compose config`
accepts the file where the compose plugin exists."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from omega.kafka.acls import ROLES
from omega.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "infra" / "docker-compose.yml"
CONFLUENT = REPO_ROOT / "infra" / "docker-compose.confluent.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
ONE_SHOT = {"topics", "catalog"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_omega_variable_in_compose_is_a_real_setting() -> None:
    settings_names = {f"OMEGA_{name.upper()}" for name in Settings.model_fields}
    services = compose()["services"]
    used = {key for service in services.values()
            for key in (service.get("environment") or {}) if key.startswith("OMEGA_")}
    assert {"OMEGA_KAFKA_BOOTSTRAP", "OMEGA_SCHEMA_REGISTRY_URL", "OMEGA_QDRANT_URL"} <= used
    assert used <= settings_names, f"not settings: {sorted(used - settings_names)}"


def test_each_service_connects_as_its_role_over_tls() -> None:
    services = compose()["services"]
    roles = {name: (s.get("environment") or {}).get("OMEGA_KAFKA_USERNAME")
             for name, s in services.items()}
    assert roles == {"topics": "admin", "catalog": "producer", "worker": "worker",
                     "embedder": "embedder", "api": "api", "simulator": "producer",
                     "kafka": None, "schema-registry": None, "registry-db": None,
                     "qdrant": None}
    for name, role in roles.items():
        if role is not None:
            env = services[name]["environment"]
            assert env["OMEGA_KAFKA_PASSWORD"].startswith(f"${{SCRAM_{role.upper()}_PASSWORD")
            assert env["OMEGA_KAFKA_SSL_CA"] == "/etc/omega/tls/ca.pem"
    # The broker makes a user for every role but the admin's own entry, and the .env
    # template names each password.
    script = (REPO_ROOT / "infra" / "compose" / "kafka-start.sh").read_text()
    made = set(re.search(r"for role in ([a-z ]+); do", script).group(1).split())  # type: ignore[union-attr]
    assert made == set(ROLES) - {"admin"}
    template = (REPO_ROOT / "infra" / ".env.example").read_text()
    for role in ROLES:
        assert f"SCRAM_{role.upper()}_PASSWORD=" in template, role
    confluent = yaml.safe_load(CONFLUENT.read_text())["services"]["schema-registry"]
    assert confluent["image"] == "confluentinc/cp-schema-registry:7.9.1", "pinned"
    assert 'username="registry"' in confluent["environment"][
        "SCHEMA_REGISTRY_KAFKASTORE_SASL_JAAS_CONFIG"]


def test_long_running_services_are_health_checked_and_scalable() -> None:
    services = compose()["services"]
    assert {"kafka", "schema-registry", "qdrant", "worker", "api", "embedder"} <= set(services)
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            continue
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    assert services["worker"]["deploy"]["replicas"] == "${OMEGA_WORKERS:-2}"
    assert services["api"]["deploy"]["replicas"] == "${OMEGA_API_REPLICAS:-2}"
    mounts = [v.split(":")[1] for v in services["worker"].get("volumes", [])]
    assert not any(m == "/data" or m.startswith("/data/") for m in mounts), \
        "replicas must not share one RocksDB folder"


def test_the_image_is_slim_non_root_and_copies_what_exists() -> None:
    text = DOCKERFILE.read_text()
    assert re.findall(r"^FROM (\S+)", text, re.M)[-1] == "python:3.11-slim"
    assert re.findall(r"^USER (\S+)", text, re.M) == ["omega"]
    for source in re.findall(r"^COPY (?!--)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (REPO_ROOT / path).exists(), f"Dockerfile copies missing {path}"


def test_docker_compose_accepts_the_file() -> None:
    docker = shutil.which("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, text=True
                           ) if docker else None
    if probe is None or probe.returncode != 0:
        pytest.skip("the docker client here has no compose plugin (`docker compose` is "
                    "unknown), so `docker compose config` cannot run; the checks above "
                    "still parse and validate the file")
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "-f", str(CONFLUENT), "config", "--quiet"],
        capture_output=True, text=True,
        env={"OMEGA_SYNC_KEYS": "k1:secret", "PATH": "/usr/bin:/bin", "REGISTRY_DB_PASSWORD": "p",
             **{f"SCRAM_{role.upper()}_PASSWORD": "p" for role in ROLES}})
    assert result.returncode == 0, result.stderr
