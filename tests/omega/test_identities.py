"""Each component's Kafka identity on the local broker: `omega run` hands every component
its role, `omega kafka env ROLE` prints the same for one started by hand."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from devstack.stack import identity_env
from omega.cli import main
from omega.kafka.acls import ROLES, as_role, local_passwords
from omega.settings import Settings, get_settings


def with_credentials(data_dir: Path, passwords: dict[str, str]) -> None:
    (data_dir / "kafka").mkdir(parents=True)
    path = data_dir / "kafka" / "credentials.json"
    path.write_text(json.dumps(passwords))
    os.chmod(path, 0o600)


def test_kafka_env_prints_the_roles_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    passwords = {role: f"pw-{role}-'$x" for role in ROLES}  # quoting survives the shell
    with_credentials(tmp_path, passwords)
    monkeypatch.setenv("OMEGA_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["kafka", "env", "analytics"])
        wrong = CliRunner().invoke(main, ["kafka", "env", "nobody"])
        monkeypatch.setenv("OMEGA_KAFKA_AUTH", "false")
        get_settings.cache_clear()
        off = CliRunner().invoke(main, ["kafka", "env", "analytics"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    exports = dict(shlex.split(line)[1].split("=", 1) for line in result.output.splitlines())
    assert exports == {"OMEGA_KAFKA_USERNAME": "analytics",
                       "OMEGA_KAFKA_PASSWORD": passwords["analytics"]}
    assert wrong.exit_code == 2 and "'nobody' is not one of" in wrong.output
    assert off.exit_code == 1 and "runs without authentication" in off.output


def test_each_component_gets_only_its_own_identity(tmp_path: Path) -> None:
    passwords = {role: f"pw-{role}" for role in ROLES}
    with_credentials(tmp_path, passwords)
    settings = Settings(data_dir=tmp_path)
    assert local_passwords(settings) == passwords
    assert identity_env("worker", passwords) == {"OMEGA_KAFKA_USERNAME": "worker",
                                                 "OMEGA_KAFKA_PASSWORD": "pw-worker"}
    assert identity_env(None, passwords) == {}, "the web fleet talks HTTP, not Kafka"
    assert identity_env("api", {}) == {}, "a broker without auth: no identity"
    # A cluster named by OMEGA_KAFKA_BOOTSTRAP has its own identities, not this folder's.
    assert local_passwords(settings.model_copy(update={"kafka_bootstrap": "k:9092"})) == {}
    assert as_role(settings, "api", passwords).kafka_username == "api"
    with pytest.raises(ValueError, match="no password for role 'nobody'"):
        as_role(settings, "nobody", passwords)
