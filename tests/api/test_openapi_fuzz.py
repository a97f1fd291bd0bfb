"""schemathesis against the served OpenAPI spec: no 500s, no response off its schema.

Runs schemathesis's own runner (its pytest plugin does not load under pytest 9) against
the session's real server, every operation, positive and negative inputs, seeded.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance"


def test_no_server_error_and_no_schema_violation(base_url: str, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("schemathesis")
    run = subprocess.run(
        [str(cli), "run", f"{base_url}/openapi.json", "--checks", CHECKS,
         "--max-examples", "40", "--seed", "7", "--generation-deterministic", "--no-color",
         "--request-timeout", "20"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    spec = httpx.get(f"{base_url}/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    assert operations >= 9 and f"Tested: {operations}\n" in report, report[-3000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated and generated[1] == generated[2] and int(generated[1]) > 300, report[-3000:]
