"""Text from the data cannot act in a spreadsheet or in matplotlib: published CSV cells that a
spreadsheet would run are neutralised, and "$" is drawn as a dollar, never as mathematics."""

from __future__ import annotations

import csv

import matplotlib
import pandas as pd
import pytest
import yaml

from unga_brief.cli import main
from unga_brief.core.safe_output import (
    FORMULA_PREFIXES,
    csv_safe,
    formula_like,
    literal_figure_text,
    mpl_literal,
    write_csv,
)

matplotlib.use("Agg", force=False)


@pytest.mark.parametrize(
    "cell, neutralised",
    [
        ('=HYPERLINK("http://x")', True),
        ("+1+cmd|' /C calc'!A0", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\tx", True),
        ("-", False),
        ("-12", False),
        ("+2.5%", False),
        ("-0.25", False),
        ("A/RES/ES-11/7", False),
        ("", False),
    ],
)
def test_formula_like(cell, neutralised):
    assert formula_like(cell) is neutralised


def test_csv_safe_quotes_text_cells_and_headers_but_not_numbers(tmp_path):
    df = pd.DataFrame(
        {"=name": ["=1+1", "ok", "@x", None], "n": [-1, 2, 3, 4], "d": ["-3", "-", "-a", "b"]}
    )
    out = csv_safe(df)
    assert list(out.columns) == ["'=name", "n", "d"]
    assert out["'=name"].tolist()[:3] == ["'=1+1", "ok", "'@x"] and pd.isna(out["'=name"][3])
    assert out["n"].tolist() == [-1, 2, 3, 4] and out["d"].tolist() == ["-3", "-", "'-a", "b"]
    assert df["=name"][0] == "=1+1", "the caller's frame is not changed"
    with open(write_csv(df, tmp_path / "t.csv"), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1] == ["'=1+1", "-1", "-3"]


def test_mpl_literal_escapes_every_dollar_once():
    assert mpl_literal("costs $5 and $x^2$") == r"costs \$5 and \$x^2\$"
    assert mpl_literal(mpl_literal("$a$")) == r"\$a\$"
    assert mpl_literal("no dollar") == "no dollar"


def test_a_dollar_from_the_data_is_drawn_not_parsed(tmp_path):
    import matplotlib.pyplot as plt

    from unga_brief.report.chart_style import svg_bytes

    hostile = r"A/RES/$\frac{1}{$"

    def figure():
        fig, ax = plt.subplots()
        ax.barh([0, 1], [1, 2])
        ax.set_yticks([0, 1], [hostile, "plain"])
        fig.suptitle(f"{hostile} $x^2$ title")
        ax.set_xlabel("$5")
        return fig

    fig = figure()
    with pytest.raises(ValueError):  # what matplotlib does with it unescaped
        fig.savefig(tmp_path / "raw.svg")
    plt.close(fig)
    fig = figure()
    svg = svg_bytes(fig).decode()
    plt.close(fig)
    assert r"A/RES/$\frac{1}{$" in svg and "$x^2$ title" in svg
    fig = figure()
    literal_figure_text(fig)
    assert fig.texts[0].get_text() == r"A/RES/\$\frac{1}{\$ \$x^2\$ title"
    plt.close(fig)


def _hostile_project(project):
    """Text fields of the committed data made hostile: every short title and title starts with
    a formula, every symbol starts with "-" and ends in mathematics matplotlib cannot parse,
    three focus countries' display names start with + - @ and carry "$…$"."""
    cat = pd.read_csv(project.catalog_csv, dtype=str, keep_default_na=False)
    cat["short_title"] = '=HYPERLINK("http://evil.example","x") ' + cat["short_title"]
    cat["title"] = "@SUM(1+1) " + cat["title"]
    has = cat["symbol"] != ""
    cat.loc[has, "symbol"] = "-" + cat.loc[has, "symbol"] + r" $\frac{1}{$"
    cat.to_csv(project.catalog_csv, index=False, lineterminator="\n")
    mem = pd.read_csv(project.reference_dir / "member_states.csv", dtype=str, keep_default_na=False)
    names = {"RUS": "+Russia $x^2$", "USA": "-United States $\\frac{1}{$", "CHN": "@China $5"}
    mem["display_name"] = mem["iso3"].map(names).fillna(mem["display_name"])
    mem.to_csv(project.reference_dir / "member_states.csv", index=False, lineterminator="\n")


@pytest.mark.slow
def test_no_published_csv_cell_from_a_text_field_starts_with_a_formula_prefix(project, capsys):
    _hostile_project(project)
    params = project.root / "html.yaml"
    params.write_text(yaml.safe_dump({"formats": ["html"]}))
    assert main(["--root", str(project.root), "run", "--params", str(params)]) == 0, (
        capsys.readouterr().err
    )
    published = sorted(project.report.rglob("*.csv")) + sorted(project.figures.glob("*.csv"))
    assert len(published) > 10
    bad, neutralised = [], set()
    for path in published:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    if formula_like(cell):
                        bad.append(f"{path.relative_to(project.root)}: {cell[:40]!r}")
                    if cell[:1] == "'" and cell[1:2] in FORMULA_PREFIXES:
                        neutralised.add(cell[1])
    assert not bad, bad[:10]
    # The hostile text did reach the published tables (so the scan above can fail).
    assert {"=", "+", "-", "@"} <= neutralised
    svgs = "".join(p.read_text(encoding="utf-8") for p in project.figures.glob("*.svg"))
    assert r"$\frac{1}{$" in svgs, "a $ from the data drawn as written in a chart"
