"""Every notebook runs top to bottom on small data, so none of them rots."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from omega.settings import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_the_three_notebooks() -> None:
    assert {p.stem for p in NOTEBOOKS} == {"trends_over_time", "dp_utility", "backtest_results"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes_without_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMEGA_NOTEBOOK_SCALE", "small")
    for name in [k for k in os.environ if k.startswith("OMEGA_") and k != "OMEGA_NOTEBOOK_SCALE"]:
        monkeypatch.delenv(name)  # the notebooks document the defaults
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=240, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type in ("display_data", "execute_result") for o in outputs)
