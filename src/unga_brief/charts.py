"""Charts: one vote palette, findings as titles, SVG written deterministically, data beside it.

Every chart function takes a tidy DataFrame and returns a :class:`Chart` (figure, the data drawn,
title = the finding, subtitle = texts, n and source, alt text). :func:`save` writes
``<name>.svg`` (fixed ``svg.hashsalt``, no date) and ``<name>.csv`` and returns the HTML
``<figure>`` the notebooks display (the SVG inline as a data URI, with alt text), so the HTML
report is self-contained and the PDF crisp.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .safe_output import literal_figure_text, write_csv  # noqa: E402

#: The one vote palette (Paul Tol's colour-blind-safe "bright" scheme), used everywhere.
VOTE_COLORS = {"Y": "#4477AA", "N": "#EE6677", "A": "#CCBB44", "X": "#BBBBBB"}
VOTE_LABELS = {"Y": "Yes", "N": "No", "A": "Abstain", "X": "Non-voting"}
#: Other series (topics, partners) from the same scheme, never reusing a vote colour's meaning.
TOPIC_COLORS = {"ukraine": "#4477AA", "gaza": "#AA3377"}
PARTNER_COLORS = {
    "EU": "#4477AA",
    "G7": "#66CCEE",
    "NATO": "#228833",
    "RUS": "#EE6677",
    "CHN": "#AA3377",
}
INK = "#222222"
MUTED = "#666666"
SOURCE_UN = (
    "Source: UN Digital Library voting records and the curated sources listed in data/sources.yml"
)


def setup_style() -> None:
    """Deterministic, sober matplotlib defaults (same bytes for the same data)."""
    plt.rcParams.update(
        {
            "svg.hashsalt": "unga-brief",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": MUTED,
            "axes.labelcolor": INK,
            "xtick.color": MUTED,
            "ytick.color": INK,
            "figure.dpi": 100,
            "savefig.bbox": "tight",
            "path.simplify": False,
        }
    )


@dataclass
class Chart:
    """A finished chart: the figure, the data it draws, its finding, subtitle and alt text."""

    fig: Figure
    data: pd.DataFrame
    title: str
    subtitle: str
    alt: str


def _header(fig: Figure, title: str, subtitle: str, width: int = 92) -> float:
    """Draw the title (the finding) and subtitle at the top; return their height in inches."""
    h = fig.get_figheight()
    t = textwrap.wrap(title, width)
    s = textwrap.wrap(subtitle, int(width * 1.3))
    fig.text(
        0.01,
        1 - 0.04 / h,
        "\n".join(t),
        ha="left",
        va="top",
        fontsize=11.5,
        fontweight="bold",
        color=INK,
        linespacing=1.15,
    )
    y_sub = 0.04 + 0.2 * len(t) + 0.06
    fig.text(
        0.01,
        1 - y_sub / h,
        "\n".join(s),
        ha="left",
        va="top",
        fontsize=8,
        color=MUTED,
        linespacing=1.2,
    )
    return y_sub + 0.135 * len(s) + 0.06


def _finish(fig: Figure, title: str, subtitle: str, above: float = 0.35) -> None:
    """Title and subtitle above the plot; ``above``: inches kept free between them and the axes
    (for a legend or panel titles)."""
    header = _header(fig, title, subtitle)
    fig.subplots_adjust(top=1 - (header + above) / fig.get_figheight())


def vote_legend(ax, codes=("Y", "N", "A", "X"), **kw) -> None:
    handles = [plt.Rectangle((0, 0), 1, 1, color=VOTE_COLORS[c]) for c in codes]
    ax.legend(
        handles,
        [VOTE_LABELS[c] for c in codes],
        ncol=len(codes),
        frameon=False,
        loc=kw.pop("loc", "lower left"),
        bbox_to_anchor=kw.pop("bbox_to_anchor", (0, 1.0)),
        fontsize=8,
        handlelength=1,
        columnspacing=1,
        **kw,
    )


def stacked_votes(counts: pd.DataFrame, *, title: str, subtitle: str) -> Chart:
    """Horizontal stacked bars, one per text (date order, top to bottom).

    ``counts``: columns ``label`` (y tick), ``Y N A X`` (counts), optional ``marker`` (text put
    after the bar, e.g. "partial roll call").
    """
    df = counts.reset_index(drop=True)
    n = len(df)
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * n + 2.3))
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    for c in "YNAX":
        vals = df[c].fillna(0).to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=VOTE_COLORS[c], height=0.72, label=VOTE_LABELS[c])
        for yi, li, v in zip(y, left, vals):
            if v >= 9:
                ax.text(
                    li + v / 2,
                    yi,
                    f"{int(v)}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if c in "YN" else INK,
                )
        left += vals
    ax.set_yticks(y, df["label"], fontsize=7.5)
    total = int(df[list("YNAX")].fillna(0).sum(axis=1).max())
    ax.set_xlim(0, total)
    ax.set_xlabel(f"Member States ({total})")
    if "marker" in df:
        for yi, m in zip(y, df["marker"].fillna("")):
            if m:
                ax.text(194, yi, m, va="center", fontsize=6.5, color=MUTED, clip_on=False)
    vote_legend(ax)
    _finish(fig, title, subtitle)
    alt = f"{title}. Stacked bars of Yes, No, Abstain and Non-voting per text: " + "; ".join(
        f"{r.label}: {int(r.Y)}-{int(r.N)}-{int(r.A)}-{int(r.X)}" for r in df.itertuples()
    )
    return Chart(fig, df, title, subtitle, alt)


def dumbbell(
    df: pd.DataFrame,
    *,
    left: str,
    right: str,
    left_label: str,
    right_label: str,
    title: str,
    subtitle: str,
    xlabel: str = "abstention rate (% of members present)",
) -> Chart:
    """Two rates per row (e.g. abstention on Ukraine vs on Gaza), joined by a line.

    ``df``: ``label``, ``left``/``right`` columns as fractions 0..1 (NaN = not answerable).
    """
    d = df.reset_index(drop=True)
    n = len(d)
    fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 2.2))
    y = np.arange(n)[::-1]
    lv, rv = d[left].to_numpy(dtype=float) * 100, d[right].to_numpy(dtype=float) * 100
    for yi, a, b in zip(y, lv, rv):
        if not (np.isnan(a) or np.isnan(b)):
            ax.plot([a, b], [yi, yi], color="#CCCCCC", lw=2, zorder=1)
    ax.scatter(lv, y, color=TOPIC_COLORS["ukraine"], zorder=2, s=28, label=left_label)
    ax.scatter(rv, y, color=TOPIC_COLORS["gaza"], zorder=2, s=28, marker="D", label=right_label)
    ax.set_yticks(y, d["label"], fontsize=7.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#EEEEEE")
    ax.legend(frameon=False, ncol=2, loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=8)
    _finish(fig, title, subtitle)
    alt = f"{title}. " + "; ".join(
        f"{r['label']}: {left_label} {_pct(r[left])}, {right_label} {_pct(r[right])}"
        for _, r in d.iterrows()
    )
    return Chart(fig, d, title, subtitle, alt)


def _pct(v) -> str:
    return "n/a" if pd.isna(v) else f"{v * 100:.0f}%"


def heatmap_counts(
    table: pd.DataFrame, *, title: str, subtitle: str, xlabel: str, ylabel: str, cmap: str = "Blues"
) -> Chart:
    """Counts of states per cell of a cross-tab (rows x columns), annotated."""
    fig, ax = plt.subplots(figsize=(6.6, 0.55 * len(table) + 2.5))
    vals = table.to_numpy(dtype=float)
    ax.imshow(vals, cmap=cmap, aspect="auto", vmin=0, vmax=max(1.0, np.nanmax(vals)))
    for (i, j), v in np.ndenumerate(vals):
        ax.text(
            j,
            i,
            f"{int(v)}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if v > np.nanmax(vals) * 0.6 else INK,
        )
    ax.set_xticks(range(table.shape[1]), table.columns, fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for s in ax.spines.values():
        s.set_visible(False)
    _finish(fig, title, subtitle, above=0.1)
    data = table.reset_index()
    alt = f"{title}. Counts of states: " + "; ".join(
        f"{r} x {c}: {int(table.loc[r, c])}" for r in table.index for c in table.columns
    )
    return Chart(fig, data, title, subtitle, alt)


def vote_timeline(df: pd.DataFrame, *, title: str, subtitle: str, lanes: list[str]) -> Chart:
    """One marker per text: x = date, lane = ``lane``, colour = ``vote`` (Y/N/A/X).

    ``df``: ``date``, ``lane``, ``vote``, ``label``; optional booleans ``veto`` (ringed, labelled
    "veto") and ``partial`` (hollow marker: the roll call is known only in part); optional
    ``note`` (short text drawn beside the marker).
    """
    d = df.sort_values("date").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.4, 0.75 * len(lanes) + 2.6))
    lane_y = {lane: i for i, lane in enumerate(lanes[::-1])}
    for r in d.itertuples():
        yv = lane_y[r.lane]
        color = VOTE_COLORS.get(r.vote, "#FFFFFF")
        hollow = bool(getattr(r, "partial", False)) and r.vote not in VOTE_COLORS
        ax.scatter(
            r.date,
            yv,
            s=55,
            color="white" if hollow else color,
            edgecolor=INK if hollow else "white",
            linewidth=0.6,
            zorder=3,
            marker="o",
        )
        if bool(getattr(r, "veto", False)):
            ax.scatter(r.date, yv, s=150, facecolor="none", edgecolor=INK, linewidth=1.1, zorder=4)
        note = getattr(r, "note", "")
        if isinstance(note, str) and note:
            ax.annotate(
                note,
                (r.date, yv),
                xytext=(0, 9),
                textcoords="offset points",
                fontsize=6.5,
                color=INK,
                ha="center",
                rotation=0,
            )
    ax.set_yticks(list(lane_y.values()), list(lane_y.keys()), fontsize=8)
    ax.set_ylim(-0.6, len(lanes) - 0.3)
    ax.grid(axis="x", color="#EEEEEE")
    handles = [
        plt.Line2D([], [], marker="o", ls="", color=VOTE_COLORS[c], markersize=7) for c in "YNAX"
    ]
    handles.append(
        plt.Line2D(
            [], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=INK, markersize=10
        )
    )
    ax.legend(
        handles,
        [VOTE_LABELS[c] for c in "YNAX"] + ["veto"],
        ncol=5,
        frameon=False,
        fontsize=8,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
    )
    _finish(fig, title, subtitle)
    alt = f"{title}. " + "; ".join(
        f"{pd.Timestamp(r.date):%Y-%m-%d} {r.label}: {VOTE_LABELS.get(r.vote, r.vote)}"
        + (" (veto)" if bool(getattr(r, "veto", False)) else "")
        for r in d.itertuples()
    )
    return Chart(fig, d, title, subtitle, alt)


def lines_by_year(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    panels: list[str],
    ylabel: str = "agreement with the US (%)",
) -> Chart:
    """Small multiples: one panel per ``panel`` value, one line per ``who``; ``value`` 0..1."""
    fig, axes = plt.subplots(1, len(panels), figsize=(7.4, 4.0), sharey=True, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        d = df[df["panel"] == panel]
        for who, g in d.groupby("who", sort=False):
            g = g.sort_values("year")
            ax.plot(
                g["year"],
                g["value"] * 100,
                marker="o",
                ms=4,
                lw=1.6,
                color=PARTNER_COLORS.get(who, MUTED),
                label=who,
            )
            last = g.iloc[-1]
            ax.annotate(
                who,
                (last["year"], last["value"] * 100),
                xytext=(4, 0),
                textcoords="offset points",
                fontsize=7,
                va="center",
                color=PARTNER_COLORS.get(who, MUTED),
            )
        ax.set_title(panel, fontsize=9, loc="left")
        ax.set_ylim(0, 100)
        years = sorted(d["year"].unique())
        ax.set_xticks(years, [str(y) for y in years])
        ax.grid(axis="y", color="#EEEEEE")
    axes[0][0].set_ylabel(ylabel)
    _finish(fig, title, subtitle, above=0.3)
    alt = f"{title}. " + "; ".join(
        f"{r.panel} {r.who} {r.year}: {r.value * 100:.0f}% (n={int(r.n)})" for r in df.itertuples()
    )
    return Chart(fig, df.reset_index(drop=True), title, subtitle, alt)


def tile_map(
    df: pd.DataFrame,
    tiles: pd.DataFrame,
    *,
    colors: dict[str, str],
    title: str,
    subtitle: str,
    credit: str = "Tile grid layout: Jon Schwabish, PolicyViz (CC BY-SA 4.0)",
) -> Chart:
    """World tile-grid map: one square per Member State coloured by ``category``.

    ``df``: ``iso3``, ``category`` (a key of ``colors``). ``tiles``: ``iso3``, ``col``, ``row``.
    """
    d = tiles.merge(df, on="iso3", how="left")
    d["category"] = d["category"].fillna("no data")
    fig, ax = plt.subplots(figsize=(7.4, 5.4))
    for r in d.itertuples():
        ax.add_patch(
            plt.Rectangle(
                (r.col, -r.row), 0.94, 0.94, color=colors.get(r.category, "#EEEEEE"), lw=0
            )
        )
        ax.text(
            r.col + 0.47, -r.row + 0.47, r.iso3, ha="center", va="center", fontsize=3.6, color=INK
        )
    ax.set_xlim(d["col"].min() - 0.5, d["col"].max() + 1.5)
    ax.set_ylim(-d["row"].max() - 0.5, -d["row"].min() + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    counts = d["category"].value_counts()
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for k, c in colors.items() if k in counts]
    labels = [f"{k} ({counts[k]})" for k in colors if k in counts]
    ax.legend(
        handles,
        labels,
        frameon=False,
        fontsize=7,
        loc="lower left",
        ncol=2,
        bbox_to_anchor=(0, -0.08),
    )
    _finish(fig, title, subtitle + " " + credit, above=0.05)
    fig.subplots_adjust(left=0.0, right=1.0, bottom=0.08)
    alt = f"{title}. " + "; ".join(
        f"{k}: {', '.join(sorted(d.loc[d['category'] == k, 'iso3']))}"
        for k in colors
        if k in counts
    )
    return Chart(fig, d[["iso3", "col", "row", "category"]], title, subtitle, alt)


def bars(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    xlabel: str,
    color_by: str | None = None,
    colors: dict | None = None,
) -> Chart:
    """Horizontal bars ``label`` -> ``value`` (0..1 shown as %), with ``n`` printed beside."""
    d = df.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.2, 0.32 * len(d) + 2.1))
    y = np.arange(len(d))[::-1]
    cols = (
        [(colors or {}).get(v, TOPIC_COLORS["ukraine"]) for v in d[color_by]]
        if color_by
        else TOPIC_COLORS["ukraine"]
    )
    ax.barh(y, d["value"] * 100, color=cols, height=0.7)
    for yi, v, n in zip(y, d["value"], d["n"]):
        ax.text(
            (0 if pd.isna(v) else v * 100) + 1,
            yi,
            f"{_pct(v)} (n={int(n)})",
            va="center",
            fontsize=7,
        )
    ax.set_yticks(y, d["label"], fontsize=7.5)
    ax.set_xlim(0, 112)
    ax.set_xlabel(xlabel)
    _finish(fig, title, subtitle, above=0.1)
    alt = f"{title}. " + "; ".join(
        f"{r['label']}: {_pct(r['value'])} (n={int(r['n'])})" for _, r in d.iterrows()
    )
    return Chart(fig, d, title, subtitle, alt)


def svg_bytes(fig: Figure) -> bytes:
    literal_figure_text(fig)  # a "$" from the data is a dollar, never mathematics
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def save(chart: Chart, name: str, figures_dir: Path | str) -> str:
    """Write ``name.svg`` and ``name.csv`` under ``figures_dir``; return the HTML figure."""
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    svg = svg_bytes(chart.fig)
    plt.close(chart.fig)
    (out / f"{name}.svg").write_bytes(svg)
    write_csv(chart.data, out / f"{name}.csv")
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return (
        f'<figure class="chart" id="fig-{html.escape(name)}">'
        f'<img src="{uri}" alt="{html.escape(chart.alt, quote=True)}"/>'
        f"<figcaption>Data behind this chart: figures/{html.escape(name)}.csv</figcaption>"
        f"</figure>"
    )


def count_bars(df: pd.DataFrame, *, title: str, subtitle: str, xlabel: str) -> Chart:
    """Horizontal bars ``label`` -> ``value`` (a count), largest first, counts printed."""
    d = df.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.2, 0.34 * len(d) + 2.0))
    y = np.arange(len(d))[::-1]
    ax.barh(y, d["value"], color=TOPIC_COLORS["ukraine"], height=0.7)
    for yi, v in zip(y, d["value"]):
        ax.text(v + 0.5, yi, f"{int(v)}", va="center", fontsize=7)
    ax.set_yticks(y, d["label"], fontsize=7.5)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(d["value"].max() * 1.12, 1))
    _finish(fig, title, subtitle, above=0.1)
    alt = f"{title}. " + "; ".join(f"{r['label']}: {int(r['value'])}" for _, r in d.iterrows())
    return Chart(fig, d, title, subtitle, alt)
