"""Faults: concurrent writers, kills at each step of a write, a full disk, signals, broken
pipes, hostile error text. After each, the previous data/ and outputs are intact (or the new
ones complete), the next command works and says what it cleaned up, and the failure is one
line with its documented exit code."""

from __future__ import annotations

import csv
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import TESTS, tree_digest

from unga_brief.cli import failure_line, main
from unga_brief.core import transaction
from unga_brief.core.errors import DataError, LockedError, Terminated, one_line
from unga_brief.core.lock import project_lock
from unga_brief.core.paths import Paths

RECORD = TESTS / "fixtures" / "undl" / "record_4083529.xml"
SRC = Path(__file__).resolve().parents[1] / "src"


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    return env


def _cli(paths: Paths, *args: str, no_exchange: bool = False, **env: str):
    """`unga-brief --root R --sources S ARGS` in a subprocess (so that it can be killed).
    ``no_exchange``: as on a system without renameat2 (two renames instead)."""
    prelude = (
        "from unga_brief.core import transaction; transaction._renameat2 = None; " * no_exchange
    )
    code = f"import sys; {prelude}from unga_brief.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "--root", str(paths.root), "--sources", str(paths.sources)]
        + list(args),
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=300,
    )


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def _change_a_source(paths: Paths) -> None:
    """An edit of the human-edited catalogue that changes what curate writes (a short title)."""
    import yaml

    doc = yaml.safe_load(paths.texts_yml.read_text(encoding="utf-8"))
    doc["texts"][0]["short_title"] += " (edited)"
    paths.texts_yml.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


# --- one lock for every writing command ----------------------------------------------------------


