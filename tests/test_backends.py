"""The test-backend switch: clear errors for a typo and for a missing Docker engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from omega.settings import REPO_ROOT
from tests.backends import BackendError, chosen_backend, docker_engine_problem, require_engine


def test_the_switch_defaults_to_the_local_broker_and_rejects_typos() -> None:
    assert chosen_backend({}) == "local"
    assert chosen_backend({"OMEGA_TEST_BACKEND": " TestContainers "}) == "testcontainers"
    with pytest.raises(BackendError, match="'docker' is not one of local, testcontainers"):
        chosen_backend({"OMEGA_TEST_BACKEND": "docker"})


def test_a_typo_stops_pytest_before_any_test() -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/test_backends.py", "-q"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "OMEGA_TEST_BACKEND": "dokcer"})
    assert result.returncode == 4  # pytest's usage error
    assert "OMEGA_TEST_BACKEND='dokcer' is not one of local, testcontainers" in result.stderr


def test_testcontainers_without_an_engine_says_so_and_what_to_do() -> None:
    if docker_engine_problem() is None:
        pytest.skip("a Docker engine answers here; the no-engine message cannot be shown")
    with pytest.raises(BackendError) as err:
        require_engine()
    assert "needs a Docker engine" in str(err.value)
    assert "OMEGA_TEST_BACKEND=local" in str(err.value)
