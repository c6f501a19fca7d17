"""Every path the project uses, derived from one project root.

The root is the folder that holds ``pyproject.toml`` and ``data/``; it can be overridden with
the environment variable ``UNGA_BRIEF_ROOT`` (tests use this to work on a scratch copy).
The gathered sources live beside the project in ``../shared/data/sources`` unless
``UNGA_BRIEF_SOURCES`` names another folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: What a run reads from the project root (the rest is the installed package).
PROJECT_INPUTS = ("data", "notebooks", "docs", "params.yaml")


def _find_root() -> Path:
    env = os.environ.get("UNGA_BRIEF_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists() and (parent / "data").is_dir():
            return parent
    return Path.cwd().resolve()


@dataclass(frozen=True)
class Paths:
    """The project's folders and files, all below ``root``.

    ``data_dir`` (default ``root/data``) points ``data`` and everything below it elsewhere:
    :func:`unga_brief.core.transaction.staged_data` uses it to build a new ``data/`` in a staging
    folder that is swapped in only when complete."""

    root: Path
    sources: Path
    data_dir: Path | None = None

    @classmethod
    def default(cls, root: Path | str | None = None, sources: Path | str | None = None) -> Paths:
        r = Path(root).resolve() if root else _find_root()
        s = (
            sources
            or os.environ.get("UNGA_BRIEF_SOURCES")
            or (r.parent / "shared" / "data" / "sources")
        )
        return cls(root=r, sources=Path(s).resolve())

    # --- data/ -----------------------------------------------------------------------------
    @property
    def data(self) -> Path:
        return self.data_dir if self.data_dir is not None else self.root / "data"

    @property
    def catalog_dir(self) -> Path:
        return self.data / "catalog"

    @property
    def texts_yml(self) -> Path:
        """Human-edited text metadata (slug, topic, series, symbol, labels, notes)."""
        return self.catalog_dir / "texts.yml"

    @property
    def curation_yml(self) -> Path:
        """Human-edited curation rules: input files and their rank, display names, map tiles."""
        return self.data / "curation.yml"

    @property
    def catalog_csv(self) -> Path:
        """Generated full catalogue: metadata + official totals + coverage."""
        return self.catalog_dir / "catalog.csv"

    @property
    def votes_dir(self) -> Path:
        return self.data / "votes"

    @property
    def reference_dir(self) -> Path:
        return self.data / "reference"

    @property
    def conflicts_csv(self) -> Path:
        return self.data / "conflicts.csv"

    @property
    def sources_yml(self) -> Path:
        return self.data / "sources.yml"

    @property
    def raw_dir(self) -> Path:
        return self.data / "raw"

    @property
    def changes_dir(self) -> Path:
        return self.data / "changes"

    # --- outputs -----------------------------------------------------------------------------
    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def report(self) -> Path:
        return self.root / "report"

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def params_yaml(self) -> Path:
        return self.root / "params.yaml"


def copy_project(src_root: Path | str, dest: Path | str, *, extra: tuple[str, ...] = ()) -> Path:
    """Copy a project's inputs (``PROJECT_INPUTS`` plus ``extra``, e.g. ``"src"``) to ``dest``,
    without outputs or caches, and mark ``dest`` as a project root. For tests and benchmarks
    that run the pipeline elsewhere."""
    src_root, dest = Path(src_root), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.egg-info")
    for name in PROJECT_INPUTS + tuple(extra):
        src = src_root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)
    (dest / "pyproject.toml").write_text("# project-root marker for unga_brief.core.paths\n")
    return dest


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half:
    a temporary file beside it, flushed to disk, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