def test_a_second_writer_in_another_process_exits_5_or_waits_for_the_lock(mini_curated):
    import psutil

    # The holder keeps the lock until told (a file appears), not for a fixed time: on a loaded
    # machine a second interpreter may take longer to start than any fixed hold.
    release = mini_curated.root.parent / "release"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; "
            "from unga_brief.core.lock import project_lock; "
            "from unga_brief.core.paths import Paths; "
            "p = Paths.default(sys.argv[1], sys.argv[1]); "
            "cm = project_lock(p, 'ingest'); cm.__enter__(); print('held', flush=True); "
            "t = time.monotonic()\n"
            "while not Path(sys.argv[2]).exists() and time.monotonic() - t < 300: time.sleep(0.05)",
            str(mini_curated.root),
            str(release),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        before = tree_digest(mini_curated.data)
        r = _cli(mini_curated, "curate")
        assert r.returncode == 5
        line = _last_line(r.stderr)
        assert line.startswith("unga-brief: another unga-brief run holds ")
        assert f"(unga-brief ingest, pid {holder.pid}, since " in line
        assert tree_digest(mini_curated.data) == before
        t = time.monotonic()
        code = "import sys; from unga_brief.cli import main; sys.exit(main(sys.argv[1:]))"
        waiter = subprocess.Popen(
            [sys.executable, "-c", code, "--root", str(mini_curated.root)]
            + ["--sources", str(mini_curated.sources), "--wait", "60", "curate"],
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        lock = str((mini_curated.root / ".unga-brief.lock").resolve())
        while waiter.poll() is None and lock not in {
            f.path for f in psutil.Process(waiter.pid).open_files()
        }:
            time.sleep(0.05)
        assert waiter.poll() is None, waiter.stderr.read()  # waiting on the lock, still held
        release.touch()
        _out, err = waiter.communicate(timeout=120)
        assert waiter.returncode == 0, err
        assert time.monotonic() - t < 60
    finally:
        holder.kill()
        holder.wait()


def test_lock_wait_is_bounded(mini_curated):
    with project_lock(mini_curated, "run"):
        t = time.monotonic()
        with pytest.raises(LockedError, match=r"after waiting 0\.6 s; try again when it ends"):
            with project_lock(mini_curated, "curate", wait=0.6):
                pass
        assert 0.5 < time.monotonic() - t < 5


def test_the_lock_of_a_killed_holder_is_free(mini_curated):
    r = _cli(mini_curated, "curate", UNGA_BRIEF_STOP_AT="data-staged")
    assert r.returncode == -signal.SIGKILL
    with project_lock(mini_curated, "run"):  # acquired at once
        pass


# --- data/: staged and swapped in one step ----------------------------------------------------------


@pytest.mark.parametrize(
    "point, no_exchange, outcome",
    [
        ("data-staged", False, "previous"),
        ("data-swapped", False, "new"),
        ("data-staged", True, "previous"),
        ("data-between-renames", True, "missing"),
        ("data-swapped", True, "new"),
    ],
    ids=[
        "exchange: staged",
        "exchange: swapped",
        "renames: staged",
        "renames: between",
        "renames: swapped",
    ],
)
def test_curate_killed_at_each_step_leaves_one_whole_data_state(
    mini_curated, point, no_exchange, outcome
):
    _change_a_source(mini_curated)
    previous = tree_digest(mini_curated.data)
    r = _cli(mini_curated, "curate", no_exchange=no_exchange, UNGA_BRIEF_STOP_AT=point)
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert list(mini_curated.root.glob(".data-staging-*")), "killed before its cleanup"
    if outcome == "previous":
        assert tree_digest(mini_curated.data) == previous
    elif outcome == "missing":
        assert not mini_curated.data.exists()  # the state recover() must repair
    else:
        assert tree_digest(mini_curated.data) != previous
    # The next command restores or removes what the dead one left, says so, and works.
    r = _cli(mini_curated, "curate")
    assert r.returncode == 0, r.stderr
    assert "recovered: " in r.stderr and ".data-staging-" in r.stderr
    if point == "data-between-renames":
        assert "recovered: restored data/ from .data-staging-" in r.stderr
    assert not list(mini_curated.root.glob(".data-staging-*"))
    assert tree_digest(mini_curated.data) != previous
    r = _cli(mini_curated, "validate")
    assert r.returncode == 0, r.stderr


def test_ingest_killed_before_the_swap_loses_nothing_and_ingests_again(mini_curated):
    previous = tree_digest(mini_curated.data)
    r = _cli(mini_curated, "ingest", str(RECORD), UNGA_BRIEF_STOP_AT="data-staged")
    assert r.returncode == -signal.SIGKILL
    assert tree_digest(mini_curated.data) == previous, "no raw file, no catalogue change"
    r = _cli(mini_curated, "ingest", str(RECORD))
    assert r.returncode == 0, r.stderr
    assert "already ingested" not in r.stdout and "stored data/raw/record_4083529" in r.stdout
    assert "recovered: removed .data-staging-" in r.stderr
    assert len(list(mini_curated.raw_dir.glob("record_4083529-*.xml"))) == 1


def test_full_disk_during_curate_exit_4_naming_the_file_and_data_untouched(
    mini_curated, monkeypatch, capsys
):
    from unga_brief.core import paths
    from unga_brief.data import curate

    _change_a_source(mini_curated)  # catalog.csv changes ...
    (mini_curated.votes_dir / "ga.csv").unlink()  # ... and votes/ga.csv is written after it
    previous = tree_digest(mini_curated.data)
    written = []
    real = paths.write_atomic

    def filling_disk(path, data):
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(real(path, data))
        return written[-1]

    monkeypatch.setattr(curate, "write_atomic", filling_disk)
    root = str(mini_curated.root)
    code = main(["--root", root, "--sources", str(mini_curated.sources), "curate"])
    line = _last_line(capsys.readouterr().err)
    assert code == 4 and written
    assert line.startswith(f"unga-brief: cannot write {mini_curated.data}/")
    assert line.endswith(": No space left on device") and ".data-staging-" not in line
    assert tree_digest(mini_curated.data) == previous
    assert not list(mini_curated.root.glob(".data-staging-*"))
    monkeypatch.undo()
    assert main(["--root", root, "--sources", str(mini_curated.sources), "curate"]) == 0


def test_a_data_error_inside_the_staged_copy_names_the_live_file(mini_curated):
    live = mini_curated.data
    with pytest.raises(DataError) as info:
        with transaction.staged_data(mini_curated) as staged:
            raise DataError(f"{staged.catalog_csv}: wrong header")
    assert str(info.value) == f"{live}/catalog/catalog.csv: wrong header"


# --- the run's outputs: published together --------------------------------------------------------

PUBLISH = """
import sys
from unga_brief.core import transaction
from unga_brief.core.paths import Paths
if sys.argv[2] == "rename":
    transaction._renameat2 = None
p = Paths.default(sys.argv[1], sys.argv[1])
s = p.build / "staging-test"
transaction.publish(p, [(s / "report", p.report), (s / "figures", p.figures),
                        (s / "executed", p.build / "executed")])
"""


def _outputs(tmp_path: Path) -> Paths:
    """A project with a previous report/ and figures/ (no build/executed yet) and a complete
    new set in build/staging-test/."""
    paths = Paths.default(tmp_path / "proj", tmp_path / "proj")
    for folder, files in (
        (paths.report, {"briefing.html": "old briefing", "tables/t.csv": "old,table"}),
        (paths.figures, {"f.svg": "<svg>old</svg>"}),
        (paths.build / "staging-test" / "report", {"briefing.html": "new briefing"}),
        (paths.build / "staging-test" / "figures", {"f.svg": "<svg>new</svg>", "g.svg": "new"}),
        (paths.build / "staging-test" / "executed", {"04_briefing.ipynb": "{}"}),
    ):
        for rel, text in files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(text)
    return paths


def _state(paths: Paths):
    return (
        tree_digest(paths.report),
        tree_digest(paths.figures),
        (paths.build / "executed").exists(),
    )


@pytest.mark.parametrize(
    "mode, point",
    [
        (mode, point)
        for mode in ("exchange", "rename")
        for point in (
            "publish-journal",
            "publish-report-between-renames",
            "publish-report",
            "publish-figures-between-renames",
            "publish-figures",
            "publish-executed",
            "publish-committed",
        )
        if mode == "rename" or "between-renames" not in point
    ],
)
def test_publish_killed_at_each_step_rolls_back_or_stands_whole(tmp_path, mode, point):
    paths = _outputs(tmp_path)
    previous = _state(paths)
    new = (
        tree_digest(paths.build / "staging-test" / "report"),
        tree_digest(paths.build / "staging-test" / "figures"),
        True,
    )
    r = subprocess.run(
        [sys.executable, "-c", PUBLISH, str(paths.root), mode],
        env=_env(UNGA_BRIEF_STOP_AT=point),
        capture_output=True,
        text=True,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr
    done = transaction.recover(paths)
    if point == "publish-committed":
        assert _state(paths) == new
        assert not any("rolled back" in d for d in done)
    else:
        assert _state(paths) == previous
        assert done[0].startswith("an interrupted publish was rolled back")
    assert any(d.startswith("removed build/staging-test/") for d in done)
    assert sorted(p.name for p in paths.build.iterdir()) == (
        ["executed"] if point == "publish-committed" else []
    )
    assert transaction.recover(paths) == [], "nothing left to do the second time"


def test_publish_that_fails_half_way_puts_the_previous_outputs_back(tmp_path, monkeypatch):
    paths = _outputs(tmp_path)
    previous = _state(paths)
    calls = []
    real = transaction.exchange

    def exchange_then_fail(a, b):
        calls.append(b)
        if len(calls) == 2:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(a))
        return real(a, b)

    monkeypatch.setattr(transaction, "exchange", exchange_then_fail)
    s = paths.build / "staging-test"
    with pytest.raises(OSError):
        transaction.publish(paths, [(s / "report", paths.report), (s / "figures", paths.figures)])
    assert _state(paths) == previous
    assert not transaction.journal_path(paths).exists()


def test_recover_removes_every_leftover_and_says_so(tmp_path):
    paths = Paths.default(tmp_path / "proj", tmp_path / "proj")
    (paths.data / "catalog").mkdir(parents=True)
    (paths.data / "catalog" / ".catalog.csv.k2j4h5g6.tmp").write_text("half")
    (paths.build / "staging-abc123" / "report").mkdir(parents=True)
    old_report = paths.root / ".report-old-x1y2"
    old_report.mkdir()
    (old_report / "briefing.html").write_text("the previous report")
    paths.figures.mkdir()
    (paths.root / ".figures-old-q").mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    tmp = Path(tempfile.gettempdir())
    dead_dir = Path(tempfile.mkdtemp(prefix=f"unga-brief-chromium-{dead.pid}-", dir=tmp))
    live_dir = Path(tempfile.mkdtemp(prefix=transaction.chromium_profile_prefix(), dir=tmp))
    try:
        done = transaction.recover(paths)
        assert not (paths.data / "catalog" / ".catalog.csv.k2j4h5g6.tmp").exists()
        assert not (paths.build / "staging-abc123").exists()
        assert (paths.report / "briefing.html").read_text() == "the previous report"
        assert not old_report.exists() and not (paths.root / ".figures-old-q").exists()
        assert not dead_dir.exists() and live_dir.exists(), "only a dead run's Chromium folder"
        assert "removed build/staging-abc123/ (outputs of an unfinished run)" in done
        assert "restored report/ from .report-old-x1y2" in done
        assert "removed .figures-old-q/" in done
        assert "removed temporary file data/catalog/.catalog.csv.k2j4h5g6.tmp" in done
        assert f"removed {dead_dir}/ (Chromium profile of a dead run)" in done
    finally:
        shutil.rmtree(dead_dir, ignore_errors=True)
        shutil.rmtree(live_dir, ignore_errors=True)


# --- signals ---------------------------------------------------------------------------------------

SIGTERM_PDF = """
import signal, sys
from unga_brief import cli
from unga_brief.report import render
signal.signal(signal.SIGTERM, cli._on_sigterm)
try:
    render.html_to_pdf(sys.argv[1], sys.argv[2], chromium=sys.argv[3], timeout=120)
except BaseException as e:
    code, line = cli.failure_line(e)
    print(line, file=sys.stderr)
    sys.exit(code)
"""


def test_sigterm_while_printing_stops_chromium_and_removes_its_folder(tmp_path):
    html = tmp_path / "b.html"
    html.write_text("<p>x</p>")
    started = tmp_path / "started"
    exe = tmp_path / "chromium"
    exe.write_text(f"#!/bin/sh\necho $$ > {started}\nexec sleep 300\n")
    exe.chmod(0o755)
    proc = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_PDF, str(html), str(tmp_path / "b.pdf"), str(exe)],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    deadline = time.monotonic() + 120  # the interpreter and the package start first: slow
    while not (started.exists() and started.read_text().strip()):  # on a loaded machine
        assert proc.poll() is None, f"exited {proc.returncode} before starting Chromium"
        assert time.monotonic() < deadline, "the fake Chromium never started"
        time.sleep(0.05)
    chromium_pid = int(started.read_text())
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err.strip().splitlines()[-1].startswith("terminated (SIGTERM)")
    with pytest.raises(ProcessLookupError):
        os.kill(chromium_pid, 0)
    tmp = Path(tempfile.gettempdir())
    assert not list(tmp.glob(f"unga-brief-chromium-{proc.pid}-*"))
    assert not list(tmp_path.glob("*.pdf*")) and not list(tmp_path.glob(".*tmp*"))


