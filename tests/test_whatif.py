"""What-if runs: which parameters differ from params.yaml, where such a run publishes, and the
"nothing changed" check over the published outputs (fast, no notebook)."""

from __future__ import annotations

import datetime as dt
import json

import yaml
from conftest import ROOT

from unga_brief.core.paths import Paths
from unga_brief.pipeline import destination, output_hashes, up_to_date
from unga_brief.report.whatif import changed_parameters, notebook_changes, whatif_name


def _project(tmp_path, defaults: dict) -> Paths:
    root = tmp_path / "proj"
    root.mkdir()
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())  # every parameter must be named
    (root / "params.yaml").write_text(yaml.safe_dump({**shipped, **defaults}))
    return Paths.default(root, root)


def test_changed_parameters_lists_name_default_value_in_the_defaults_order():
    defaults = {"window": ["2022-01-01", "2026-12-31"], "blocs": ["EU", "G7"], "formats": ["html"]}
    chosen = {
        "blocs": ["EU"],
        "window": [dt.date(2024, 1, 1), dt.date(2026, 12, 31)],  # YAML dates
        "formats": ["html", "pdf"],  # delivery only: not a what-if
    }
    assert changed_parameters(defaults, chosen) == [
        ("window", ["2022-01-01", "2026-12-31"], ["2024-01-01", "2026-12-31"]),
        ("blocs", ["EU", "G7"], ["EU"]),
    ]
    same = {"window": [dt.date(2022, 1, 1), dt.date(2026, 12, 31)], "blocs": ["EU", "G7"]}
    assert changed_parameters(defaults, same) == []


def test_whatif_name_follows_the_changed_values(tmp_path):
    a = [("window", ["2022-01-01", "2026-12-31"], ["2024-01-01", "2026-12-31"])]
    b = [("window", ["2022-01-01", "2026-12-31"], ["2025-01-01", "2026-12-31"])]
    name = whatif_name(tmp_path / "Mein Plan (v2).yaml", a)
    assert name.startswith("Mein-Plan-v2-") and len(name) == len("Mein-Plan-v2-") + 8
    assert name == whatif_name(tmp_path / "Mein Plan (v2).yaml", a)
    assert name != whatif_name(tmp_path / "Mein Plan (v2).yaml", b)
    assert whatif_name(tmp_path / "../..yaml", a).startswith("params-")


def test_destination_is_the_report_unless_a_parameter_differs(tmp_path):
    defaults = {"window": ["2022-01-01", "2026-12-31"], "formats": ["html", "pdf"]}
    paths = _project(tmp_path, defaults)
    assert not destination(paths, paths.params_yaml, defaults).whatif
    html_only = tmp_path / "html.yaml"
    html_only.write_text("formats: [html]\n")
    d = destination(paths, html_only, {**defaults, "formats": ["html"]})
    assert not d.whatif and d.manifest == paths.report / "manifest.json"
    other = tmp_path / "w.yaml"
    raw = {**defaults, "window": ["2024-01-01", "2026-12-31"]}
    d = destination(paths, other, raw)
    assert d.whatif and d.manifest.parent.parent == paths.report / "whatif"
    assert d.label == f"report/whatif/{d.manifest.parent.name}/"
    assert d.changes == [("window", defaults["window"], raw["window"])]


def test_notebook_changes_reads_the_notebook_globals(tmp_path):
    paths = _project(tmp_path, {"window": ["2022-01-01", "2026-12-31"]})
    ns = {"window": ["2023-01-01", "2026-12-31"], "output_dir": "", "In": []}
    got = notebook_changes(ns, paths)
    assert ("window", ["2022-01-01", "2026-12-31"], ["2023-01-01", "2026-12-31"]) in got


def test_up_to_date_needs_every_published_output_unchanged(tmp_path):
    report, figures = tmp_path / "report", tmp_path / "figures"
    (report / "tables").mkdir(parents=True)
    figures.mkdir()
    (report / "briefing.html").write_text("<p>b</p>")
    (report / "tables" / "t.csv").write_text("a\n1\n")
    (figures / "f.svg").write_text("<svg/>")
    (report / "whatif" / "x").mkdir(parents=True)
    (report / "whatif" / "x" / "briefing.html").write_text("what-if")
    layout = {"report/": report, "figures/": figures}
    outputs = output_hashes(layout)
    assert set(outputs) == {"report/briefing.html", "report/tables/t.csv", "figures/f.svg"}
    manifest = report / "manifest.json"
    manifest.write_text(json.dumps({"inputs_sha256": "d", "outputs": outputs}))
    assert up_to_date(manifest, layout, "d")
    assert not up_to_date(manifest, layout, "other inputs")
    (report / "whatif" / "x" / "briefing.html").write_text("another what-if")
    assert up_to_date(manifest, layout, "d"), "what-if folders are not the report's outputs"
    (report / "tables" / "t.csv").write_text("a\n2\n")
    assert not up_to_date(manifest, layout, "d"), "an edited table"
    (report / "tables" / "t.csv").write_text("a\n1\n")
    (figures / "f.svg").unlink()
    assert not up_to_date(manifest, layout, "d"), "a missing figure"
    (figures / "f.svg").write_text("<svg/>")
    (figures / "extra.svg").write_text("<svg/>")
    assert not up_to_date(manifest, layout, "d"), "an output nobody made"
