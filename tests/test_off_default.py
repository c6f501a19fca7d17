"""Off the default run: many parameter sets, each ends in a briefing or in a clear refusal before
any notebook starts (issue "Off the default run").

The notebooks' own code cells are executed in-process (the parameters cell, then the values a run
injects, then every other cell) on a scratch copy of the project, so a crash anywhere in a
notebook fails here exactly as it would fail `unga-brief run` with exit 4.
"""

from __future__ import annotations

import random

import nbformat
import pandas as pd
import pytest
from conftest import ROOT

from unga_brief.core import errors
from unga_brief.core.paths import Paths, copy_project
from unga_brief.data.catalog import load_catalog
from unga_brief.data.frames import load_frames
from unga_brief.report import findings
from unga_brief.report.context import open_context
from unga_brief.report.params import defaults, resolve

N_SETS = 30
NOTEBOOKS = ["01_vote_tables", "02_abstention", "03_us_posture", "04_briefing"]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Paths:
    root = copy_project(ROOT, tmp_path_factory.mktemp("offdefault") / "proj")
    return Paths.default(root, ROOT.parent / "shared" / "data" / "sources")


def run_notebooks_in_process(paths: Paths, raw: dict, out_dir, *, serialise: bool = True) -> dict:
    """Execute the notebooks' code as papermill would, without a kernel; return the briefing
    notebook's namespace. The notebooks of one run share one cache of computed frames (the same
    parameters and data). With ``serialise=False`` every chart is drawn but not written as
    SVG (the default run, the fixture run and the render tests write them all)."""
    from unga_brief.report import chart_style, context

    shared: dict = {}
    real_open, real_save = context.open_context, chart_style.save

    def open_shared(namespace, paths=None):
        ctx = real_open(namespace, paths)
        ctx.cache = shared
        ctx.display = False
        return ctx

    def save_data_only(chart, name, figures_dir):
        from unga_brief.core.safe_output import write_csv

        out = __import__("pathlib").Path(figures_dir)
        out.mkdir(parents=True, exist_ok=True)
        write_csv(chart.data, out / f"{name}.csv")
        return ""

    context.open_context = open_shared
    if not serialise:
        chart_style.save = save_data_only
    try:
        ns = {}
        for name in NOTEBOOKS:
            nb = nbformat.read(paths.notebooks / f"{name}.ipynb", as_version=4)
            ns = {"__name__": "__main__"}
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                exec(compile(cell.source, f"{name}.ipynb", "exec"), ns)
                if "parameters" in cell.metadata.get("tags", []):
                    ns.update(raw)  # what papermill injects below the parameters cell
                    ns["output_dir"] = str(out_dir)
        return ns
    finally:
        context.open_context, chart_style.save = real_open, real_save


def random_params(rng: random.Random, frames) -> dict:
    cat = frames.catalog
    dates = sorted(cat["date"].dt.strftime("%Y-%m-%d").unique())
    a, b = sorted(rng.sample(dates, 2))
    raw = dict(defaults())
    raw["window"] = (
        [a, b] if rng.random() < 0.8 else [pd.Timestamp(a).date(), pd.Timestamp(b).date()]
    )
    for topic in ("ukraine", "gaza"):
        if rng.random() < 0.4:
            pool = cat[
                (cat["topic"] == topic)
                & (cat["body"] == "GA")
                & cat["kind"].isin(["resolution", "decision"])
                & (cat["date"] >= pd.Timestamp(a))
                & (cat["date"] <= pd.Timestamp(b))
            ]["id"].tolist()
            if pool:
                raw[f"{topic}_texts"] = rng.sample(pool, rng.randint(1, len(pool)))
    groups = sorted(set(frames.groups["group"]))
    raw["blocs"] = rng.sample(groups, rng.randint(1, 4))
    raw["us_partners"] = rng.sample(groups + ["RUS", "CHN", "GBR"], rng.randint(1, 3))
    raw["focus_countries"] = rng.sample(frames.members["iso3"].tolist(), rng.randint(1, 6))
    raw["switch_series"] = rng.sample(
        ["es11", "es10", "ga-ukraine-human-rights"], rng.randint(1, 3)
    )
    raw["coincidence_method"] = rng.choice(["votes_only", "state_2017", "state_2021"])
    raw["formats"] = ["html"]
    return raw


@pytest.fixture(scope="module")
def frames(scratch):
    return load_frames(scratch)


@pytest.fixture(scope="module")
def parameter_sets(frames) -> list[dict]:
    """The N_SETS random parameter sets, drawn in order from one seeded generator (so set i is
    the same whichever worker runs it, and whichever other sets run)."""
    rng = random.Random(20261129)
    return [random_params(rng, frames) for _ in range(N_SETS)]


