"""Shared fixtures: a scratch copy of the tiny real-shaped project, and the shipped project."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from unga_brief.core.paths import Paths, copy_project

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MINI = TESTS / "fixtures" / "mini"
SHARED_SOURCES = ROOT.parent / "shared" / "data" / "sources"


def tree_digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder`` (to prove nothing was written)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def mini(tmp_path: Path) -> Paths:
    """A fresh copy of tests/fixtures/mini (sources + human-edited metadata), not yet curated."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    return Paths.default(root, root / "sources")


@pytest.fixture
def mini_curated(mini: Paths) -> Paths:
    from unga_brief.data.curate import run_curate

    run_curate(mini)
    return mini


@pytest.fixture(scope="session")
def shipped() -> Paths:
    """The project's own committed data/ (read-only use)."""
    return Paths.default(ROOT, SHARED_SOURCES)


def _fixture_rows(rel: str) -> list[dict]:
    import csv

    with open(MINI / "sources" / rel, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


#: A/RES/ES-11/7 in the mini fixture, read from its own files (tests derive their expected
#: numbers from these instead of typing the record's figures).
ES11_7 = next(r for r in _fixture_rows("record/totals.csv") if r["symbol"] == "A/RES/ES-11/7")
ES11_7_TALLY = ",".join(ES11_7[k] for k in ("yes", "no", "abstain", "non_voting"))
YES, NO, ABSTAIN, NONV = (int(ES11_7[k]) for k in ("yes", "no", "abstain", "non_voting"))
#: The state whose row the tests drop or edit, and its vote in the record (a Yes).
EDITED = "FRA"
assert (
    next(
        r["vote"]
        for r in _fixture_rows("record/votes.csv")
        if r["symbol"] == "A/RES/ES-11/7" and r["iso3"] == EDITED
    )
    == "Y"
)
DROPPED_MESSAGE = f"A/RES/ES-11/7: rows give {YES - 1} Yes, official {YES} (missing: 1 country)"


needs_shared = pytest.mark.skipif(
    not SHARED_SOURCES.is_dir(), reason="../shared/data/sources not present (a user's clone)"
)


@pytest.fixture
def project(tmp_path) -> Paths:
    """A scratch copy of the project (data, notebooks, params) with a 'previous' report."""
    root = copy_project(ROOT, tmp_path / "proj")
    for d, name in (("report", "briefing.html"), ("figures", "old.svg")):
        (root / d).mkdir()
        (root / d / name).write_text("previous good output\n")
    return Paths.default(root, ROOT.parent / "shared" / "data" / "sources")
