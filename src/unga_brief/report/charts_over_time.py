"""Charts along time: the timeline of one state's votes (one mark per vote) and lines by year.

Each takes a tidy DataFrame and returns a :class:`~unga_brief.report.chart_style.Chart`.
"""

from __future__ import annotations

import matplotlib
import matplotlib.dates
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from unga_brief.core.vocab import VOTE_WORDS  # noqa: E402
from unga_brief.report.chart_style import (
    INK,
    MIN_FONT_PT,
    MUTED,
    PARTNER_COLORS,
    SMALL_PT,
    TEXT_PT,
    VOTE_COLORS,
    Chart,
    axis_label,
    chart_figure,
    labels_of,
    two_layouts,
)
from unga_brief.report.words import plural


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


@two_layouts
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
    fig = chart_figure(width, body, title, subtitle)
    ax = fig.add_subplot()
    # the limits first: with autoscaling off, adding a marker no longer rescales the axes over
    # all the markers before it (quadratic in the number of votes)
    ax.set_ylim(-0.8, top + 0.3)
    ax.set_xlim(start, end)
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


def spread_labels(ys: list[float], gap: float, lo: float, hi: float) -> list[float]:
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


@two_layouts
def lines_by_year(
    df: pd.DataFrame,
    *,
    title: str,
    subtitle: str,
    panels: list[str],
    ylabel: str = "agreement with the US (%)",
    few_col: str | None = None,
    colors: dict[str, str] | None = None,
    width: float,
) -> Chart:
    """Small multiples: one panel per ``panel`` value, one line per ``who``; ``value`` 0..1.
    ``colors`` maps a ``who`` to its colour (default: the partners' palette).

    A year that rests on few observations is drawn as what it is: hollow marker, dotted line into
    it, its n printed beside it. "Few" is the data's boolean ``thin`` column (the finding's own
    rule); the n printed is ``few_col``'s, by default ``texts`` when the data has that column
    (the texts behind the point), else ``n``.
    """
    col = few_col or ("texts" if "texts" in df else "n")
    unit = "text" if col == "texts" else "observation"
    phone = width < 5
    fig = chart_figure(width, 3.1 if not phone else 2.6 * len(panels), title, subtitle)
    axes = fig.subplots(len(panels) if phone else 1, 1 if phone else len(panels), squeeze=False)
    axes = axes[:, 0] if phone else axes[0]
    years_all = sorted(df["year"].unique())
    for ax, panel in zip(axes, panels):
        # the limits first: no autoscaling over the lines drawn so far at each new series
        ax.set_ylim(-4, 104)
        ax.set_xlim(min(years_all) - 0.3, max(years_all) + 0.3)
        d = df[df["panel"] == panel]
        ends: list[tuple[str, float, float]] = []
        for who, g in d.groupby("who", sort=False):
            g = g.sort_values("year")
            color = (colors or PARTNER_COLORS).get(who, MUTED)
            x, v = g["year"].to_numpy(), g["value"].to_numpy(dtype=float) * 100
            thin = g["thin"].astype(bool).to_numpy()
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
        ys = spread_labels([e[2] for e in ends], gap=9.5, lo=-2, hi=104)
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
        years = sorted(d["year"].unique()) or years_all
        ax.set_xticks(years, [str(y) for y in years])
        ax.grid(axis="y", color="#EEEEEE")
        ax.set_ylabel(axis_label(ylabel, width) if (phone or ax is axes[0]) else "")
    ex = Line2D([], [], marker="o", ls=":", color=MUTED, markerfacecolor="white", markersize=5)
    fig.legend(
        [ex],
        [f"hollow, dotted: few {unit}s (number shown)"],
        loc="outside lower left",
        frameon=False,
        fontsize=SMALL_PT,
    )
    alt = f"{title}. " + "; ".join(
        f"{r.panel} {r.who} {r.year}: {r.value * 100:.0f}% (n={int(r.n)})" for r in df.itertuples()
    )
    return Chart(fig, df.reset_index(drop=True), title, subtitle, alt)
