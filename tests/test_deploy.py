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

from omega.settings import REPO_ROOT, Settings

COMPOSE = REPO_ROOT / "infra" / "docker-compose.yml"
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
    assert "volumes" not in services["worker"], "replicas must not share one RocksDB folder"


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
        [docker, "compose", "-f", str(COMPOSE), "config", "--quiet"], capture_output=True,
        text=True, env={"OMEGA_SYNC_KEYS": "k1:secret", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
