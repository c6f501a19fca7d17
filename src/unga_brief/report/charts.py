"""Charts: one vote palette, findings as titles, SVG written deterministically, data beside it.

Every chart function takes a tidy DataFrame and returns a :class:`Chart` (figure, the data drawn,
title = the finding, subtitle = texts, n and source, alt text). :func:`save` writes
``<name>.svg`` (fixed ``svg.hashsalt``, no date) and ``<name>.csv`` and returns the HTML
``<figure>`` the notebooks display: the SVG inline as a data URI with alt text, a second,
narrow layout of the same chart for phones, and the data behind it as a download link — so the
HTML report is self-contained and the PDF crisp.

Print scale. A chart is drawn exactly :data:`PRINT_WIDTH_IN` wide (the A4 text width of the
briefing's stylesheet: 210 mm less two 17 mm margins) and saved without a "tight" bounding box,
so the SVG is printed at 1:1 and every font size below is its size on paper; none is under
:data:`MIN_FONT_PT`.

The package never touches matplotlib's global state: no ``matplotlib.use``, no ``pyplot``, no
``rcParams.update``. Figures are :class:`matplotlib.figure.Figure` objects, and the style
(:data:`STYLE`) is applied inside each chart and each save by :func:`chart_style`, a
``rc_context`` that restores the analyst's settings on exit.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.dates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from unga_brief.core.safe_output import csv_safe, literal_figure_text  # noqa: E402
from unga_brief.core.vocab import VOTE_WORDS  # noqa: E402
from unga_brief.report.words import number, pct, plural

#: The one vote palette, used everywhere. Chosen so that the four categories stay apart for a
#: colour-blind reader: tests/test_charts.py simulates protanopia, deuteranopia and tritanopia
#: (Machado et al. 2009) and checks the smallest CIELAB distance between any two of them.
VOTE_COLORS = {"Y": "#3366AA", "N": "#BB5566", "A": "#DDAA33", "X": "#DDDDDD"}
#: Other series (topics, partners), never reusing a vote colour's meaning on the same chart.
TOPIC_COLORS = {"ukraine": "#3366AA", "gaza": "#EE7733"}
PARTNER_COLORS = {
    "EU": "#3366AA",
    "G7": "#66CCEE",
    "NATO": "#222222",
    "RUS": "#BB5566",
    "CHN": "#DDAA33",
}
#: The colours of the states' Ukraine x Gaza profiles on the tile map (same checks as the votes):
#: a category named here always gets this colour, whatever the caller passes.
PROFILE_COLORS = {
    "Yes on both": VOTE_COLORS["Y"],
    "abstains on Ukraine, Yes on Gaza": VOTE_COLORS["A"],
    "Yes on Ukraine, abstains on Gaza": "#88AADD",
    "mostly No on Ukraine": VOTE_COLORS["N"],
    "mostly No on Gaza": "#551133",
    "other": "#DDDDDD",
}
NO_DATA_COLOR = "#FFFFFF"
INK = "#222222"
MUTED = "#5A5A5A"
SOURCE_UN = (
    "Source: UN Digital Library voting records and the curated sources listed in data/sources.yml"
)

#: A4 width less the stylesheet's two 17 mm page margins (templates/briefing/static/briefing.css).
PRINT_WIDTH_IN = (210 - 2 * 17) / 25.4
#: The tallest chart printed at 1:1 (the stylesheet's ``max-height`` of a figure image in print).
PRINT_MAX_HEIGHT_IN = 225 / 25.4
#: The narrow layout shown on phones (a 390 px screen less the page padding, at 96 px per inch).
PHONE_WIDTH_IN = 3.75
#: The smallest font size any chart uses, in points at print scale (issue 15: nothing under 7).
MIN_FONT_PT = 7.0
TITLE_PT = 11.0
SUBTITLE_PT = 8.0
TEXT_PT = 8.0
SMALL_PT = 7.5

#: The chart style, applied only inside :func:`chart_style` (never to the global rcParams).
STYLE = {
    "svg.hashsalt": "unga-brief",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": TEXT_PT,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
    "axes.labelsize": TEXT_PT,
    "xtick.labelsize": TEXT_PT,
    "ytick.labelsize": TEXT_PT,
    "legend.fontsize": TEXT_PT,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "xtick.color": MUTED,
    "ytick.color": INK,
    "figure.dpi": 100,
    "savefig.bbox": "standard",
    "path.simplify": False,
}


@contextmanager
def chart_style() -> Iterator[None]:
    """The package's chart style for the duration of a block; the caller's rcParams after."""
    with matplotlib.rc_context(STYLE):
        yield


# --- labels -------------------------------------------------------------------------------


def text_tick(short_title: str, date, limit: int = 38) -> str:
    """How a text is named on a chart: its short title (shortened at a word) and month."""
    title = " ".join(str(short_title).split())
    if len(title) > limit:
        title = textwrap.shorten(title, limit, placeholder="\u2026")
    return f"{title} \u00b7 {pd.Timestamp(date):%b %Y}"


def labels_of(df: pd.DataFrame, label: str = "label") -> pd.Series:
    """The labels a chart prints for its rows: the ``label`` column when the data has it, else
    short title + date (``short_title``, ``date``) — never an internal id."""
    if label in df:
        return df[label].astype(str)
    if {"short_title", "date"} <= set(df.columns):
        return pd.Series(
            [text_tick(t, d) for t, d in zip(df["short_title"], df["date"])], index=df.index
        )
    raise ValueError(f"chart data needs a {label!r} column, or short_title and date")


# --- the frame every chart shares: title, subtitle, plot area -------------------------------


@dataclass
class Chart:
    """A finished chart: the figure, the data it draws, its finding, subtitle and alt text.

    ``phone`` redraws the same chart in the narrow layout (set by the chart functions)."""

    fig: Figure
    data: pd.DataFrame
    title: str
    subtitle: str
    alt: str
    phone: Callable[[], Chart] | None = None


def _two_layouts(draw: Callable[..., Chart]) -> Callable[..., Chart]:
    """Draw at print width; keep a recipe for the phone layout (``width=None`` only)."""

    @functools.wraps(draw)
    def chart(*args, width: float | None = None, **kwargs) -> Chart:
        with chart_style():
            made = draw(*args, width=width or PRINT_WIDTH_IN, **kwargs)
        if width is None:
            made.phone = functools.partial(chart, *args, width=PHONE_WIDTH_IN, **kwargs)
        return made

    return chart


def _wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` that fit ``width_in`` at ``size`` pt (DejaVu Sans, a safe average)."""
    em = 0.64 if bold else 0.58
    chars = max(20, int(width_in * 72 / (size * em)))
    return textwrap.wrap(text, chars) or [""]


