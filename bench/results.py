"""Each benchmark's latest figures, kept as data: `record` writes bench/results/<name>.json
(figures, each beside its baseline from the same run, with the date, commit and machine),
and `python -m bench.report` (the last step of `make bench`) turns them into
docs/benchmarks.md. History lives in git, not in the docs."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from omega.settings import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results"


@dataclass(frozen=True)
class Figure:
    """`value` (in `unit`) of `what`, against `baseline_value` of `baseline` measured in
    the same run; ratio = value / baseline_value."""

    what: str
    value: float
    unit: str
    baseline: str
    baseline_value: float

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("nan")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--",
                            "omega", "streams", "api", "producers", "consumers", "bench",
                            ":!bench/results"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return (done.stdout.strip() or "unknown") + ("+changes" if dirty else "")


def record(name: str, figures: list[Figure], command: str | None = None) -> Path:
    """Keep `figures` as benchmark `name`'s latest result."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({
        "benchmark": name,
        "command": command or "python -m " + " ".join(
            [f"bench.{name}", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit(), "machine": machine(),
        "figures": [asdict(f) | {"ratio": f.ratio} for f in figures]}, indent=1) + "\n")
    return path
