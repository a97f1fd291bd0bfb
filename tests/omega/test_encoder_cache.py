"""The FP32 graph cache survives several processes building it at once (make run's first start)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from omega.settings import REPO_ROOT

BUILD = "import sys; from pathlib import Path; from omega.encoder import fp32_model_path; " \
        "print(fp32_model_path(Path(sys.argv[1])))"


def test_two_processes_building_the_graph_together_all_get_it(tmp_path: Path) -> None:
    builders = [subprocess.Popen([sys.executable, "-c", BUILD, str(tmp_path)], cwd=REPO_ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(4)]
    results = [b.communicate(timeout=240) for b in builders]
    assert [b.returncode for b in builders] == [0] * 4, [err[-1500:] for _, err in results]
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1
    built = Path(paths.pop())
    assert built.stat().st_size > 80_000_000  # the whole FP32 model, not a partial write
    assert [p.name for p in tmp_path.iterdir()] == [built.name], "no temporary file left"
