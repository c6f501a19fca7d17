"""The briefing's charts other than those along time: stacked votes, dumbbells, heat maps, the
tile map, bars and the diagonal scatter.

Every chart function takes a tidy DataFrame and returns a
:class:`~unga_brief.report.chart_style.Chart` (figure, the data drawn, title = the finding,
subtitle = texts, n and source, alt text); :func:`~unga_brief.report.chart_style.save` writes it.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from unga_brief.core.vocab import VOTE_WORDS  # noqa: E402
from unga_brief.report.chart_style import (
    INK,
    MIN_FONT_PT,
    MUTED,
    NO_DATA_COLOR,
    PRINT_MAX_HEIGHT_IN,
    PROFILE_COLORS,
    SMALL_PT,
    TOPIC_COLORS,
    VOTE_COLORS,
    Chart,
    axis_label,
    chart_figure,
    ink_on,
    labels_of,
    two_layouts,
    two_lines,
    vote_legend,
)
from unga_brief.report.charts_over_time import spread_labels
from unga_brief.report.words import number, pct


@two_layouts
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
        names = names.map(two_lines)
    n = len(df)
    # in print the chart must fit the A4 text box at 1:1, or it would be shrunk below 7 pt:
    # many texts get thinner bars (phones scroll, so their rows keep their height)
    row = 0.4 if phone else min(0.27, (PRINT_MAX_HEIGHT_IN - 2.3) / max(n, 1))
    fig = chart_figure(width, row * n + 0.95, title, subtitle)
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
                    color=ink_on(VOTE_COLORS[c]),
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


@two_layouts
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
    fig = chart_figure(width, 0.25 * n + 0.95, title, subtitle)
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
    ax.set_xlabel(axis_label(xlabel, width))
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


@two_layouts
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
    fig = chart_figure(width, 0.42 * len(table) + 1.0, title, subtitle)
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
            in_layout=False,  # centred in its cell, so inside the axes: nothing to lay out
        )
    cols = [str(c) for c in table.columns]
    rows = [str(r) for r in table.index]
    if width < 5:  # phone: profile words stacked so that five columns fit
        cols = [c.replace(" ", "\n", 1) for c in cols]
    ax.set_xticks(range(table.shape[1]), cols)
    ax.set_yticks(range(table.shape[0]), rows)
    ax.tick_params(length=0)
    ax.set_xlabel(axis_label(xlabel, width))
    ax.set_ylabel(axis_label(ylabel, width))
    for s in ax.spines.values():
        s.set_visible(False)
    data = table.reset_index()
    alt = f"{title}. Counts of states: " + "; ".join(
        f"{r} x {c}: {int(table.loc[r, c])}" for r in table.index for c in table.columns
    )
    return Chart(fig, data, title, subtitle, alt)


@two_layouts
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
    fig = chart_figure(
        width, rows * tile_in + 0.2 * legend_rows + 0.2, title, subtitle + " " + credit
    )
    ax = fig.add_subplot()
    label = width > 5
    # the limits are set below, so the tiles need not update the data limits one by one
    # (add_artist is add_patch less that; the same clip, the same order)
    for r in d.itertuples():
        fill = colors.get(r.category, NO_DATA_COLOR)
        ax.add_artist(
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
                color=ink_on(fill),
                in_layout=False,  # inside its tile, so inside the axes: nothing to lay out
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


@two_layouts
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
    fig = chart_figure(width, 0.27 * len(d) + 0.75, title, subtitle)
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
    ax.set_xlabel(axis_label(xlabel, width))
    alt = f"{title}. " + "; ".join(
        f"{nm}: {pct(r['value'])} (n={number(r['n'])})" for nm, (_, r) in zip(names, d.iterrows())
    )
    return Chart(fig, d, title, subtitle, alt)


@two_layouts
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
    fig = chart_figure(width, row_in * len(d) + 0.75, title, subtitle)
    ax = fig.add_subplot()
    y = np.arange(len(d))[::-1]
    ax.barh(y, d["value"], color=TOPIC_COLORS["ukraine"], height=0.7)
    for yi, v in zip(y, d["value"]):
        ax.text(v + 0.5, yi, number(v), va="center", fontsize=SMALL_PT)
    ax.set_yticks(y, names)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel(axis_label(xlabel, width))
    ax.set_xlim(0, max(d["value"].max() * 1.15, 1))
    alt = f"{title}. " + "; ".join(f"{nm}: {number(v)}" for nm, v in zip(names, d["value"]))
    return Chart(fig, d, title, subtitle, alt)


@two_layouts
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
    fig = chart_figure(width, side + 0.5, title, subtitle)
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
        spots = spread_labels(list(py), gap=7.0, lo=2, hi=100)
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
    ax.set_xlabel(axis_label(xlabel, width))
    ax.set_ylabel(axis_label(ylabel, width))
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
