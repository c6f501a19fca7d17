"""Every path the project uses, derived from one project root.

The root is the folder that holds ``pyproject.toml`` and ``data/``; it can be overridden with
the environment variable ``UNGA_BRIEF_ROOT`` (tests use this to work on a scratch copy).
The gathered sources live beside the project in ``../shared/data/sources`` unless
``UNGA_BRIEF_SOURCES`` names another folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


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
    """The project's folders and files, all below ``root``."""

    root: Path
    sources: Path

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
        return self.root / "data"

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
