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
            "unga-brief: parameter focus_countries: expected a list of text values, got 'USA'",
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
            "unga-brief: parameter window: empty window, no text voted in 2030-01-01..2030-12-31",
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
    from unga_brief.core.lock import project_lock

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


# --- ingest: every bad file is one line, its exit code, and data/ untouched ----------------------


def _bad_ingest_inputs(paths, tmp):
    """name -> (argv after `ingest`, exit code, words of the line). Built from the fixtures."""
    from conftest import ROOT
    from test_ingest import full_roll_call_for
    from undl_builders import marc_record

    undl = ROOT / "tests" / "fixtures" / "undl"
    tid = "ga-es11-2026-02-24"
    votes = full_roll_call_for(paths, tid)
    moved = dict(votes)
    moved[next(i for i, v in votes.items() if v == "Y")] = "A"

    def put(name, data):
        (tmp / name).write_bytes(data)
        return str(tmp / name)

    fifo = tmp / "pipe.xml"
    os.mkfifo(fifo)
    (tmp / "folder.xml").mkdir()
    (tmp / "loop.xml").symlink_to(tmp / "loop.xml")
    return {
        "truncated XML": ([str(undl / "record_4083529_truncated.xml")], 2, "malformed XML"),
        "XML bomb": ([str(undl / "xml_bomb.xml")], 2, "refused"),
        "non-numeric record id": (
            [put("id.xml", marc_record("12ab", "A/RES/ES-11/10", "2026-02-24", "t", votes))],
            2,
            "is not a number",
        ),
        "FIFO": ([str(fifo)], 2, "a FIFO (named pipe), not a regular file"),
        "directory": ([str(tmp / "folder.xml")], 2, "a directory, not a regular file"),
        "symlink loop": ([str(tmp / "loop.xml")], 2, "cannot read it"),
        "matches no text": ([str(undl / "record_4088074.xml")], 6, "nothing to ingest from"),
        "contradicts the official totals": (
            [put("moved.xml", marc_record("9990003", "A/RES/ES-11/10", "2026-02-24", "t", moved))],
            2,
            "and it would turn the partial text full; refused",
        ),
        "impossible --retrieved-on": (
            [str(undl / "record_4083529.xml"), "--retrieved-on", "2025-13-01"],
            2,
            "expected a day",
        ),
        "impossible --since": (
            [str(undl / "record_4083529.xml"), "--since", "2025-02-30"],
            2,
            "since",
        ),
        "non-numeric --records": (
            [str(undl / "record_4083529.xml"), "--records", "x1"],
            2,
            "digits",
        ),
    }


CASES = [
    "truncated XML",
    "XML bomb",
    "non-numeric record id",
    "FIFO",
    "directory",
    "symlink loop",
    "matches no text",
    "contradicts the official totals",
    "impossible --retrieved-on",
    "impossible --since",
    "non-numeric --records",
]


@pytest.mark.parametrize("case", CASES)
def test_bad_ingest_input_one_line_its_exit_code_data_untouched(
    mini_curated, tmp_path, capsys, case
):
    argv, want, words = _bad_ingest_inputs(mini_curated, tmp_path)[case]
    before = tree_digest(mini_curated.data)
    code = main(
        ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "ingest", *argv]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert (code, len(err)) == (want, 1), err
    assert err[0].startswith("unga-brief: ") and words in err[0] and len(err[0]) < 600
    assert tree_digest(mini_curated.data) == before
