"""Every operator CLI explains itself (--help with an example) and says clearly when
Kafka is not there instead of hanging or dumping a traceback."""

from __future__ import annotations

import subprocess
import sys

from omega.settings import REPO_ROOT, Settings

CLIS = {  # prog: (module, arguments that would touch Kafka)
    "omega-replay": ("producers.movielens", ["--limit", "5"]),
    "omega-fleet": ("producers.fleet", ["--devices", "10"]),
    "omega-produce": ("producers.synthetic", ["--count", "5"]),
    "omega-trends": ("consumers.trends", []),
    "omega-deadletters": ("consumers.deadletters", ["summary"]),
}


def run_all(extra: list[str], env: dict[str, str]) -> dict[str, subprocess.CompletedProcess[str]]:
    procs = {prog: subprocess.Popen([sys.executable, "-m", module, *(extra or args)],
                                    env=env, cwd=REPO_ROOT, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for prog, (module, args) in CLIS.items()}
    done = {}
    for prog, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        done[prog] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def test_every_cli_has_help_with_an_example() -> None:
    for prog, result in run_all(["--help"], Settings().subprocess_env()).items():
        assert result.returncode == 0, result.stderr
        assert f"usage: {prog}" in result.stdout and "example" in result.stdout, result.stdout


def test_every_cli_fails_with_a_clear_message_when_kafka_is_unreachable() -> None:
    env = Settings(kafka_bootstrap="127.0.0.1:9").subprocess_env()  # nothing listens on 9
    for prog, result in run_all([], env).items():
        assert result.returncode != 0, f"{prog} did not fail"
        assert f"{prog}: Kafka at 127.0.0.1:9 did not answer" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
