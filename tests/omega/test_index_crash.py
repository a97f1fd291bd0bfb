"""A Qdrant Edge data folder survives its process being SIGKILLed: reopened, it holds
every point whose upsert returned, both the optimized (HNSW) ones and the newer ones."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from omega.index import EdgeIndex
from omega.settings import REPO_ROOT

WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    from omega.index import EdgeIndex

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(3000, 384)).astype(np.float32)
    index = EdgeIndex(Path(sys.argv[1]))
    index.upsert(list(range(1, 2001)), vectors[:2000], [{"batch": "a"}] * 2000)
    index.optimize(wait=True)                      # these are in the HNSW segment
    index.upsert(list(range(2001, 3001)), vectors[2000:], [{"batch": "b"}] * 1000)
    print("written", flush=True)                   # and these only in the WAL / appendable
    time.sleep(600)                                # killed here, never closed
""")


def test_edge_folder_reopens_with_every_point_after_a_kill(tmp_path: Path) -> None:
    folder = tmp_path / "edge"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "written"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL

    vectors = np.random.default_rng(3).normal(size=(3000, 384)).astype(np.float32)
    index = EdgeIndex(folder)
    try:
        assert index.count() == 3000
        for i in (0, 1999, 2000, 2999):
            assert index.search(vectors[i], 1)[0].title_id == i + 1
        index.upsert([3001], vectors[:1] * -1, [{}])  # and it takes new writes
        assert index.count() == 3001
    finally:
        index.close()
