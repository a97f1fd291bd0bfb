"""docs/benchmarks.md from bench/results/*.json: the latest figure of each benchmark,
beside its same-run baseline and the ratio, with the date, commit and machine.

    python -m bench.report            # after `make bench`, or after any one benchmark
"""

from __future__ import annotations

import json

from bench.results import RESULTS
from omega.settings import REPO_ROOT

DOC = REPO_ROOT / "docs" / "benchmarks.md"
# helpers, and the fuzzer (it hunts crashes in the decoders; its timing is no figure)
NOT_BENCHMARKS = {"results", "report", "faust_floor", "fuzz"}


def number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def amount(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".strip()


def render() -> str:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    lines = [
        "# Benchmarks: the latest figures",
        "",
        "Made by `make bench` (`python -m bench.report` from `bench/results/`); each figure "
        "stands beside a baseline measured in the same run, because this machine is "
        "shared and absolute times move. Earlier figures are in git's history of this "
        "file and of `bench/results/`.",
        "",
        "| benchmark | figure | value | baseline, same run | ratio | run |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    machines = {}
    for result in results:
        machines.setdefault(result["machine"], len(machines) + 1)
        run = (f"{result['date']}, {result['commit']}, machine "
               f"{machines[result['machine']]}")
        for f in result["figures"]:
            lines.append(
                f"| `{result['command']}` | {f['what']} | {amount(f['value'], f['unit'])} | "
                f"{f['baseline']}: {amount(f['baseline_value'], f['unit'])} | "
                f"{f['ratio']:.3f} | {run} |")
    recorded = {result["benchmark"] for result in results}
    missing = sorted(p.stem for p in (REPO_ROOT / "bench").glob("*.py")
                     if not p.stem.startswith("_") and p.stem not in NOT_BENCHMARKS
                     and p.stem not in recorded)
    if missing:
        lines += ["", "Not run since their figures are kept here (run them, then "
                      "`python -m bench.report`): " + ", ".join(
                          f"`python -m bench.{name}`" for name in missing) + "."]
    lines += ["", "Machines:", ""]
    lines += [f"{n}. {m}" for m, n in machines.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    DOC.write_text(render())
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