def _figure(width: float, body_in: float, title: str, subtitle: str) -> Figure:
    """A figure ``width`` inches wide: the title and subtitle on top, ``body_in`` inches of plot
    below them laid out by matplotlib's constrained layout (labels and legends kept inside)."""
    margin = 0.06
    t = _wrap(title, width - 2 * margin, TITLE_PT, bold=True)
    s = _wrap(subtitle, width - 2 * margin, SUBTITLE_PT)
    t_h = len(t) * TITLE_PT * 1.22 / 72
    s_h = len(s) * SUBTITLE_PT * 1.3 / 72
    header = 0.05 + t_h + 0.06 + s_h + 0.08
    height = header + body_in
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0, 1, 1 - header / height), h_pad=0.03, w_pad=0.03)
    fig.text(
        margin / width,
        1 - 0.05 / height,
        "\n".join(t),
        ha="left",
        va="top",
        fontsize=TITLE_PT,
        fontweight="bold",
        color=INK,
        linespacing=1.22,
    )
    fig.text(
        margin / width,
        1 - (0.05 + t_h + 0.06) / height,
        "\n".join(s),
        ha="left",
        va="top",
        fontsize=SUBTITLE_PT,
        color=MUTED,
        linespacing=1.3,
    )
    return fig


def _axis_label(text: str, width: float) -> str:
    """An axis title that fits under a narrow plot (phones: wrapped at ~30 characters)."""
    return text if width > 5 else "\n".join(textwrap.wrap(text, 30))


def vote_legend(ax, codes=("Y", "N", "A", "X"), **kw) -> None:
    handles = [Rectangle((0, 0), 1, 1, color=VOTE_COLORS[c]) for c in codes]
    ax.legend(
        handles,
        [VOTE_WORDS[c] for c in codes],
        ncol=kw.pop("ncol", len(codes)),
        frameon=False,
        loc=kw.pop("loc", "lower left"),
        bbox_to_anchor=kw.pop("bbox_to_anchor", (0, 1.0)),
        borderaxespad=0.2,
        handlelength=1,
        columnspacing=1,
        **kw,
    )


def _ink_on(color: str) -> str:
    """White or ink, whichever reads better on ``color``."""
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else INK


# --- the charts -----------------------------------------------------------------------------


