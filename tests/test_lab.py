"""JupyterLab as analysts use it (issue 10.5): a save in JupyterLab never dirties the tracked
notebooks.

The save is simulated through Jupyter's own contents manager, configured by the project's
``jupyter_server_config.py`` (the file ``make lab`` passes to JupyterLab), on a scratch copy of
the project: an analyst's run (outputs, execution counts, an edited parameter, a new cell) is
saved, and the file on disk must pass ``nbstripout --verify`` and keep the generated parameters
cell, while a notebook outside ``notebooks/`` keeps its outputs.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from traitlets.config.loader import PyFileConfigLoader

from unga_brief.core.paths import Paths
from unga_brief.report.params import parameters_cell_source

# jupyter_server validates the configured hook twice and warns that it "overrides" itself
pytestmark = pytest.mark.filterwarnings("ignore:Overriding existing pre_save_hook:UserWarning")

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "jupyter_server_config.py"
BIN = Path(__import__("sys").executable).parent


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.fixture
def contents_manager(project: Path):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    return FileContentsManager(root_dir=str(project), config=config)


def analysts_run(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What JupyterLab holds after an analyst edited a parameter, added a cell and ran them."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = i + 1
        cell.outputs = [new_output("stream", name="stdout", text=f"out {i}\n")]
        cell.metadata["execution"] = {"iopub.execute_input": "2026-11-29T01:00:00Z"}
        cell.metadata["scrolled"] = True
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(
                "window = ", "window = ['2024-01-01', '2024-12-31'] # "
            )
    nb.cells.append(new_code_cell("ctx.votes.head()", execution_count=99))
    nb.cells[-1].outputs = [
        new_output("execute_result", data={"text/plain": "a frame"}, execution_count=99)
    ]
    return nb


def _save(cm, nb: nbformat.NotebookNode, path: str) -> Path:
    cm.save({"type": "notebook", "format": "json", "content": nb}, path)
    return Path(cm.root_dir) / path


def test_config_sets_the_hook() -> None:
    from unga_brief.report.lab import pre_save_hook

    config = PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()
    assert config.ContentsManager.pre_save_hook is pre_save_hook


def test_saving_a_tracked_notebook_strips_outputs_and_resets_parameters(
    contents_manager, project: Path
) -> None:
    name = "02_abstention.ipynb"
    original = nbformat.read(project / "notebooks" / name, as_version=4)
    saved = _save(contents_manager, analysts_run(original), f"notebooks/{name}")

    verify = subprocess.run([str(BIN / "nbstripout"), "--verify", str(saved)], capture_output=True)
    assert verify.returncode == 0, "the saved notebook carries outputs: make test would fail"
    nb = nbformat.read(saved, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert [c.source for c in params] == [
        parameters_cell_source(Paths.default(project)).rstrip("\n")
    ]
    assert "2024-12-31" not in saved.read_text()
    # the analyst's new cell is kept (without its output)
    assert nb.cells[-1].source == "ctx.votes.head()" and nb.cells[-1].outputs == []
    # everything else is as committed: saving the untouched notebook changes no byte
    _save(contents_manager, original, f"notebooks/{name}")
    assert saved.read_bytes() == (ROOT / "notebooks" / name).read_bytes()


def test_a_notebook_outside_notebooks_keeps_its_outputs(contents_manager, project: Path) -> None:
    (project / "build").mkdir()
    nb = analysts_run(nbformat.read(project / "notebooks" / "00_data.ipynb", as_version=4))
    saved = _save(contents_manager, nb, "build/00_data_copy.ipynb")
    again = nbformat.read(saved, as_version=4)
    assert any(c.get("outputs") for c in again.cells if c.cell_type == "code")
    assert "2024-12-31" in saved.read_text()


def test_make_lab_starts_jupyterlab_on_the_root_with_the_config() -> None:
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    line = [ln for ln in dry.stdout.splitlines() if "jupyter lab" in ln]
    assert line, dry.stdout
    assert f"--config={CONFIG}" in line[0].replace('"', "")
    assert f"--ServerApp.root_dir={ROOT}" in line[0].replace('"', "")