@pytest.mark.slow
def test_sigterm_during_the_notebooks_exits_143_and_leaves_nothing(project):
    import psutil

    html = project.root / "html.yaml"
    html.write_text("formats: [html]\n")
    before = tree_digest(project.report), tree_digest(project.figures)
    proc = subprocess.Popen(
        [sys.executable, "-m", "unga_brief.cli", "--root", str(project.root), "run"]
        + ["--params", str(html)],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    for line in proc.stderr:  # the analysis pass is over: the notebooks start in the kernels
        if line.startswith("[1/4] shared frames ready"):
            break
    kernels = psutil.Process(proc.pid).children(recursive=True)
    assert kernels, "no kernel started"
    time.sleep(0.3)  # inside the first notebooks (each takes about a second)
    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 143
    assert time.monotonic() - t < 30
    # One line, nothing else but the run's progress: not the Jupyter clients' reports of the
    # kernels they lose ("Kernel died while waiting for execute reply", tracebacks).
    said = [line for line in rest.splitlines() if line.strip() and not line.startswith("[")]
    assert said == ["unga-brief: terminated (SIGTERM): nothing published; staging folders removed"]
    assert (tree_digest(project.report), tree_digest(project.figures)) == before
    assert not list(project.build.glob("staging-*"))
    time.sleep(1)
    assert not [k for k in kernels if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]


# --- every failure: one short line and its code -------------------------------------------------------


def test_one_line_strips_control_and_bidi_characters_and_caps_the_length():
    assert (
        one_line("bad \x1b[31mred\x1b[0m\x00 \u202etxt.exe\n\tnext")
        == "bad [31mred[0m txt.exe next"
    )
    assert one_line("\x00" * 65536) == ""
    long = one_line("x" * 10_000)
    assert len(long) == 400 and long.endswith("…")


@pytest.mark.parametrize(
    "exc, code, start",
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "/p/report/x.csv"),
            4,
            "cannot write /p/report/x.csv: No space left",
        ),
        (
            OSError(errno.EROFS, "Read-only file system", "/p/a", None, "/p/b"),
            4,
            "cannot write /p/a -> /p/b: Read-only",
        ),
        (
            IsADirectoryError(errno.EISDIR, "Is a directory", "/p/params.yaml"),
            2,
            "cannot read /p/params.yaml: Is a directory",
        ),
        (
            OSError(errno.ELOOP, "Too many levels of symbolic links", "/p/loop"),
            2,
            "cannot read /p/loop: Too many",
        ),
        (
            UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
            2,
            "a file is not valid UTF-8 text",
        ),
        (csv.Error("field larger than field limit (131072)"), 2, "malformed CSV (field larger"),
        (BrokenPipeError(errno.EPIPE, "Broken pipe"), 141, "output closed early"),
        (Terminated(), 143, "terminated (SIGTERM)"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RuntimeError("boom"), 1, "unexpected error: RuntimeError: boom (a bug: run with -v"),
    ],
    ids=[
        "full disk",
        "read-only",
        "directory",
        "symlink loop",
        "not UTF-8",
        "csv",
        "pipe",
        "SIGTERM",
        "Ctrl-C",
        "bug",
    ],
)
def test_each_expected_failure_maps_to_its_code_and_line(exc, code, start):
    got_code, line = failure_line(exc)
    assert got_code == code and line.startswith(start)


