"""`make soak-run MINUTES=60`: `make run` on a fresh data folder for a while, then the
verdict a new user's first hour should get. Exits non-zero unless all of these hold:

- the worker never restarted (the supervisor's "restarting" lines);
- no line with ERROR or Traceback in any log of the data folder;
- /metrics counts no 5xx response;
- every window was released at most 10 s after it closed (its end plus the lateness);
- Discover's day view always had a title above the noise, from its first release on.

It is a command, not a pytest test: it takes both cores for as long as it is asked to.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from omega.settings import REPO_ROOT, Settings

POLL_S = 30.0
MAX_RELEASE_DELAY_S = 10.0
RESTART = "restarting in"
# Faust's and the components' log lines: "[2026-12-06 16:49:07,454] [pid] [INFO] ..."
# (Faust) or "2026-12-06 16:49:07,454 INFO ..." (logging.basicConfig).
STAMP = re.compile(r"\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]?")
RELEASED = re.compile(r"released window (\d+):")


@dataclass
class Verdict:
    polls: int = 0
    discover_polls: int = 0
    all_noise_polls: list[str] = field(default_factory=list)
    server_errors: int = 0
    restarts: int = 0
    bad_lines: list[str] = field(default_factory=list)
    release_delays: list[float] = field(default_factory=list)
    stack_exit: int | None = None

    def checks(self) -> list[tuple[str, bool, str]]:
        late = [d for d in self.release_delays if d > MAX_RELEASE_DELAY_S]
        worst = max(self.release_delays, default=float("nan"))
        return [
            ("worker restarts", self.restarts == 0, f"{self.restarts}"),
            ("ERROR or Traceback lines in the logs", not self.bad_lines,
             f"{len(self.bad_lines)}"),
            ("5xx responses on /metrics", self.server_errors == 0, f"{self.server_errors}"),
            ("windows released", bool(self.release_delays), f"{len(self.release_delays)}"),
            (f"windows released > {MAX_RELEASE_DELAY_S:.0f} s after closing", not late,
             f"{len(late)} (longest {worst:.1f} s)"),
            ("Discover day views all within the noise", not self.all_noise_polls
             and self.discover_polls > 0,
             f"{len(self.all_noise_polls)} of {self.discover_polls} polls after the first "
             "release"),
            ("make run still running at the end", self.stack_exit is None,
             "yes" if self.stack_exit is None else f"exited {self.stack_exit}"),
        ]

    def report(self) -> str:
        lines = [f"{'check':<48} {'ok':<4} value"]
        lines += [f"{name:<48} {'yes' if ok else 'NO':<4} {value}"
                  for name, ok, value in self.checks()]
        lines += [f"  bad line: {line}" for line in self.bad_lines[:20]]
        lines += [f"  all within the noise at {when}" for when in self.all_noise_polls[:10]]
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks())


def server_errors(metrics: str) -> int:
    """5xx responses counted by omega_api_requests_total, every route but the readiness
    probe, whose 503 while the stack starts ("degraded") is its answer, not a failure."""
    total = 0.0
    for line in metrics.splitlines():
        if (line.startswith("omega_api_requests_total{") and re.search(r'status="5\d\d"', line)
                and 'route="/api/health"' not in line):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def read_logs(folder: Path, settings: Settings, verdict: Verdict) -> None:
    """ERROR and Traceback lines, worker restarts and release delays, from every log."""
    window_ms = settings.window_seconds * 1000
    lateness_ms = settings.allowed_lateness_seconds * 1000
    for path in sorted(folder.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if "ERROR" in line or "Traceback" in line:
                verdict.bad_lines.append(f"{path.name}: {line[:300]}")
            if RESTART in line:
                verdict.restarts += 1
            released, stamp = RELEASED.search(line), STAMP.match(line)
            if released and stamp:
                at = datetime.strptime(stamp[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
                closed = (int(released[1]) + window_ms + lateness_ms) / 1000
                verdict.release_delays.append(at - closed)


def poll(client: httpx.Client, verdict: Verdict) -> None:
    """One look at the running stack: Discover's day view and the API's 5xx count."""
    try:
        day = client.get("/api/discover", params={"window": "day"}).json()
        metrics = client.get("/metrics/").text
    except (httpx.TransportError, ValueError):
        return  # not up yet (the API starts after the catalog is loaded)
    verdict.polls += 1
    verdict.server_errors = server_errors(metrics)
    if day.get("privacy", {}).get("windows"):
        verdict.discover_polls += 1
        if not day["aboveNoise"]["titles"]:
            verdict.all_noise_polls.append(time.strftime("%H:%M:%S"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.stack.soak",
        description="Run `omega run` (make run) on a fresh data folder for --minutes, then "
                    "check: no worker restart, no ERROR or Traceback in any log, no 5xx, "
                    "every window released within 10 s of closing, and Discover's day view "
                    "never all within the noise. Exits 1 unless all hold.")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--devices", type=int, default=300_000)
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / ".omega-soak",
                        help="made afresh (removed first); default .omega-soak/")
    args = parser.parse_args(argv)
    shutil.rmtree(args.data_dir, ignore_errors=True)
    env = os.environ | {"OMEGA_DATA_DIR": str(args.data_dir)}
    settings = Settings(data_dir=args.data_dir)
    logs = args.data_dir / "logs"
    logs.mkdir(parents=True)
    verdict = Verdict()
    with open(logs / "run.log", "ab") as out:
        stack = subprocess.Popen([str(Path(sys.executable).with_name("omega")), "run",
                                  "--devices", str(args.devices)], env=env, stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    ends = time.monotonic() + args.minutes * 60
    base = f"http://{settings.api_host}:{settings.api_port}"
    with httpx.Client(base_url=base, timeout=10) as client:
        while time.monotonic() < ends and stack.poll() is None:
            poll(client, verdict)
            print(f"{time.strftime('%H:%M:%S')} polls {verdict.polls}, Discover above the "
                  f"noise {verdict.discover_polls - len(verdict.all_noise_polls)}/"
                  f"{verdict.discover_polls}, 5xx {verdict.server_errors}", flush=True)
            time.sleep(POLL_S)  # the soak's own pace: one look every 30 s
    verdict.stack_exit = stack.poll()
    stack.send_signal(signal.SIGINT)
    stack.wait(120)
    read_logs(logs, settings, verdict)
    print(verdict.report())
    sys.exit(0 if verdict.ok else 1)


if __name__ == "__main__":
    main()
