"""JupyterLab as analysts use it: saving a tracked notebook never dirties it.

An analyst opens ``notebooks/*.ipynb`` in JupyterLab (``make lab``), changes a parameter, runs,
saves. Saved as is, the notebook would carry outputs, execution counts and the edited
``parameters`` cell into git, and ``make test`` would fail until ``git checkout notebooks/``.

:func:`pre_save_hook` — set as ``ContentsManager.pre_save_hook`` by the project's
``jupyter_server_config.py``, which ``make lab`` passes to JupyterLab — rewrites what is written
to disk for a notebook directly under the project's ``notebooks/`` folder:

* outputs, execution counts and volatile metadata are stripped exactly as ``nbstripout`` (the
  pre-commit hook and ``make check-notebooks``) strips them;
* the ``parameters`` cell is put back to the one generated from ``params.yaml``
  (:func:`unga_brief.report.params.parameters_cell_source`): a what-if value lives in the open session,
  and a new default goes into ``params.yaml``.

Code and markdown edits are saved. The open notebook keeps its outputs and edited parameters
until it is reloaded. Any other notebook (a copy under ``build/``, a scratch notebook) is saved
untouched, outputs and all.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from unga_brief.core.paths import Paths
from unga_brief.report.params import parameters_cell_source

#: Metadata nbstripout drops by default (its ``extra_keys``), kept identical so that a notebook
#: saved through the hook passes ``nbstripout --verify``.
NBSTRIPOUT_KEYS = (
    "metadata.signature",
    "metadata.widgets",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
)
PARAMETERS_TAG = "parameters"


def project_of(notebook: Path) -> Path | None:
    """The project root when ``notebook`` is one of its tracked notebooks (``<root>/notebooks/
    *.ipynb`` beside a ``params.yaml``), else None."""
    folder = notebook.resolve().parent
    if folder.name == "notebooks" and (folder.parent / "params.yaml").is_file():
        return folder.parent
    return None


def clean_for_commit(nb: nbformat.NotebookNode, parameters: str) -> nbformat.NotebookNode:
    """``nb`` as it may be committed: stripped as nbstripout does, its parameters cell(s) set to
    ``parameters``. Changes ``nb`` in place and returns it."""
    from nbstripout._utils import strip_output  # dev tool: present wherever `make lab` runs

    strip_output(
        nb, keep_output=False, keep_count=False, keep_id=False, extra_keys=list(NBSTRIPOUT_KEYS)
    )
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            cell.source = parameters.rstrip("\n")
    return nb


def pre_save_hook(model: dict, path: str, contents_manager=None, **_kwargs) -> None:
    """Jupyter's ``ContentsManager.pre_save_hook``: clean a tracked notebook before it is written
    (``model["content"]`` is replaced); leave every other file alone."""
    if model.get("type") != "notebook" or not model.get("content"):
        return
    root_dir = Path(getattr(contents_manager, "root_dir", "") or ".")
    root = project_of(root_dir / path.lstrip("/"))
    if root is None:
        return
    nb = nbformat.from_dict(model["content"])
    clean_for_commit(nb, parameters_cell_source(Paths.default(root)))
    model["content"] = nb
