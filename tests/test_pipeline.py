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


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_validation(paths) -> dict:
    """The validation summary, computed here from the committed CSVs themselves."""
    import pandas as pd

    cat = pd.read_csv(paths.catalog_csv, dtype=str, keep_default_na=False)
    conflicts = pd.read_csv(paths.conflicts_csv, dtype=str, keep_default_na=False)
    coverage: dict = {}
    for (body, cov), n in cat.groupby(["body", "coverage"]).size().items():
        coverage.setdefault(body, {})[cov] = int(n)
    return {
        "result": "passed",
        "texts": len(cat),
        "country_rows": int(cat["rows"].astype(int).sum()),
        "coverage": coverage,
        "conflicts": {
            "total": len(conflicts),
            "by_status": conflicts["status"].value_counts().to_dict(),
        },
    }


@pytest.mark.slow
def test_report_run_then_whatif_run_then_a_deleted_output_is_rebuilt(project, capsys):
    """html-only run (formats alone is no what-if) -> manifest with the validation result and
    every output's hash; a run with another window publishes in report/whatif/<name>/ and
    leaves report/ alone; the unchanged report run does nothing; a deleted figure is rebuilt
    without --force and the what-if folder survives the new report."""
    root = ["--root", str(project.root), "run"]
    html = project.root / "html.yaml"
    html.write_text(yaml.safe_dump({"formats": ["html"]}))
    (project.report / "README.md").write_text("tracked readme\n")
    assert (project.figures / "old.svg").exists()
    assert main([*root, "--params", str(html)]) == 0
    assert "[4/4] published report/ and figures/" in capsys.readouterr().err
    assert (project.report / "briefing.html").exists()
    assert not (project.report / "briefing.pdf").exists()
    assert not (project.figures / "old.svg").exists(), "figures/ replaced as a whole"
    assert (project.report / "README.md").read_text() == "tracked readme\n"
    manifest = json.loads((project.report / "manifest.json").read_text())
    assert manifest["parameters"]["formats"] == ["html"] and manifest["changed_parameters"] == []
    assert manifest["validation"] == _expected_validation(project)
    outputs = manifest["outputs"]
    assert {"report/briefing.html", "report/notebooks/00_data.html", "report/coverage.csv"} <= set(
        outputs
    )
    assert any(k.startswith("figures/") and k.endswith(".svg") for k in outputs)
    assert any(k.startswith("report/tables/") for k in outputs)
    assert all(_sha(project.root / k) == v for k, v in outputs.items())
    report_before = tree_digest(project.report), tree_digest(project.figures)

    whatif = project.root / "my what-if.yaml"
    window = ["2023-01-01", "2026-12-31"]
    whatif.write_text(yaml.safe_dump({"window": window, "formats": ["html"]}))
    assert main([*root, "--params", str(whatif)]) == 0
    line = capsys.readouterr().err.strip().splitlines()[-1]
    folders = list((project.report / "whatif").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("my-what-if-")
    w = folders[0]
    assert line.startswith(f"[4/4] published report/whatif/{w.name}/ (")
    assert line.endswith("report/ left as it was (a what-if run)")
    assert {
        k: v for k, v in tree_digest(project.report).items() if not k.startswith("whatif/")
    } == (report_before[0])
    assert tree_digest(project.figures) == report_before[1]
    wm = json.loads((w / "manifest.json").read_text())
    default_window = yaml.safe_load(project.params_yaml.read_text())["window"]
    assert wm["changed_parameters"] == [
        {"name": "window", "default": default_window, "value": window}
    ]
    assert wm["parameters"]["window"] == window
    assert (w / "briefing.html").exists() and list((w / "figures").glob("*.svg"))
    assert (w / "parameters.yaml").read_text() == whatif.read_text()
    assert all(_sha(w / k) == v for k, v in wm["outputs"].items())

    assert main([*root, "--params", str(html)]) == 0
    assert "nothing changed" in capsys.readouterr().err
    assert (tree_digest(project.figures)) == report_before[1]

    gone = next(k for k in outputs if k.startswith("figures/") and k.endswith(".svg"))
    (project.root / gone).unlink()
    assert main([*root, "--params", str(html)]) == 0
    assert "[4/4] published report/ and figures/" in capsys.readouterr().err
    assert (project.root / gone).exists()
    assert (w / "manifest.json").exists(), "the what-if folder is kept by the report run"
