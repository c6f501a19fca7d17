"""The scheduled job after its first new records, as an operator runs it (issue 14, done-when).

In a temporary git clone of this repository: two real UN Digital Library records are dropped
into the inbox and brought in by the recommended wrapper (``bin/regenerate``, what cron calls);
then the attribution dates, the change log, ``unga-brief diff`` against git, every exit code
through the wrapper (0, 2, 3, 4, 5, 6), and finally the test suite's data checks run on that
clone. Slow: it runs the notebooks once (HTML only) and a pytest session inside the clone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SHARED_SOURCES
from test_fetch import closed_port
from undl_builders import marc_record

from unga_brief.core.lock import project_lock
from unga_brief.core.paths import Paths

pytestmark = pytest.mark.slow

SAMPLES = ROOT / "tests" / "fixtures" / "undl"
BIN = Path(sys.executable).parent
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4} ")
#: The day the first record was downloaded, as its sidecar states (the test's own choice).
STATED = "2025-10-01"


def _git(*args, cwd) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    base = tmp_path_factory.mktemp("operator")
    if SHARED_SOURCES.is_dir():  # the clone sits beside the same ../shared as this checkout
        (base / "shared").symlink_to(SHARED_SOURCES.parent.parent)
    dest = base / "unga-brief"
    head = _git("rev-parse", "HEAD", cwd=ROOT).strip()
    _git("clone", "--quiet", "--no-checkout", str(ROOT), str(dest), cwd=base)
    _git("checkout", "--quiet", head, cwd=dest)
    for name in ("user.email", "user.name"):
        _git("config", name, "test@example.org", cwd=dest)
    return dest


def regenerate(clone: Path, *args: str, env: dict | None = None) -> tuple[int, list[str]]:
    """bin/regenerate as cron runs it: no terminal, a bare environment, stdin closed."""
    e = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "UNGA_BRIEF_CMD": str(BIN / "unga-brief"),
        **(env or {}),
    }
    p = subprocess.run(
        [str(clone / "bin" / "regenerate"), *args],
        cwd=clone,
        env=e,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.stderr == "", "everything goes to one stream, stamped"
    lines = p.stdout.splitlines()
    assert lines and all(STAMP.match(line) for line in lines), lines[:3]
    return p.returncode, [STAMP.sub("", line) for line in lines]


def _params(clone: Path, name: str, formats: list[str]) -> str:
    p = clone / name
    p.write_text(yaml.safe_dump({"formats": formats}))
    return str(p)


def test_an_operators_day(clone):
    paths = Paths.default(clone)
    inbox = clone / "inbox"
    inbox.mkdir()
    (clone / "refresh.yml").write_text("ingest:\n  - inbox/*.xml\n")
    assert _git("status", "--porcelain", cwd=clone) == "", "inbox/ and refresh.yml are ignored"
    html = _params(clone, "html.yaml", ["html"])
    pristine = clone.parent / "data-before"
    shutil.copytree(clone / "data", pristine)

    # --- 1. two records arrive; the scheduled run ingests them and publishes (exit 0) --------
    shutil.copy(SAMPLES / "record_4083529.xml", inbox)
    (inbox / "record_4083529.xml.source.yml").write_text(f"retrieved_on: {STATED}\n")
    shutil.copy(SAMPLES / "record_4088074.xml", inbox)
    code, log = regenerate(clone, "--params", html)
    assert code == 0, log[-5:]
    assert log[0].startswith("regenerate: start") and log[-1] == "regenerate: exit 0"
    outcomes = [line for line in log if re.match(r"refresh: record_\d+\.xml: ", line)]
    assert [o.split(": ")[2].split(" (")[0] for o in outcomes] == ["ingested", "ingested"]
    assert not any("IPKernelApp" in line or "KeyboardInterrupt" in line for line in log)

    # attribution: each file its own date; none says today for a file fetched elsewhere
    metas = {
        m.name.split("-")[0]: yaml.safe_load(m.read_text())
        for m in paths.raw_dir.glob("*.meta.yml")
    }
    assert metas["record_4083529"]["retrieved_at"] == STATED
    assert metas["record_4088074"]["retrieved_at"] is None
    page = (clone / "report" / "briefing.html").read_text(encoding="utf-8")
    assert f"downloaded on {STATED}" in page and "downloaded on a date not stated" in page
    assert "No UN Digital Library file has been ingested" not in page

    # the change log and diff agree with git
    changed = _git("status", "--porcelain", "data/", cwd=clone)
    assert "data/raw/" in changed and "data/changes/" in changed
    notes = sorted(paths.changes_dir.glob("*-ingest.md"))
    assert len(notes) == 1
    note = notes[0].read_text(encoding="utf-8")
    for m in metas.values():
        assert f"input added: data/raw/{m['file']}" in note
    diff = subprocess.run(
        [str(BIN / "unga-brief"), "diff", str(pristine), str(clone / "data")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert diff.strip() != "no change" and "input added: data/raw/record_4083529-" in diff
    _git("add", "data", cwd=clone)
    _git("commit", "--quiet", "-m", "ingest two records", cwd=clone)

    # --- 2. next week, the same inbox: already ingested, nothing re-run (exit 0) -------------
    code, log = regenerate(clone, "--params", html)
    assert code == 0
    assert sum("already ingested" in line for line in log) == 2
    assert any("nothing changed since the last run" in line for line in log)
    assert _git("status", "--porcelain", "data/", cwd=clone) == "", "nothing changed, as git says"

    # --- 3. a record of a text outside the catalogue: exit 6, one line, nothing stored ------
    (inbox / "new_text.xml").write_bytes(
        marc_record("9990001", "A/RES/99/999", "2026-01-01", "t", {"FRA": "Y"})
    )
    code, log = regenerate(clone, "--params", html)
    assert code == 6
    assert any(line.startswith("refresh: new_text.xml: matched no text") for line in log)
    assert log[-2].startswith("unga-brief: nothing to ingest from new_text.xml")
    (inbox / "new_text.xml").unlink()

    # --- 4. a broken file: exit 2 ------------------------------------------------------------
    (inbox / "broken.xml").write_bytes(b"<collection><record>")
    code, log = regenerate(clone, "--params", html)
    assert code == 2 and "malformed XML" in log[-2]
    (inbox / "broken.xml").unlink()

    # --- 5. someone's run holds the lock: exit 5 ----------------------------------------------
    with project_lock(paths, "run"):
        code, log = regenerate(clone, "--params", html)
    assert code == 5 and "holds" in log[-2]

    # --- 6. the network is down (a fetch: section): exit 3 ------------------------------------
    (clone / "refresh.yml").write_text(
        f"fetch:\n  records: [4083529]\n  base_url: http://127.0.0.1:{closed_port()}\n"
    )
    code, log = regenerate(clone, "--params", html)
    assert code == 3 and log[-2].startswith("unga-brief: network:")
    (clone / "refresh.yml").write_text("ingest:\n  - inbox/*.xml\n")

    # --- 7. no Chromium for the PDF: exit 4 ------------------------------------------------------
    pdf = _params(clone, "pdf.yaml", ["html", "pdf"])
    code, log = regenerate(clone, "--params", pdf, env={"UNGA_BRIEF_CHROMIUM": "/nonexistent"})
    assert code == 4 and "Chromium" in log[-2]
    assert _git("status", "--porcelain", "data/", cwd=clone) == "", "no failure touched data/"

    # --- 8. the test suite's data checks pass on the clone after its ingests -----------------
    # nothing of this session leaks into the clone's: no UNGA_BRIEF_* setting, and no PYTEST_*
    # variable (PYTEST_ADDOPTS, or the PYTEST_XDIST_* of a `make test` worker)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UNGA_BRIEF_", "PYTEST_"))}
    checks = subprocess.run(
        [
            str(BIN / "pytest"),
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            "tests/test_curate.py",
            "tests/test_validate.py",
            "tests/test_measures.py",
            "tests/test_ingest.py",
            "tests/test_refresh.py",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert checks.returncode == 0, checks.stdout[-3000:]
    assert " passed" in checks.stdout.splitlines()[-1]