def _two_lines(label: str, limit: int = 24) -> str:
    """``Long short title · Mar 2022`` as ``Long short ti… \\n Mar 2022`` (phone labels)."""
    head, sep, tail = label.rpartition(" \u00b7 ")
    if not sep:
        return "\n".join(textwrap.wrap(label, limit)[:2])
    return textwrap.shorten(head, limit, placeholder="\u2026") + "\n" + tail


@_two_layouts
def stacked_votes(
    counts: pd.DataFrame, *, title: str, subtitle: str, label: str = "label", width: float
) -> Chart:
    """Horizontal stacked bars, one per text (date order, top to bottom).

    ``counts``: ``Y N A X`` (counts); the row label from ``label`` (or ``short_title`` +
    ``date``); optional ``marker`` (a short note put after the bar, e.g. "known in part").
    """
    df = counts.reset_index(drop=True)
    names = labels_of(df, label)
    phone = width < 5
    if phone:  # the title (shortened) over its date, so that the bars keep their width
        names = names.map(_two_lines)
    n = len(df)
    # in print the chart must fit the A4 text box at 1:1, or it would be shrunk below 7 pt:
    # many texts get thinner bars (phones scroll, so their rows keep their height)
    row = 0.4 if phone else min(0.27, (PRINT_MAX_HEIGHT_IN - 2.3) / max(n, 1))
    fig = _figure(width, row * n + 0.95, title, subtitle)
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    total = int(df[list("YNAX")].fillna(0).sum(axis=1).max())
    markers = df["marker"].fillna("").astype(str) if "marker" in df else pd.Series([""] * n)
    room = 1.22 if markers.str.len().gt(0).any() else 1.0
    plot_in = width * (0.62 if width > 5 else 0.5)  # a safe guess of the bar area's width
    for c in "YNAX":
        vals = df[c].fillna(0).to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=VOTE_COLORS[c], height=0.74, label=VOTE_WORDS[c])
        for yi, li, v in zip(y, left, vals):
            if v / (total * room) * plot_in >= 0.24:  # the number fits inside its segment
                ax.text(
                    li + v / 2,
                    yi,
                    number(v),
                    ha="center",
                    va="center",
                    fontsize=SMALL_PT,
                    color=_ink_on(VOTE_COLORS[c]),
                )
        left += vals
    ax.set_yticks(y, names)
    ax.set_xlim(0, total * room)
    ax.set_xticks([t for t in ax.get_xticks() if t <= total])
    ax.set_xlabel(f"Member States ({number(total)})")
    for yi, m in zip(y, markers):
        if m:
            ax.text(total * 1.01, yi, m, va="center", fontsize=SMALL_PT, color=MUTED)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    vote_legend(ax, ncol=2 if phone else 4)
    alt = f"{title}. Stacked bars of Yes, No, Abstain and Non-voting per text: " + "; ".join(
        f"{nm}: {int(r.Y)}-{int(r.N)}-{int(r.A)}-{int(r.X)}"
        for nm, r in zip(names, df.itertuples())
    )
    return Chart(fig, df, title, subtitle, alt)


@_two_layouts
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
    label: str = "label",
    width: float,
) -> Chart:
    """Two rates per row (e.g. abstention on Ukraine vs on Gaza), joined by a line.

    ``df``: ``label``, ``left``/``right`` columns as fractions 0..1 (NaN = not answerable).
    """
    d = df.reset_index(drop=True)
    names = labels_of(d, label)
    n = len(d)
    fig = _figure(width, 0.25 * n + 0.95, title, subtitle)
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    lv, rv = d[left].to_numpy(dtype=float) * 100, d[right].to_numpy(dtype=float) * 100
    for yi, a, b in zip(y, lv, rv):
        if not (np.isnan(a) or np.isnan(b)):
            ax.plot([a, b], [yi, yi], color="#BBBBBB", lw=2, zorder=1)
    ax.scatter(lv, y, color=TOPIC_COLORS["ukraine"], zorder=2, s=30, label=left_label)
    ax.scatter(rv, y, color=TOPIC_COLORS["gaza"], zorder=2, s=30, marker="D", label=right_label)
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 100)
    ax.set_xlabel(_axis_label(xlabel, width))
    ax.grid(axis="x", color="#EEEEEE")
    phone = width < 5  # on a phone the legend hangs from the right, where the axes end
    ax.legend(
        frameon=False,
        ncol=2,
        loc="lower right" if phone else "lower left",
        bbox_to_anchor=(1, 1.0) if phone else (0, 1.0),
        borderaxespad=0.2,
    )
    alt = f"{title}. " + "; ".join(
        f"{nm}: {left_label} {pct(r[left])}, {right_label} {pct(r[right])}"
        for nm, (_, r) in zip(names, d.iterrows())
    )
    return Chart(fig, d, title, subtitle, alt)


