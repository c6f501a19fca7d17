"""`unga-brief run`: parameters checked first, failures publish nothing, exit codes per DESIGN §6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import tree_digest

from unga_brief.cli import main


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
    # The shared frames were computed once and handed to the notebooks (issue 17).
    (cache,) = (project.build / "cache").iterdir()
    assert (cache / "ballots.pkl").is_file() and "shared" in manifest["timings_s"]
    assert str(cache) in (project.build / "executed" / "04_briefing.ipynb").read_text()
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
