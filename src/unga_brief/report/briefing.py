"""The briefing document's fixed blocks: title, findings list, methodology, sources.

Each function returns an HTML string built from the data (escaped); the notebook displays it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from unga_brief.analysis import definitions
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.data.catalog import text_label
from unga_brief.data.changes import latest
from unga_brief.data.ingested import attribution, attribution_lines, raw_files
from unga_brief.report.finding import Finding
from unga_brief.report.words import number

_EMPH = re.compile(r"[*]([^*]+)[*]")
_EM = r"<em>\1</em>"


def _e(s) -> str:
    return html.escape(str(s))


def vintage(ctx) -> str:
    """The date of the latest vote in the window."""
    from unga_brief.report.finding import in_window

    return pd.Timestamp(in_window(ctx)["date"].max()).strftime("%d %B %Y").lstrip("0")


def title_block(ctx) -> str:
    from unga_brief.report.finding import in_window
    from unga_brief.report.findings import parameter_differences

    p = ctx.params
    w = in_window(ctx)
    date = p.report_date or vintage(ctx)
    diffs = parameter_differences(ctx)
    whatif = (
        '<p class="whatif">What-if run: parameters that differ from params.yaml — '
        + "; ".join(f"{_e(k)}: {_e(v)} (default {_e(d)})" for k, d, v in diffs)
        + "</p>"
        if diffs
        else ""
    )
    return (
        f'<header class="title-block"><h1>{_e(p.report_title)}</h1>'
        f'<p class="dek">UN General Assembly and Security Council roll calls on Ukraine and Gaza, '
        f"{pd.Timestamp(w['date'].min()):%Y}\u2013{pd.Timestamp(w['date'].max()):%Y}: who abstains, "
        f"on what, and where the United States stands.</p>"
        f'<p class="meta">Briefing dated {_e(date)} · generated {_e(generated())} · '
        f"latest vote in the data: {_e(vintage(ctx))} · "
        f"{len(w):,} voted texts in the window {p.window[0]:%Y-%m-%d}\u2013{p.window[1]:%Y-%m-%d} · "
        f"every figure computed from the UN roll calls</p>{whatif}</header>"
    )


def generated() -> str:
    """The day this briefing was generated (UTC)."""
    import datetime as dt

    d = dt.datetime.now(dt.UTC).date()
    return f"{d.day} {d:%B %Y}"


UNDL_RECORD_URL = "https://digitallibrary.un.org/record/{}"


def record_links_block(ctx) -> str:
    """A link to the UN Digital Library voting record of every text in the window that has one,
    and the texts that have none."""
    from unga_brief.report.finding import in_window, reader_name

    w = in_window(ctx).sort_values(["body", "date", "id"])
    w = w.assign(undl_record=pd.to_numeric(w["undl_record"], errors="coerce"))
    has = w[w["undl_record"].notna()]
    links = ", ".join(
        f'<a href="{UNDL_RECORD_URL.format(int(r))}">{_e(reader_name(ctx, i))}</a>'
        for i, r in zip(has["id"], has["undl_record"], strict=True)
    )
    none = [reader_name(ctx, i) for i in w.loc[w["undl_record"].isna(), "id"]]
    return (
        f'<p class="records">UN Digital Library voting records of the {number(len(has))} texts '
        f"in the window that have one: {links}.</p>"
        + (
            f'<p class="records">No record id is known for {number(len(none))} texts '
            f"(drafts, amendments and motions known from press releases): {_e(', '.join(none))}.</p>"
            if none
            else ""
        )
    )


def summary_block(ctx, found: dict) -> str:
    """Page 1's summary: three to five computed sentences, led by the title's thesis."""
    from unga_brief.report.findings import summary

    sentences = " ".join(_e(s) for s in summary(ctx, found))
    return (
        f'<section class="summary"><h2>Summary</h2><p>{sentences}</p>'
        '<p class="order">Votes are given as Yes\u2013No\u2013Abstain.</p></section>'
    )


def findings_list(findings: list[Finding]) -> str:
    from unga_brief.report.finding import CONFIDENCE_HELP

    items = "".join(
        f'<li><span class="finding">{_e(f.page1)}</span>'
        + (f' <span class="firm">[{_e(f.firm_tag)}]</span>' if f.firm_tag else "")
        + "</li>"
        for f in findings
    )
    return (
        f'<section class="findings"><h2>Key findings</h2><ol>{items}</ol>'
        f'<p class="confidence">{_e(CONFIDENCE_HELP)}</p></section>'
    )


def assumptions(root: Path) -> pd.DataFrame:
    """The assumptions-and-caveats log (docs/assumptions.md) as ``assumption, text``."""
    p = Path(root) / "docs" / "assumptions.md"
    if not p.exists():
        return pd.DataFrame(columns=["assumption", "text"])
    text = p.read_text(encoding="utf-8")
    items = re.findall(r"^- \*\*(.+?)\*\*\s*(.+?)(?=^- \*\*|\Z)", text, flags=re.S | re.M)
    return pd.DataFrame(
        [(a.strip(), " ".join(b.split())) for a, b in items], columns=["assumption", "text"]
    )


def definitions_block() -> str:
    d = definitions.definitions()
    rows = "".join(f"<dt>{_e(r.term)}</dt><dd>{_e(r.definition)}</dd>" for r in d.itertuples())
    return f'<dl class="definitions">{rows}</dl>'


def caveats_block(ctx) -> str:
    a = assumptions(ctx.paths.root)
    rows = "".join(
        f"<li><strong>{_e(r.assumption)}</strong> {_EMPH.sub(_EM, _e(r.text))}</li>"
        for r in a.itertuples()
    )
    return f'<ul class="caveats">{rows}</ul>'


def firm_table(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding": [f.headline or f.sentence for f in findings if f.firm],
            "on record + list votes alone": [f.firm for f in findings if f.firm],
        }
    )


def window_coverage_table(ctx) -> pd.DataFrame:
    """Per text in the window: official Y–N–A–X, coverage, basis mix (methodology page)."""
    from unga_brief.report.finding import in_window

    c = in_window(ctx).sort_values(["body", "topic", "date"])

    def fmt(r):
        return "\u2013".join(
            "?" if pd.isna(r[k]) else number(r[k])
            for k in ("official_yes", "official_no", "official_abstain", "official_non_voting")
        )

    return pd.DataFrame(
        {
            "text": [text_label(r) for _, r in c.iterrows()],
            "date": c["date"].dt.strftime("%Y-%m-%d"),
            "body": c["body"],
            "topic": c["topic"],
            "Y\u2013N\u2013A\u2013X": [fmt(r) for _, r in c.iterrows()],
            "coverage": c["coverage"].astype(str),
            "complete lists": c["complete_lists"].replace("", "\u2013"),
            "basis of the rows": c["basis_mix"].replace("", "\u2013"),
        }
    )


def conflicts_table(ctx) -> pd.DataFrame:
    p = ctx.paths.conflicts_csv
    if not p.exists():
        return pd.DataFrame()
    c = pd.read_csv(p, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "text": c["symbol"],
            "state / field": c["iso3"].where(c["iso3"] != "", c["field"]),
            "kept": c["kept"] + " (" + c["kept_source"].str.split("/").str[0] + ")",
            "other source said": c["other"] + " (" + c["other_source"].str.split("/").str[0] + ")",
            "status": c["status"],
        }
    )


def sources_table(ctx) -> pd.DataFrame:
    """Every input file, its role, the texts it covers and the start of its sha256 (compact: the
    origins and full hashes are in data/sources.yml and report/manifest.json)."""
    doc = read_yaml(ctx.paths.sources_yml.read_text(encoding="utf-8"))
    rows = []
    for d in doc.get("inputs", []):
        rows.append(
            {
                "file": d["file"],
                "role": d.get("role", ""),
                "texts": number(len(d.get("texts", []) or [])),
                "sha256 (first 12)": str(d.get("sha256", ""))[:12],
            }
        )
    got = attribution(ctx.paths).set_index("file")["retrieved"]
    return pd.DataFrame(rows).assign(
        retrieved=lambda d: d["file"].map(got).fillna("").replace("", "\u2013")
    )


def sources_block(ctx) -> str:
    credits = attribution_lines(ctx.paths)  # each UNDL input with its own download date
    n_raw = len(raw_files(ctx.paths))
    last = latest(ctx.paths.changes_dir)
    change = (
        (
            "<p>Latest data change ("
            + _e(last[0])
            + "): "
            + "; ".join(_e(x) for x in last[1][:5])
            + "</p>"
        )
        if last
        else (
            f"<p>{n_raw} UN Digital Library file(s) ingested (listed below).</p>"
            if n_raw
            else "<p>No UN Digital Library file has been ingested since the curated data was built.</p>"
        )
    )
    return (
        "<p>UN voting data, each file with the day it was downloaded:</p><ul>"
        + "".join(f"<li>{_e(x)}</li>" for x in credits)
        + "</ul><p>Non-commercial use with attribution, as the UN Digital Library's terms require; the outputs of this "
        "briefing inherit those terms.</p>"
        "<p>World tile-grid layout: Jon Schwabish, PolicyViz (CC BY-SA 4.0), via mustafasaifee42/Tile-Grid-Map; "
        "the map inherits CC BY-SA 4.0.</p>"
        f"<p>Data vintage: latest vote {_e(vintage(ctx))}. Each input file is listed below with the start of its "
        "sha256; its origin and full hash are in <code>data/sources.yml</code>, and <code>report/manifest.json</code> "
        "repeats the hashes of what this run used.</p>" + change
    )


def annex_heading(title: str = "Annex") -> str:
    """The heading that opens the annex: everything after it is set as annex (smaller type)."""
    return f'<h2 class="annex" id="annex">{_e(title)}</h2>'


_SVG_TITLE = re.compile(r"<dc:title>(.*?)</dc:title>", flags=re.S)


def chart_data_table(ctx) -> pd.DataFrame:
    """The data behind each chart shown in this notebook: chart title, data file, rows."""
    rows = []
    for name in dict.fromkeys(ctx.shown):
        svg, csv = ctx.figures_dir / f"{name}.svg", ctx.figures_dir / f"{name}.csv"
        if not csv.is_file():
            continue
        found = _SVG_TITLE.search(svg.read_text(encoding="utf-8")) if svg.is_file() else None
        rows.append(
            {
                "chart": html.unescape(found.group(1)) if found else name,
                "data file": f"figures/{name}.csv",
                "rows": number(len(pd.read_csv(csv))),
            }
        )
    return pd.DataFrame(rows, columns=["chart", "data file", "rows"])