@_two_layouts
def heatmap_counts(
    table: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    xlabel: str,
    ylabel: str,
    cmap: str = "Blues",
    width: float,
) -> Chart:
    """Counts of states per cell of a cross-tab (rows x columns), annotated."""
    fig = _figure(width, 0.42 * len(table) + 1.0, title, subtitle)
    ax = fig.add_subplot()
    vals = table.to_numpy(dtype=float)
    top = max(1.0, float(np.nanmax(vals)))
    ax.imshow(vals, cmap=cmap, aspect="auto", vmin=0, vmax=top)
    for (i, j), v in np.ndenumerate(vals):
        ax.text(
            j,
            i,
            number(v),
            ha="center",
            va="center",
            fontsize=9,
            color="white" if v > top * 0.6 else INK,
        )
    cols = [str(c) for c in table.columns]
    rows = [str(r) for r in table.index]
    if width < 5:  # phone: profile words stacked so that five columns fit
        cols = [c.replace(" ", "\n", 1) for c in cols]
    ax.set_xticks(range(table.shape[1]), cols)
    ax.set_yticks(range(table.shape[0]), rows)
    ax.tick_params(length=0)
    ax.set_xlabel(_axis_label(xlabel, width))
    ax.set_ylabel(_axis_label(ylabel, width))
    for s in ax.spines.values():
        s.set_visible(False)
    data = table.reset_index()
    alt = f"{title}. Counts of states: " + "; ".join(
        f"{r} x {c}: {int(table.loc[r, c])}" for r in table.index for c in table.columns
    )
    return Chart(fig, data, title, subtitle, alt)


def _slots(dates: pd.Series, gap_days: float) -> list[int]:
    """Row of each marker in a lane so that no two overlap: a marker goes in the lowest row whose
    last marker is at least ``gap_days`` earlier (dates sorted ascending)."""
    last: list[pd.Timestamp] = []
    rows = []
    for d in dates:
        for k, prev in enumerate(last):
            if (d - prev).days >= gap_days:
                last[k] = d
                rows.append(k)
                break
        else:
            last.append(d)
            rows.append(len(last) - 1)
    return rows