def test_random_parameter_sets_are_both_accepted_and_refused(parameter_sets, frames):
    """The sets exercise both outcomes: at least a third reach the notebooks (each of those must
    end in a briefing: test_a_random_parameter_set_ends_in_a_briefing_or_a_refusal), at least
    one is refused before any notebook."""
    ran = refused = 0
    for raw in parameter_sets:
        try:
            resolve(raw, frames.catalog, frames.members, frames.groups)
        except errors.ParameterError:
            refused += 1
        else:
            ran += 1
    assert ran >= N_SETS // 3 and refused >= 1, (ran, refused)


@pytest.mark.parametrize("i", range(N_SETS))
def test_a_random_parameter_set_ends_in_a_briefing_or_a_refusal(
    i, parameter_sets, frames, scratch, tmp_path
):
    """One set per test, so that the sets spread over the pytest workers."""
    raw = parameter_sets[i]
    try:
        p = resolve(raw, frames.catalog, frames.members, frames.groups)
    except errors.ParameterError as e:
        assert str(e).startswith(("parameter ", "parameters")), e
        return
    out = tmp_path / f"set{i}"
    try:
        ns = run_notebooks_in_process(scratch, raw, out, serialise=False)
    except Exception as e:  # a crash is exit 4 for the user: a bug
        import traceback

        tb = "".join(traceback.format_exc().splitlines(True)[-12:])
        pytest.fail(f"parameter set {i} crashed a notebook: {type(e).__name__}: {e}\n{raw}\n{tb}")
    # page 1 names no text outside the window
    found = ns["F"]
    used = {t for f in found.values() for t in f.texts}
    dates = frames.catalog.set_index("id").loc[sorted(used), "date"]
    assert dates.between(p.window[0], p.window[1]).all(), (i, raw["window"])


def test_a_notebook_run_by_hand_honours_an_edited_parameter(scratch):
    ctx = open_context(
        {"window": ["2023-01-01", "2024-12-31"], "focus_countries": ["IND"]}, scratch
    )
    assert ctx.interactive and ctx.params.focus_countries == ["IND"]
    f = findings.coverage(ctx)
    cat = load_catalog(scratch)
    in_w = cat[(cat["date"] >= "2023-01-01") & (cat["date"] <= "2024-12-31")]
    assert f.headline.startswith(
        f"How sure: {(in_w['coverage'].astype(str) == 'full').sum()} of the {len(in_w)} texts"
    )


def _output_names(source: str) -> list[str]:
    """The names passed to ``ctx.show`` / ``ctx.table`` (an f-string's literal prefix)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("show", "table")
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "ctx"
            and len(node.args) >= 2
        ):
            arg = node.args[1]
            if isinstance(arg, ast.Constant):
                names.append(arg.value)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                names.append(arg.values[0].value + "*")
    return names


def test_each_output_name_has_one_owner_notebook():
    owners: dict[str, str] = {}
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for name in _output_names(cell.source):
                assert owners.setdefault(name, nb_path.stem) == nb_path.stem, (
                    f"{name} written by {owners[name]} and {nb_path.stem}"
                )
    assert len(owners) > 20
    assert not any(
        a != b and a.endswith("*") and b.startswith(a[:-1]) for a in owners for b in owners
    )


def test_notebooks_call_only_public_names():
    import re

    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        src = "\n".join(c.source for c in nbformat.read(nb_path, as_version=4).cells)
        assert not re.search(r"\b[a-z]+\._[a-z]", src), nb_path.name


def test_every_notebook_runs_through_papermill_on_the_fixture_project(mini_curated, capsys):
    """The small fixture project, run as `unga-brief run` runs it (papermill kernels), with the
    window written as plain YAML dates: exit 0, a briefing that names only texts of the window."""
    import shutil

    import yaml

    from unga_brief.cli import main

    root = mini_curated.root
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copy2(ROOT / "params.yaml", root / "params.yaml")
    cat = load_catalog(mini_curated)
    first, last = cat["date"].min(), cat["date"].max()
    p = root / "dates.yaml"
    from unga_brief.data.members import load_groups

    groups = sorted(set(load_groups(mini_curated)["group"]))  # the fixture holds a few blocs
    p.write_text(
        f"window: [{first:%Y-%m-%d}, {last:%Y-%m-%d}]\nformats: [html]\n"
        f"blocs: {groups}\nus_partners: {groups[:2] + ['RUS']}\n"
    )
    assert isinstance(yaml.safe_load(p.read_text())["window"][0], __import__("datetime").date)
    code = main(
        ["--root", str(root), "--sources", str(mini_curated.sources), "run", "--params", str(p)]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    html = next(root.glob("report/**/briefing.html")).read_text(encoding="utf-8")
    assert "Summary" in html and "Key findings" in html
    outside = cat[(cat["date"] < first) | (cat["date"] > last)]
    assert outside.empty  # the window covers the fixture: every notebook had data to show
