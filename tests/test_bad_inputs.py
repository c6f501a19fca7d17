"""Bad inputs, in one place: each is refused with its exit code and one line naming the problem,
and neither data/ nor the published outputs change (DESIGN §6)."""

from __future__ import annotations

import os

import nbformat
import pytest
from conftest import ABSTAIN, DROPPED_MESSAGE, ES11_7_TALLY, NO, NONV, YES, tree_digest

from unga_brief.cli import main


def _untouched(paths):
    return tree_digest(paths.data), tree_digest(paths.report), tree_digest(paths.figures)


def _run_cli(args, capsys):
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    return code, (err[-1] if err else "")


@pytest.mark.parametrize(
    "params, message",
    [
        (
            "focus_countries: USA\n",
            "unga-brief: parameter focus_countries: expected a list of strings, got 'USA'",
        ),
        (
            "ukraine_texts: [ga-es11-01, ga-es11-99]\n",
            "unga-brief: parameter ukraine_texts: unknown text id(s) ga-es11-99 (see data/catalog/catalog.csv)",
        ),
        (
            "focus_countries: [USA, ZZZ]\n",
            "unga-brief: parameter focus_countries: unknown country code(s) ZZZ (ISO3 of a Member State)",
        ),
        (
            "window: ['2030-01-01', '2030-12-31']\n",
            "unga-brief: parameter window: empty window, no text voted between 2030-01-01 and 2030-12-31",
        ),
        (
            "coincidence_method: [state_2017]\n",
            "unga-brief: parameter coincidence_method: ['state_2017'] is not one of votes_only, state_2017, state_2021",
        ),
        ("window: [2026-01-01\n", "unga-brief: parameters file"),
    ],
    ids=[
        "wrong type",
        "unknown text id",
        "unknown country",
        "empty window",
        "list for a name",
        "broken YAML",
    ],
)
def test_bad_parameter_exit_2_before_any_notebook(project, capsys, params, message):
    p = project.root / "bad.yaml"
    p.write_text(params)
    before = _untouched(project)
    code, line = _run_cli(["--root", str(project.root), "run", "--params", str(p)], capsys)
    assert code == 2
    assert line.startswith(message)
    assert _untouched(project) == before
    assert not (project.build / "executed").exists(), "no notebook ran"


def _edit(path, fn):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(fn(lines)), encoding="utf-8")


@pytest.mark.parametrize(
    "rel, edit, message",
    [
        (
            "record/votes.csv",
            lambda ls: ls[:-1] + [ls[-1][:30]],
            "last line has no newline (file truncated?)",
        ),
        (
            "record/votes.csv",
            lambda ls: ["symbol,date,iso3,nation,vote,source\n"] + ls[1:],
            "wrong header",
        ),
        ("record/votes.csv", lambda ls: ls + [ls[5]], "appears twice"),
        (
            "record/totals.csv",
            lambda ls: [
                ln.replace(f",{ES11_7_TALLY},", f",{YES - 1},{NO},{ABSTAIN + 1},{NONV},")
                for ln in ls
            ],
            f"A/RES/ES-11/7: rows give {YES} Yes, official {YES - 1} (extra: 1 country)",
        ),
        (
            "named/votes_named.csv",
            lambda ls: ls + [",".join(ls[1].split(",")[:2] + ["XKX"] + ls[1].split(",")[3:])],
            "'XKX' on A/RES/ES-11/10 is not a UN Member State",
        ),
    ],
    ids=["truncated CSV", "wrong header", "duplicate row", "totals mismatch", "unknown country"],
)
def test_bad_source_file_exit_2_and_data_untouched(mini_curated, capsys, rel, edit, message):
    _edit(mini_curated.sources / rel, edit)
    before = tree_digest(mini_curated.data)
    code, line = _run_cli(
        ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "curate"], capsys
    )
    assert code == 2 and message in line and line.startswith("unga-brief: ")
    assert tree_digest(mini_curated.data) == before


def test_corrupt_committed_votes_stop_the_run_with_exit_2(project, capsys):
    ga = project.votes_dir / "ga.csv"
    _edit(ga, lambda ls: [ln for ln in ls if not (ln.startswith("ga-es11-07,") and ",FRA," in ln)])
    before = tree_digest(project.report), tree_digest(project.figures)
    code, line = _run_cli(["--root", str(project.root), "run"], capsys)
    assert code == 2
    assert line == f"unga-brief: {DROPPED_MESSAGE}"
    assert (tree_digest(project.report), tree_digest(project.figures)) == before


def test_missing_chromium_exit_4_with_install_hint_before_any_notebook(
    project, capsys, monkeypatch
):
    monkeypatch.setenv("UNGA_BRIEF_CHROMIUM", str(project.root / "no-chromium-here"))
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if "venv" in p)
    )
    before = _untouched(project)
    code, line = _run_cli(["--root", str(project.root), "run"], capsys)
    assert code == 4
    assert (
        "Chromium not found: install it (Debian: apt-get install chromium)" in line
        and "formats: [html]" in line
    )
    assert _untouched(project) == before


def test_output_path_not_writable_exit_4(project, capsys):
    (project.root / "build").write_text("a file where the build folder should be\n")
    before = _untouched(project)
    code, line = _run_cli(["--root", str(project.root), "run"], capsys)
    assert code == 4 and line.startswith("unga-brief: cannot write outputs:")
    assert _untouched(project) == before


@pytest.mark.slow
def test_notebook_that_raises_mid_run_exit_4_and_nothing_published(project, capsys):
    nb_path = project.notebooks / "02_abstention.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell("raise RuntimeError('injected failure')"))
    nbformat.write(nb, nb_path)
    before = _untouched(project)
    code, line = _run_cli(
        ["--root", str(project.root), "run", "--params", str(_html_only(project))], capsys
    )
    assert code == 4
    assert (
        line.startswith("unga-brief: notebook 02_abstention failed") and "injected failure" in line
    )
    assert _untouched(project) == before
    assert not list(project.build.glob("staging-*")), "the staging folder is cleaned up"
    # The executed notebooks are kept, the failing one with its traceback, in the named folder.
    (kept,) = (project.build / "failed").iterdir()
    assert line.endswith(f"; executed notebooks kept in build/failed/{kept.name}/")
    failed = nbformat.read(kept / "02_abstention.ipynb", as_version=4)
    errors = [
        o
        for c in failed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert errors and errors[0]["evalue"] == "injected failure" and errors[0]["traceback"]
    assert not (project.build / "executed").exists(), "nothing published"


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["curate"],
        ["ingest", "record.xml"],
        ["fetch", "--record", "1"],
        ["run", "--refresh"],
    ],
    ids=["run", "curate", "ingest", "fetch", "refresh"],
)
def test_every_writing_command_exits_5_while_another_holds_the_lock(project, capsys, command):
    from unga_brief.lock import project_lock

    before = _untouched(project)
    with project_lock(project, "ingest"):
        code, line = _run_cli(["--root", str(project.root), *command], capsys)
    assert code == 5
    assert line.startswith("unga-brief: another unga-brief run holds ")
    assert "(unga-brief ingest, pid " in line and line.endswith("try again when it ends")
    assert _untouched(project) == before


def _html_only(project):
    p = project.root / "html.yaml"
    p.write_text("formats: [html]\n")
    return p