@_two_layouts
def vote_timeline(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    lanes: list[str],
    label: str = "label",
    width: float,
) -> Chart:
    """One marker per vote: x = date, lane = ``lane``, colour = ``vote`` (Y/N/A/X).

    Votes too close in time to be told apart (same day, or nearer than a marker's width) are
    stacked in rows within their lane, so every vote is seen. ``df``: ``date``, ``lane``,
    ``vote``, and ``label`` (or ``short_title``); optional booleans ``veto`` (drawn ringed) and
    ``partial`` (drawn hollow: the roll call is known only in part); optional ``note`` (short
    text drawn above the lane, with a line to its marker).
    """
    d = df.copy()
    d["date"] = pd.to_datetime(d["date"])
    d = d.sort_values(["date"], kind="stable").reset_index(drop=True)
    d["label"] = labels_of(d, label) if (label in d or "short_title" in d) else ""
    for col in ("veto", "partial"):
        d[col] = d[col].fillna(False).astype(bool) if col in d else False
    notes = d["note"].fillna("").astype(str) if "note" in d else pd.Series([""] * len(d))
    start = d["date"].min() - pd.Timedelta(days=20)
    end = d["date"].max() + pd.Timedelta(days=20)
    span = max((end - start).days, 1)
    axes_in = width - (1.45 if width > 5 else 1.25)
    marker_pt = 7.0 if width > 5 else 6.0
    gap = span * (marker_pt * 1.25 / 72) / axes_in
    row_in = marker_pt * 1.25 / 72
    # lanes from the top: each as tall as its highest stack (+ a row for notes)
    d["row"] = 0
    heights = {}
    for lane in lanes:
        sel = d["lane"] == lane
        if sel.any():
            d.loc[sel, "row"] = _slots(d.loc[sel, "date"], gap)
        heights[lane] = int(d.loc[sel, "row"].max() + 1 if sel.any() else 1) + int(
            (notes[sel] != "").any()
        )
    base, y0 = {}, 0.0
    for lane in lanes[::-1]:
        base[lane] = y0
        y0 += heights[lane] + 0.9
    top = y0 - 0.9
    body = top * row_in + 1.0
    fig = _figure(width, body, title, subtitle)
    ax = fig.add_subplot()
    d["y"] = [base[lane] + r for lane, r in zip(d["lane"], d["row"])]
    area = marker_pt**2
    for r in d.itertuples():
        color = VOTE_COLORS.get(r.vote, "#FFFFFF")
        ax.scatter(
            r.date,
            r.y,
            s=area,
            color="white" if r.partial else color,
            edgecolor=color if r.partial else "white",
            linewidth=1.6 if r.partial else 0.5,
            zorder=3,
        )
        if r.veto:
            ax.scatter(r.date, r.y, s=area * 2.6, facecolor="none", edgecolor=INK, lw=1.1, zorder=4)
    for i, note in notes.items():
        if note:
            r = d.loc[i]
            lane_top = base[r["lane"]] + heights[r["lane"]] - 0.4
            ax.annotate(
                note,
                (r["date"], r["y"]),
                xytext=(r["date"], lane_top),
                textcoords="data",
                fontsize=SMALL_PT,
                color=INK,
                ha="right",
                va="center",
                arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 0.6},
            )
    centers = {lane: base[lane] + (heights[lane] - 1) / 2 for lane in lanes}
    lane_names = (
        list(lanes) if width > 5 else [str(lane).replace(" \u00b7 ", "\n") for lane in lanes]
    )
    ax.set_yticks([centers[lane] for lane in lanes], lane_names)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.8, top + 0.3)
    ax.set_xlim(start, end)
    for lane in lanes[:-1]:
        ax.axhline(base[lane] - 0.45, color="#DDDDDD", lw=0.6)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#EEEEEE")
    ax.xaxis.set_major_locator(matplotlib.dates.YearLocator())
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y"))
    # the legend names exactly the marks drawn: the votes present, hollow and ringed if any
    codes = [c for c in "YNAX" if (d["vote"] == c).any()]
    handles = [
        Line2D([], [], marker="o", ls="", color=VOTE_COLORS[c], markersize=marker_pt * 0.9)
        for c in codes
    ]
    names = [VOTE_WORDS[c] for c in codes]
    if d["partial"].any():
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                markerfacecolor="white",
                markeredgecolor=MUTED,
                markeredgewidth=1.6,
                markersize=marker_pt * 0.9,
            )
        )
        names.append("hollow: roll call known in part")
    if d["veto"].any():
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                markerfacecolor="none",
                markeredgecolor=INK,
                markersize=marker_pt * 1.5,
            )
        )
        names.append("ringed: veto")
    ax.legend(
        handles,
        names,
        ncol=len(names) if width > 5 else 2,
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        borderaxespad=0.2,
        handletextpad=0.3,
        columnspacing=0.9,
    )
    alt = f"{title}. " + "; ".join(
        f"{r.date:%Y-%m-%d} {r.label or r.lane}: {VOTE_WORDS.get(r.vote, r.vote)}"
        + (" (veto)" if r.veto else "")
        + (" (roll call known in part)" if r.partial else "")
        for r in d.itertuples()
    )
    return Chart(fig, d.drop(columns=["row", "y"]), title, subtitle, alt)


