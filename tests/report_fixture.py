"""One real report build per test session, shared by the browser and PDF tests.

Loaded as a plugin (``pytest_plugins = ["report_fixture"]``) by ``test_browser.py`` and
``test_pdf.py``, so the session fixture :func:`built_report` has a single definition and the
report is built at most once per session however many of those modules run. Under pytest-xdist
(`make test` runs on every core) a session fixture is set up once per worker, so the workers share
one build: the first to need it builds it under the run's common temporary folder, holding a file
lock; the others wait on that lock and reuse it.

The build runs the real pipeline (``unga_brief.pipeline.run``, forced) on a scratch copy of the
project: ``data/``, ``notebooks/``, ``params.yaml`` and a ``pyproject.toml`` marker copied into a
temporary root, so the tests never touch the working tree's ``report/``, ``figures/`` or
``build/``.

``UNGA_BRIEF_TEST_REPORT=/some/project/root`` makes the fixture use the outputs already under
that root (``report/``, ``figures/``, its ``params.yaml``) instead of building: handy to look
at a failure again without rebuilding, or to point the tests at a deliberately broken report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from unga_brief.core.paths import Paths, copy_project
from unga_brief.report.render import find_chromium

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SHARED_SOURCES = ROOT.parent / "shared" / "data" / "sources"

REUSE_ENV = "UNGA_BRIEF_TEST_REPORT"
NO_CHROMIUM = (
    "no Chromium executable (PATH: chromium, chromium-browser, google-chrome; or "
    "UNGA_BRIEF_CHROMIUM): the report cannot be printed or opened (Debian: apt-get install "
    "chromium)"
)


@dataclass(frozen=True)
class BuiltReport:
    """Where a scratch build put its outputs, and what it was built from."""

    paths: Paths
    manifest: dict
    params: dict

    @property
    def html(self) -> Path:
        return self.paths.report / "briefing.html"

    @property
    def pdf(self) -> Path:
        return self.paths.report / "briefing.pdf"

    @property
    def notebook_pages(self) -> list[Path]:
        return sorted((self.paths.report / "notebooks").glob("*.html"))

    @property
    def figures(self) -> Path:
        return self.paths.figures


def scratch_copy(dest: Path) -> Paths:
    """A copy of the project's inputs (data, notebooks, docs, params) under ``dest``; no outputs."""
    return Paths.default(copy_project(ROOT, dest), SHARED_SOURCES)


def build_report(dest: Path) -> BuiltReport:
    """Copy the project to ``dest`` and run the whole pipeline there (HTML and PDF)."""
    from unga_brief.pipeline import run

    paths = scratch_copy(dest)
    params = yaml.safe_load(paths.params_yaml.read_text(encoding="utf-8"))
    manifest = run(paths, force=True, progress=lambda _msg: None)
    return BuiltReport(paths=paths, manifest=manifest, params=params)


@pytest.fixture(scope="session")
def built_report(tmp_path_factory: pytest.TempPathFactory) -> BuiltReport:
    """The report built once from the shipped data (skips when no Chromium exists)."""
    if find_chromium() is None:
        pytest.skip(NO_CHROMIUM)
    reuse = os.environ.get(REUSE_ENV)
    if reuse:
        paths = Paths.default(reuse, SHARED_SOURCES)
        params = yaml.safe_load(paths.params_yaml.read_text(encoding="utf-8"))
        manifest_file = paths.report / "manifest.json"
        manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
        return BuiltReport(paths=paths, manifest=manifest, params=params)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build_report(tmp_path_factory.mktemp("report-build") / "proj")
    return _shared_build(tmp_path_factory.getbasetemp().parent / "report-build")


def _shared_build(folder: Path) -> BuiltReport:
    """One build for every pytest-xdist worker of this run (``folder`` is under the run's
    temporary root, which the workers share): built by the first worker, under a lock."""
    import fcntl
    import pickle
    import shutil

    folder.mkdir(exist_ok=True)
    done = folder / "built.pickle"
    with open(folder / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if done.is_file():
            return pickle.loads(done.read_bytes())
        shutil.rmtree(folder / "proj", ignore_errors=True)  # a build that failed in another worker
        built = build_report(folder / "proj")
        done.write_bytes(pickle.dumps(built))
        return built