def test_a_failure_inside_a_command_is_one_clean_line(mini_curated, monkeypatch, capsys):
    from unga_brief import cli

    def hostile(args, paths):
        raise DataError("bad symbol \x1b]0;pwned\x07A/RES/\u202e1\n" + "x" * 5000)

    monkeypatch.setattr(cli, "_cmd_validate", hostile)
    code = main(["--root", str(mini_curated.root), "validate"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("unga-brief: bad symbol ]0;pwnedA/RES/1 xxx") and len(err) <= 420
    assert "\x1b" not in err and "\u202e" not in err


def test_params_path_that_is_a_directory_exit_2_naming_it(project, capsys):
    code = main(["--root", str(project.root), "run", "--params", str(project.data)])
    line = _last_line(capsys.readouterr().err)
    assert code == 2 and line.startswith("unga-brief: ") and str(project.data) in line


def test_broken_pipe_exit_141_with_one_line(mini_curated):
    proc = subprocess.Popen(
        [sys.executable, "-m", "unga_brief.cli", "--root", str(mini_curated.root), "validate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    proc.stdout.close()  # the reader went away before the first line
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 141
    assert err.strip().splitlines() == ["unga-brief: output closed early (broken pipe)"]


@pytest.mark.slow
def test_run_killed_between_swaps_then_full_disk_then_a_good_run(project, monkeypatch, capsys):
    """The real pipeline: killed after report/ and figures/ were swapped but before
    build/executed; the next run rolls that back (saying so) and then meets a full disk after
    the notebooks (exit 4, the file named, notebooks kept); the run after that publishes."""
    from unga_brief.core import safe_output

    html = project.root / "html.yaml"
    html.write_text("formats: [html]\n")
    before = tree_digest(project.report), tree_digest(project.figures)
    r = _cli(project, "run", "--params", str(html), UNGA_BRIEF_STOP_AT="publish-figures")
    assert r.returncode == -signal.SIGKILL, r.stderr
    assert transaction.journal_path(project).exists()

    def full_disk(df, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(safe_output, "write_csv", full_disk)
    args = ["--root", str(project.root), "run", "--params", str(html)]
    assert main(args) == 4
    err = capsys.readouterr().err
    assert "recovered: an interrupted publish was rolled back (" in err
    line = _last_line(err)
    assert line.startswith(f"unga-brief: cannot write outputs: {project.build}/staging-")
    assert "/report/coverage.csv: No space left on device; executed notebooks kept in " in line
    assert (tree_digest(project.report), tree_digest(project.figures)) == before
    assert not list(project.build.glob("staging-*"))
    assert not transaction.journal_path(project).exists()
    monkeypatch.undo()
    assert main(args) == 0
    assert (project.report / "manifest.json").exists() and (project.build / "executed").is_dir()


def test_full_disk_while_copying_data_exit_4_and_nothing_left(mini_curated, monkeypatch, capsys):
    previous = tree_digest(mini_curated.data)
    real = shutil.copy2

    def full(src, dst, **kw):
        if str(dst).endswith("ga.csv"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real(src, dst, **kw)

    monkeypatch.setattr(transaction.shutil, "copy2", full)
    code = main(
        ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "curate"]
    )
    line = _last_line(capsys.readouterr().err)
    assert code == 4
    assert (
        line == f"unga-brief: cannot write {mini_curated.votes_dir}/ga.csv: No space left on device"
    )
    assert tree_digest(mini_curated.data) == previous
    assert not list(mini_curated.root.glob(".data-staging-*"))


def _paused(cmd: list[str], point: str) -> subprocess.Popen:
    """Start ``cmd`` with UNGA_BRIEF_PAUSE_AT=point and return once it waits there."""
    proc = subprocess.Popen(
        cmd, stderr=subprocess.PIPE, text=True, env=_env(UNGA_BRIEF_PAUSE_AT=point)
    )
    for line in proc.stderr:
        if line.strip() == f"paused at {point}":
            return proc
    raise AssertionError(f"never reached {point}: exit {proc.wait()}")


def test_sigterm_during_curate_exits_143_and_leaves_data_and_no_staging(mini_curated):
    _change_a_source(mini_curated)
    previous = tree_digest(mini_curated.data)
    proc = _paused(
        [sys.executable, "-m", "unga_brief.cli", "--root", str(mini_curated.root)]
        + ["--sources", str(mini_curated.sources), "curate"],
        "data-staged",
    )
    assert list(mini_curated.root.glob(".data-staging-*"))
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 143
    assert rest.strip().splitlines() == [
        "unga-brief: terminated (SIGTERM): nothing published; staging folders removed"
    ]
    assert tree_digest(mini_curated.data) == previous
    assert not list(mini_curated.root.glob(".data-staging-*"))


def test_sigterm_half_way_through_publishing_puts_the_previous_outputs_back(tmp_path):
    paths = _outputs(tmp_path)
    previous = _state(paths)
    script = "import signal; from unga_brief import cli; "
    script += "signal.signal(signal.SIGTERM, cli._on_sigterm)\n" + PUBLISH
    proc = _paused([sys.executable, "-c", script, str(paths.root), "exchange"], "publish-report")
    assert (paths.report / "briefing.html").read_text() == "new briefing"
    proc.send_signal(signal.SIGTERM)
    proc.stderr.read()
    assert proc.wait(timeout=30) != 0
    assert _state(paths) == previous
    assert not transaction.journal_path(paths).exists()


@pytest.fixture
def small_disk(tmp_path):
    """A 24 MiB tmpfs (needs root and permission to mount; skipped otherwise)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(disk: Path, leave: int) -> Path:
    """Fill ``disk`` until only ``leave`` bytes are free."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free - leave
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, free))
    return filler


def test_a_really_full_disk_during_curate_exit_4_and_data_intact(small_disk, mini_curated):
    paths = Paths.default(small_disk / "mini", small_disk / "mini" / "sources")
    shutil.copytree(mini_curated.root, paths.root)
    _change_a_source(paths)
    previous = tree_digest(paths.data)
    data_size = sum(p.stat().st_size for p in paths.data.rglob("*") if p.is_file())
    filler = _fill(small_disk, data_size // 2)  # not even room for the staged copy
    r = _cli(paths, "curate")
    assert r.returncode == 4, r.stderr
    line = _last_line(r.stderr)
    assert line.startswith(f"unga-brief: cannot write {paths.data}/")
    assert line.endswith(": No space left on device")
    assert tree_digest(paths.data) == previous
    assert not list(paths.root.glob(".data-staging-*"))
    filler.unlink()
    r = _cli(paths, "curate")
    assert r.returncode == 0, r.stderr
    assert tree_digest(paths.data) != previous


@pytest.mark.slow
def test_a_really_full_disk_during_a_run_exit_4_and_the_report_intact(small_disk, project):
    from unga_brief.core.paths import copy_project

    root = copy_project(project.root, small_disk / "proj")
    for d in ("report", "figures"):
        shutil.copytree(project.root / d, root / d)
    paths = Paths.default(root, project.sources)
    (root / "html.yaml").write_text("formats: [html]\n")
    before = tree_digest(paths.report), tree_digest(paths.figures)
    filler = _fill(small_disk, 200_000)
    r = _cli(paths, "run", "--params", str(root / "html.yaml"))
    assert r.returncode == 4, r.stderr
    line = _last_line(r.stderr)
    assert line.startswith("unga-brief: ") and "No space left on device" in line, line
    assert len(r.stderr.strip().splitlines()[-1]) <= 420
    assert (tree_digest(paths.report), tree_digest(paths.figures)) == before
    assert not list(paths.build.glob("staging-*"))
    filler.unlink()
    r = _cli(paths, "run", "--params", str(root / "html.yaml"))
    assert r.returncode == 0, r.stderr
    assert tree_digest(paths.report) != before[0]


def test_a_read_only_project_exit_4_naming_the_file(small_disk, mini_curated):
    paths = Paths.default(small_disk / "mini", small_disk / "mini" / "sources")
    shutil.copytree(mini_curated.root, paths.root)
    previous = tree_digest(paths.data)
    r = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("cannot remount read-only here")
    for args in (["curate"], ["ingest", str(RECORD)], ["fetch", "--record", "4083529"]):
        r = _cli(paths, *args)
        assert r.returncode == 4, r.stderr
        assert r.stderr.strip().splitlines() == [
            f"unga-brief: cannot write {paths.root}/.unga-brief.lock: Read-only file system"
        ]
    assert tree_digest(paths.data) == previous


EXIT_NOW = """
import atexit, concurrent.futures, sys, threading, time
from unga_brief.cli import exit_now
atexit.register(lambda: open(sys.argv[1], "w").write("atexit ran"))
worker = threading.Thread(target=lambda: (time.sleep(0.5), open(sys.argv[2], "w").write("joined")))
worker.start()
pool = concurrent.futures.ThreadPoolExecutor(1)  # never shut down: its idle worker must end
pool.submit(print, end="").result()
class TornDown:  # written only if the interpreter tears its objects down (sys.exit would)
    def __del__(self, open=open, path=sys.argv[1] + "-teardown"):
        open(path, "w").write("torn down")
kept = TornDown()
print("buffered output", end="")
exit_now(int(sys.argv[3]))
"""


def test_the_command_ends_as_an_exit_would_without_the_interpreters_teardown(tmp_path):
    """``unga-brief`` ends through :func:`unga_brief.cli.exit_now`: its exit code, its buffered
    output, the atexit functions and the threads still running all come through."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered
    args = [sys.executable, "-c", EXIT_NOW, str(tmp_path / "atexit"), str(tmp_path / "thread")]
    done = subprocess.run([*args, "3"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 3
    assert done.stdout == "buffered output"
    assert (tmp_path / "atexit").read_text() == "atexit ran"
    assert (tmp_path / "thread").read_text() == "joined"
    assert done.stderr == ""
    assert not (tmp_path / "atexit-teardown").exists()  # no teardown: what sys.exit would do


def test_output_that_cannot_be_written_fails_the_command(tmp_path):
    """A full disk under stdout: exit 4 and one line (Python's own exit says 120), not 0; a
    command that had failed keeps its code. A closed pipe: 141."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    args = [sys.executable, "-c", EXIT_NOW, str(tmp_path / "atexit"), str(tmp_path / "thread")]
    for code, expected in (("0", 4), ("2", 2)):
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [*args, code], stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=60
            )
        assert done.returncode == expected
        said = done.stderr.strip().splitlines()
        assert said == (
            ["unga-brief: cannot write standard output: No space left on device"]
            if expected == 4
            else []
        )
    proc = subprocess.Popen([*args, "0"], stdout=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the output is flushed
    assert proc.wait(timeout=60) == 141