def _spread(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move label positions apart (keeping their order) so that neighbours are ``gap`` apart."""
    order = np.argsort(ys)
    out = np.array(ys, dtype=float)
    placed = out[order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = placed[-1] - hi if len(placed) else 0
    if overflow > 0:
        placed -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    placed = np.maximum(placed, lo + gap * np.arange(len(placed)))
    out[order] = placed
    return out.tolist()


@_two_layouts
def lines_by_year(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    panels: list[str],
    ylabel: str = "agreement with the US (%)",
    few: int = 3,
    few_col: str | None = None,
    colors: dict[str, str] | None = None,
    width: float,
) -> Chart:
    """Small multiples: one panel per ``panel`` value, one line per ``who``; ``value`` 0..1.
    ``colors`` maps a ``who`` to its colour (default: the partners' palette).

    A year that rests on few observations is drawn as what it is: hollow marker, dotted line into
    it, its n printed beside it. "Few" is the data's boolean ``thin`` column when it has one (the
    finding's own rule), else ``few_col < few``; ``few_col`` defaults to ``texts`` when the data
    has that column (the texts behind the point), else ``n``. The n printed is ``few_col``'s.
    """
    col = few_col or ("texts" if "texts" in df else "n")
    unit = "text" if col == "texts" else "observation"
    phone = width < 5
    fig = _figure(width, 3.1 if not phone else 2.6 * len(panels), title, subtitle)
    axes = fig.subplots(len(panels) if phone else 1, 1 if phone else len(panels), squeeze=False)
    axes = axes[:, 0] if phone else axes[0]
    years_all = sorted(df["year"].unique())
    for ax, panel in zip(axes, panels):
        d = df[df["panel"] == panel]
        ends: list[tuple[str, float, float]] = []
        for who, g in d.groupby("who", sort=False):
            g = g.sort_values("year")
            color = (colors or PARTNER_COLORS).get(who, MUTED)
            x, v = g["year"].to_numpy(), g["value"].to_numpy(dtype=float) * 100
            thin = (g["thin"].astype(bool) if "thin" in g else g[col] < few).to_numpy()
            for i in range(1, len(g)):
                ax.plot(
                    x[i - 1 : i + 1],
                    v[i - 1 : i + 1],
                    color=color,
                    lw=1.6,
                    ls=":" if thin[i] or thin[i - 1] else "-",
                )
            ax.scatter(x[~thin], v[~thin], s=22, color=color, zorder=3)
            ax.scatter(x[thin], v[thin], s=26, facecolor="white", edgecolor=color, lw=1.3, zorder=3)
            for xi, vi, ni in zip(x[thin], v[thin], g[col].to_numpy()[thin]):
                ax.annotate(
                    plural(ni, unit) if col == "texts" else f"n={int(ni)}",
                    (xi, vi),
                    xytext=(0, -9 if vi > 50 else 6),
                    textcoords="offset points",
                    ha="center",
                    va="center",
                    fontsize=MIN_FONT_PT,
                    color=color,
                )
            ends.append((who, float(x[-1]), float(v[-1])))
        # partner names at the right edge, pushed apart so that none overlaps another
        right = max(years_all) + 0.25
        ys = _spread([e[2] for e in ends], gap=9.5, lo=-2, hi=104)
        for (who, xe, ve), yl in zip(ends, ys):
            ax.annotate(
                who,
                (xe, ve),
                xytext=(right, yl),
                textcoords="data",
                fontsize=TEXT_PT,
                va="center",
                ha="left",
                color=(colors or PARTNER_COLORS).get(who, MUTED),
                arrowprops={"arrowstyle": "-", "color": "#BBBBBB", "lw": 0.5}
                if abs(yl - ve) > 3 or xe < max(years_all)
                else None,
            )
        ax.set_title(panel, loc="left")
        ax.set_ylim(-4, 104)
        years = sorted(d["year"].unique()) or years_all
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_xlim(min(years_all) - 0.3, max(years_all) + 0.3)
        ax.grid(axis="y", color="#EEEEEE")
        ax.set_ylabel(_axis_label(ylabel, width) if (phone or ax is axes[0]) else "")
    ex = Line2D([], [], marker="o", ls=":", color=MUTED, markerfacecolor="white", markersize=5)
    fig.legend(
        [ex],
        [
            f"hollow, dotted: a year resting on few {unit}s (their number shown)"
            if "thin" in df
            else f"hollow, dotted: fewer than {few} {unit}s (their number shown)"
        ],
        loc="outside lower left",
        frameon=False,
        fontsize=SMALL_PT,
    )
    alt = f"{title}. " + "; ".join(
        f"{r.panel} {r.who} {r.year}: {r.value * 100:.0f}% (n={int(r.n)})" for r in df.itertuples()
    )
    return Chart(fig, df.reset_index(drop=True), title, subtitle, alt)


@_two_layouts
def tile_map(
    df: pd.DataFrame,
    tiles: pd.DataFrame,
    *,
    colors: dict[str, str],
    title: str,
    subtitle: str,
    credit: str = "Tile grid layout: Jon Schwabish, PolicyViz (CC BY-SA 4.0)",
    width: float,
) -> Chart:
    """World tile-grid map: one square per Member State coloured by ``category``.

    ``df``: ``iso3``, ``category`` (a key of ``colors``; legend in that order; a category named
    in :data:`PROFILE_COLORS` takes that colour). ``tiles``: ``iso3``, ``col``, ``row``. In print
    every square carries its ISO code; the phone layout has no codes (the states of each
    category are named in the alt text and the table beside the map).
    """
    colors = {k: PROFILE_COLORS.get(k, v) for k, v in colors.items()}
    d = tiles.merge(df, on="iso3", how="left")
    d["category"] = d["category"].fillna("no data")
    cols = d["col"].max() - d["col"].min() + 1
    rows = d["row"].max() - d["row"].min() + 1
    tile_in = (width - 0.1) / cols
    legend_rows = int(np.ceil((len(colors) + 1) / (2 if width > 5 else 1)))
    fig = _figure(width, rows * tile_in + 0.2 * legend_rows + 0.2, title, subtitle + " " + credit)
    ax = fig.add_subplot()
    label = width > 5
    for r in d.itertuples():
        fill = colors.get(r.category, NO_DATA_COLOR)
        ax.add_patch(
            Rectangle(
                (r.col, -r.row),
                0.94,
                0.94,
                facecolor=fill,
                edgecolor="#999999" if fill == NO_DATA_COLOR else "none",
                lw=0.5,
            )
        )
        if label:
            ax.text(
                r.col + 0.47,
                -r.row + 0.45,
                r.iso3,
                ha="center",
                va="center",
                fontsize=MIN_FONT_PT,
                color=_ink_on(fill),
            )
    ax.set_xlim(d["col"].min() - 0.05, d["col"].max() + 1.0)
    ax.set_ylim(-d["row"].max() - 0.05, -d["row"].min() + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    counts = d["category"].value_counts()
    keys = [k for k in colors if k in counts] + (["no data"] if "no data" in counts else [])
    handles = [
        Rectangle(
            (0, 0),
            1,
            1,
            facecolor=colors.get(k, NO_DATA_COLOR),
            edgecolor="#999999" if k == "no data" else "none",
        )
        for k in keys
    ]
    fig.legend(
        handles,
        [f"{k} ({counts[k]})" for k in keys],
        frameon=False,
        loc="outside lower left",
        ncol=2 if width > 5 else 1,
        handlelength=1.2,
    )
    alt = f"{title}. " + "; ".join(
        f"{k}: {', '.join(sorted(d.loc[d['category'] == k, 'iso3']))}" for k in keys
    )
    return Chart(fig, d[["iso3", "col", "row", "category"]], title, subtitle, alt)


@_two_layouts
def bars(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    xlabel: str,
    color_by: str | None = None,
    colors: dict | None = None,
    label: str = "label",
    width: float,
) -> Chart:
    """Horizontal bars ``label`` -> ``value`` (0..1 shown as %), with ``n`` printed beside."""
    d = df.reset_index(drop=True)
    names = labels_of(d, label)
    fig = _figure(width, 0.27 * len(d) + 0.75, title, subtitle)
    ax = fig.add_subplot()
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
            f"{pct(v)} (n={number(n)})",
            va="center",
            fontsize=SMALL_PT,
        )
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", length=0)
    ax.set_xlim(0, 135 if width < 5 else 120)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel(_axis_label(xlabel, width))
    alt = f"{title}. " + "; ".join(
        f"{nm}: {pct(r['value'])} (n={number(r['n'])})" for nm, (_, r) in zip(names, d.iterrows())
    )
    return Chart(fig, d, title, subtitle, alt)


@_two_layouts
def count_bars(
    df: pd.DataFrame, *, title: str, subtitle: str, xlabel: str, label: str = "label", width: float
) -> Chart:
    """Horizontal bars ``label`` -> ``value`` (a count), largest first, counts printed."""
    d = df.reset_index(drop=True)
    names = labels_of(d, label)
    row_in = 0.27
    if width < 5:  # phone: a long label over several lines, each row as tall as its label
        names = names.map(lambda s: "\n".join(textwrap.wrap(s, 26)))
        row_in = max(0.3, 0.135 * max(n.count("\n") + 1 for n in names) + 0.08)
    fig = _figure(width, row_in * len(d) + 0.75, title, subtitle)
    ax = fig.add_subplot()
    y = np.arange(len(d))[::-1]
    ax.barh(y, d["value"], color=TOPIC_COLORS["ukraine"], height=0.7)
    for yi, v in zip(y, d["value"]):
        ax.text(v + 0.5, yi, number(v), va="center", fontsize=SMALL_PT)
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(_axis_label(xlabel, width))
    ax.set_xlim(0, max(d["value"].max() * 1.15, 1))
    alt = f"{title}. " + "; ".join(f"{nm}: {number(v)}" for nm, v in zip(names, d["value"]))
    return Chart(fig, d, title, subtitle, alt)


@_two_layouts
def scatter_diagonal(
    df: pd.DataFrame,
    *,
    x: str,
    y: str,
    title: str,
    subtitle: str,
    xlabel: str,
    ylabel: str,
    named: str = "named",
    label: str = "label",
    color: str = TOPIC_COLORS["ukraine"],
    width: float,
) -> Chart:
    """One dot per row (``x`` against ``y``, fractions 0..1) with the diagonal ``y = x``; rows
    whose ``named`` column is true carry their ``label``."""
    d = df.reset_index(drop=True)
    side = min(width * 0.62, 3.4)
    fig = _figure(width, side + 0.5, title, subtitle)
    ax = fig.add_subplot()
    xs, ys = d[x].to_numpy(dtype=float) * 100, d[y].to_numpy(dtype=float) * 100
    xmax = float(min(100.0, max(25.0, np.nanmax(xs) * 1.15 if len(xs) else 25.0)))
    ax.plot([0, xmax], [0, xmax], color="#BBBBBB", lw=1, ls="--", zorder=1)
    ax.scatter(xs, ys, s=12, color=color, alpha=0.55, lw=0, zorder=2)
    if named in d:  # the named states listed at the right, pushed apart, a thin line to each dot
        pick = d[named].astype(bool).to_numpy()
        ax.scatter(xs[pick], ys[pick], s=22, color=color, zorder=3)
        order = np.argsort(-ys[pick])
        px, py = xs[pick][order], ys[pick][order]
        labs = d.loc[pick, label].to_numpy()[order]
        spots = _spread(list(py), gap=7.0, lo=2, hi=100)
        for xi, yi, nm, yl in zip(px, py, labs, spots):
            ax.annotate(
                str(nm),
                (xi, yi),
                xytext=(xmax * 0.62, yl),
                textcoords="data",
                va="center",
                fontsize=SMALL_PT,
                color=INK,
                arrowprops={"arrowstyle": "-", "color": "#BBBBBB", "lw": 0.5},
            )
    ax.set_xlim(-1, xmax)
    ax.set_ylim(-2, 102)
    ax.set_xlabel(_axis_label(xlabel, width))
    ax.set_ylabel(_axis_label(ylabel, width))
    ax.grid(color="#EEEEEE")
    alt = (
        f"{title}. "
        + "; ".join(
            f"{r[label]}: {r[x] * 100:.0f}% vs {r[y] * 100:.0f}%"
            for _, r in d[d[named].astype(bool)].iterrows()
        )
        if named in d
        else title
    )
    return Chart(fig, d, title, subtitle, alt)


# --- writing --------------------------------------------------------------------------------


def svg_bytes(fig: Figure, title: str | None = None) -> bytes:
    """The figure as SVG, exactly its size (no tight box), the same bytes for the same data;
    ``title`` goes into the SVG's metadata (the annex lists charts by it)."""
    literal_figure_text(fig)  # a "$" from the data is a dollar, never mathematics
    buf = io.BytesIO()
    meta = {"Date": None, "Creator": None} | ({"Title": title} if title else {})
    with chart_style():
        fig.savefig(buf, format="svg", metadata=meta)
    return buf.getvalue()


def _data_uri(kind: str, payload: bytes) -> str:
    return f"data:{kind};base64," + base64.b64encode(payload).decode("ascii")


def save(chart: Chart, name: str, figures_dir: Path | str) -> str:
    """Write ``name.svg`` and ``name.csv`` under ``figures_dir``; return the HTML figure.

    The figure shows the print layout, and the phone layout on screens narrower than 600 px
    (``<picture>``); its caption links the data behind the chart (the CSV, inline)."""
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    svg = svg_bytes(chart.fig, chart.title)
    (out / f"{name}.svg").write_bytes(svg)
    csv = csv_safe(chart.data).to_csv(index=False, lineterminator="\n")
    (out / f"{name}.csv").write_text(csv, encoding="utf-8")
    source = ""
    if chart.phone is not None:
        narrow = svg_bytes(chart.phone().fig)
        source = (
            f'<source media="(max-width: 599px)" srcset="{_data_uri("image/svg+xml", narrow)}"/>'
        )
    e = html.escape(name)
    return (
        f'<figure class="chart" id="fig-{e}">'
        f"<picture>{source}"
        f'<img src="{_data_uri("image/svg+xml", svg)}" alt="{html.escape(chart.alt, quote=True)}"/>'
        f"</picture>"
        f'<figcaption>Data behind this chart: <a class="data-link" download="{e}.csv" '
        f'href="{_data_uri("text/csv", csv.encode("utf-8"))}">{e}.csv</a> '
        f"(<code>figures/{e}.csv</code>, {number(len(chart.data))} rows)</figcaption>"
        f"</figure>"
    )
