"""Charts: legible in print, separable by a colour-blind reader, labelled in words, and drawn
without touching the analyst's matplotlib state (issues 10.5 and 15.3-4).

Every chart function is drawn here on small hand-built frames, in its print and its phone layout.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from svg_print import print_box_pt, printed_texts

from unga_brief.report import chart_style, charts, charts_over_time
from unga_brief.report.finding import THIN_TEXTS

ROOT = Path(__file__).resolve().parents[1]

# --- colour-vision deficiency: Machado, Oliveira & Fernandes (2009), severity 1.0 -------------
# Matrices applied to linear RGB (as in their paper's supplementary material).
MACHADO = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
#: Smallest CIELAB distance (Delta E 1976) between two categories as any of these readers sees
#: them. 20 is "clearly different colours" side by side; the Tol "bright" vote colours the
#: briefing used before this check reach only 19 under tritanopia (Abstain vs Non-voting).
MIN_DELTA_E = 20.0


def _linear(hex_color: str) -> np.ndarray:
    c = np.array([int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    rgb = np.clip(linear_rgb, 0, 1)
    xyz = (
        np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
        @ rgb
    )
    r = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(r > (6 / 29) ** 3, np.cbrt(r), r / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(palette: dict[str, str], vision: str) -> tuple[float, str, str]:
    """The two categories of ``palette`` nearest to each other as ``vision`` sees them."""
    seen = {
        k: _lab(_linear(c) if vision == "normal" else MACHADO[vision] @ _linear(c))
        for k, c in palette.items()
    }
    return min(
        (float(np.linalg.norm(seen[a] - seen[b])), a, b) for a, b in itertools.combinations(seen, 2)
    )


def test_simulation_tells_red_from_green_only_with_normal_vision() -> None:
    # the check can fail: pure red and green are far apart normally, close for a deuteranope
    red_green = {"red": "#D62728", "green": "#2CA02C"}
    assert closest_pair(red_green, "normal")[0] > 60
    assert closest_pair(red_green, "deuteranopia")[0] < MIN_DELTA_E


@pytest.mark.parametrize("vision", ["normal", *MACHADO])
@pytest.mark.parametrize(
    "palette_name", ["VOTE_COLORS", "PROFILE_COLORS", "PARTNER_COLORS", "TOPIC_COLORS"]
)
def test_palettes_stay_separable_for_colour_blind_readers(vision: str, palette_name: str) -> None:
    palette = getattr(chart_style, palette_name)
    dist, a, b = closest_pair(palette, vision)
    assert dist >= MIN_DELTA_E, f"{palette_name} under {vision}: {a} vs {b} only {dist:.1f} apart"


def test_profile_colours_reuse_the_vote_colours_for_the_same_meaning() -> None:
    assert chart_style.PROFILE_COLORS["Yes on both"] == chart_style.VOTE_COLORS["Y"]
    assert (
        chart_style.PROFILE_COLORS["abstains on Ukraine, Yes on Gaza"]
        == chart_style.VOTE_COLORS["A"]
    )


# --- hand-built frames for every chart ----------------------------------------------------------

TEXTS = pd.DataFrame(
    {
        "text_id": ["ga-es11-01", "ga-es11-02", "ga-es11-03"],
        "short_title": [
            "Aggression against Ukraine",
            "Humanitarian consequences of the aggression against Ukraine",
            "Suspension of the Russian Federation from the Human Rights Council",
        ],
        "date": pd.to_datetime(["2022-03-02", "2022-03-24", "2022-04-07"]),
        "Y": [141, 140, 93],
        "N": [5, 5, 24],
        "A": [35, 38, 58],
        "X": [12, 10, 18],
        "marker": ["", "known in part", ""],
    }
)


def _timeline() -> pd.DataFrame:
    # six Council votes on one day, two Assembly votes on one day, one veto, one partial roll call
    day = pd.Timestamp("2024-12-20")
    rows = [("Council · Gaza", day, v, i == 0, False) for i, v in enumerate("NNAYNA")]
    rows += [
        ("Assembly · Gaza", day, "N", False, False),
        ("Assembly · Gaza", day, "A", False, True),
    ]
    rows += [("Assembly · Ukraine", pd.Timestamp("2022-03-02"), "Y", False, False)]
    return pd.DataFrame(
        {
            "lane": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "vote": [r[2] for r in rows],
            "veto": [r[3] for r in rows],
            "partial": [r[4] for r in rows],
            "short_title": [f"Text number {i}" for i in range(len(rows))],
            "note": [""] * (len(rows) - 1) + ["first"],
        }
    )


def _lines() -> pd.DataFrame:
    rows = []
    for panel, who, year, value, n in [
        ("Ukraine texts", "EU", 2022, 1.0, 162),
        ("Ukraine texts", "EU", 2023, 0.98, 54),
        ("Ukraine texts", "NATO", 2022, 0.99, 180),
        ("Ukraine texts", "NATO", 2023, 0.97, 60),
        ("Ukraine texts", "CHN", 2022, 0.25, 6),
        ("Ukraine texts", "CHN", 2023, 1.0, 1),
        ("Gaza texts", "EU", 2023, 0.3, 54),
        ("Gaza texts", "RUS", 2023, 0.0, 2),
    ]:
        rows.append({"panel": panel, "who": who, "year": year, "value": value, "n": n})
    return pd.DataFrame(rows).assign(thin=lambda d: d["n"] < THIN_TEXTS)


def _tiles() -> tuple[pd.DataFrame, pd.DataFrame]:
    tiles = pd.DataFrame(
        {
            "iso3": ["USA", "RUS", "CHN", "IND", "BRA"],
            "col": [1, 28, 25, 22, 8],
            "row": [3, 2, 7, 9, 16],
        }
    )
    cats = pd.DataFrame(
        {
            "iso3": ["USA", "RUS", "CHN", "IND"],
            "category": [
                "mostly No on Gaza",
                "mostly No on Ukraine",
                "other",
                "abstains on Ukraine, Yes on Gaza",
            ],
        }
    )
    return cats, tiles


LONG = "A finding as long as the briefing's longest title, which runs over two lines " * 2


def every_chart(width: float | None = None) -> dict[str, chart_style.Chart]:
    kw = {} if width is None else {"width": width}
    cats, tiles = _tiles()
    crosstab = pd.DataFrame(
        [[96, 11, 17], [8, 0, 0], [43, 0, 3]],
        index=["mostly Yes", "mostly No", "mostly Abstain"],
        columns=["mostly Yes", "mostly No", "mostly Abstain"],
    )
    groups = pd.DataFrame(
        {"label": ["All members", "African"], "u": [0.34, 0.56], "g": [0.12, 0.1]}
    )
    bars = pd.DataFrame(
        {
            "label": ["Ukraine · 2017 method", "Gaza · 2017 method"],
            "value": [0.73, 0.12],
            "n": [2447, 3303],
            "topic": ["ukraine", "gaza"],
        }
    )
    return {
        "stacked_votes": charts.stacked_votes(
            TEXTS.drop(columns=["text_id"]), title=LONG, subtitle=LONG, **kw
        ),
        "dumbbell": charts.dumbbell(
            groups,
            left="u",
            right="g",
            left_label="Ukraine",
            right_label="Gaza",
            title=LONG,
            subtitle=LONG,
            **kw,
        ),
        "heatmap_counts": charts.heatmap_counts(
            crosstab,
            title=LONG,
            subtitle=LONG,
            xlabel="Gaza profile",
            ylabel="Ukraine profile",
            **kw,
        ),
        "vote_timeline": charts_over_time.vote_timeline(
            _timeline(),
            lanes=["Assembly · Ukraine", "Assembly · Gaza", "Council · Gaza"],
            title=LONG,
            subtitle=LONG,
            **kw,
        ),
        "lines_by_year": charts_over_time.lines_by_year(
            _lines(), panels=["Ukraine texts", "Gaza texts"], title=LONG, subtitle=LONG, **kw
        ),
        "tile_map": charts.tile_map(
            cats,
            tiles,
            colors={k: "#000000" for k in chart_style.PROFILE_COLORS},
            title=LONG,
            subtitle=LONG,
            **kw,
        ),
        "bars": charts.bars(
            bars,
            title=LONG,
            subtitle=LONG,
            xlabel="coincidence (%)",
            color_by="topic",
            colors=chart_style.TOPIC_COLORS,
            **kw,
        ),
        "count_bars": charts.count_bars(
            pd.DataFrame({"label": ["ES-11/3 → ES-11/4: Abstain→Yes"], "value": [41]}),
            title=LONG,
            subtitle=LONG,
            xlabel="states",
            **kw,
        ),
    }


@pytest.fixture(scope="module")
def drawn() -> dict[str, chart_style.Chart]:
    return every_chart()


def test_every_chart_prints_no_text_under_seven_points(drawn, tmp_path: Path) -> None:
    for key, chart in drawn.items():
        chart_style.save(chart, key, tmp_path)
        texts = printed_texts(tmp_path / f"{key}.svg")
        assert texts, key
        smallest = min(texts, key=lambda t: t.size_pt)
        assert smallest.size_pt >= 7.0 - 1e-6, (
            f"{key}: {smallest.text!r} at {smallest.size_pt:.1f} pt"
        )


def test_a_chart_of_many_texts_still_prints_at_full_size(tmp_path: Path) -> None:
    many = pd.concat([TEXTS] * 15, ignore_index=True)  # 45 texts
    chart = charts.stacked_votes(many, title=LONG, subtitle=LONG)
    _, box_h = print_box_pt()
    assert chart.fig.get_size_inches()[1] * 72 <= box_h
    chart_style.save(chart, "many", tmp_path)
    assert min(t.size_pt for t in printed_texts(tmp_path / "many.svg")) >= 7.0 - 1e-6


def test_charts_are_drawn_at_the_print_width(drawn, tmp_path: Path) -> None:
    box_w, _ = print_box_pt()
    for key, chart in drawn.items():
        w, _h = chart.fig.get_size_inches()
        assert w * 72 == pytest.approx(box_w, abs=0.5), key


def _outside(fig) -> list[str]:
    """Texts of ``fig`` that stick out of the figure (they would be cut off in the SVG)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays out the constrained layout
    renderer = canvas.get_renderer()
    box = fig.bbox
    bad = []
    ticks = {
        id(label)
        for ax in fig.axes
        for axis in (ax.xaxis, ax.yaxis)
        for tick in axis.majorTicks + axis.minorTicks
        for label in (tick.label1, tick.label2)
    }
    shown_ticks = [  # only the ticks inside the axis limits are drawn
        label
        for ax in fig.axes
        if ax.axison
        for axis in (ax.xaxis, ax.yaxis)
        for loc, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels())
        if min(axis.get_view_interval()) - 1e-9 <= loc <= max(axis.get_view_interval()) + 1e-9
    ]
    texts = [t for t in fig.findobj(matplotlib.text.Text) if id(t) not in ticks] + shown_ticks
    for t in texts:
        if not t.get_visible() or not t.get_text().strip():
            continue
        e = t.get_window_extent(renderer)
        if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1 or e.y1 > box.y1 + 1:
            bad.append(t.get_text()[:40])
    return bad


def wordy_charts() -> dict[str, chart_style.Chart]:
    """Charts with the longest labels the briefing prints (groups with their n, series pairs)."""
    groups = pd.DataFrame(
        {
            "label": [f"ARAB_LEAGUE (n={i}1,242/3,392)" for i in range(4)],
            "u": [0.1, 0.5, 0.9, 0.3],
            "g": [0.2] * 4,
        }
    )
    return {
        "wordy dumbbell": charts.dumbbell(
            groups,
            left="u",
            right="g",
            left_label="Ukraine texts",
            right_label="Gaza texts",
            title="t",
            subtitle="s",
        ),
    }


@pytest.mark.parametrize("layout", ["print", "phone"])
def test_no_chart_text_is_cut_off_at_the_edges(drawn, layout: str) -> None:
    for key, chart in {**drawn, **wordy_charts()}.items():
        fig = chart.fig if layout == "print" else chart.phone().fig
        assert _outside(fig) == [], key


@pytest.mark.parametrize("layout", ["print", "phone"])
def test_row_labels_do_not_overlap(drawn, layout: str) -> None:
    long = " · Oct 2022 → Remedy and reparation for aggression against Ukraine · Nov 2022: Yes to Abstain"
    wordy = charts.count_bars(
        pd.DataFrame({"label": [f"Text {i}{long}" for i in range(6)], "value": range(6, 0, -1)}),
        title="t",
        subtitle="s",
        xlabel="x",
    )
    for key, chart in {**drawn, "wordy count_bars": wordy}.items():
        fig = chart.fig if layout == "print" else chart.phone().fig
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        r = canvas.get_renderer()
        for ax in fig.axes:
            boxes = [t.get_window_extent(r) for t in ax.get_yticklabels() if t.get_text()]
            for a, b in itertools.combinations(boxes, 2):
                assert not a.overlaps(b), key


def test_phone_layout_is_narrow_and_no_smaller_in_type(drawn, tmp_path: Path) -> None:
    for key, chart in drawn.items():
        phone = chart.phone()
        assert phone.fig.get_size_inches()[0] == pytest.approx(chart_style.PHONE_WIDTH_IN)
        assert phone.phone is None
        sizes = [t.get_fontsize() for t in phone.fig.findobj(matplotlib.text.Text) if t.get_text()]
        assert min(sizes) >= chart_style.MIN_FONT_PT, key


def test_texts_are_labelled_by_short_title_and_date_never_by_id(drawn) -> None:
    chart = drawn["stacked_votes"]
    ticks = [t.get_text() for t in chart.fig.axes[0].get_yticklabels()]
    assert ticks[0].startswith("Aggression against Ukraine") and ticks[0].endswith("Mar 2022")
    assert not any("ga-es11" in t for t in ticks)
    assert "ga-es11" not in chart.alt
    # a label column, when given, wins
    labelled = charts.stacked_votes(TEXTS.assign(label=["a", "b", "c"]), title="t", subtitle="s")
    assert [t.get_text() for t in labelled.fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="short_title and date"):
        charts.stacked_votes(TEXTS.drop(columns=["short_title"]), title="t", subtitle="s")


def test_timeline_draws_one_marker_per_vote_without_overlap(drawn) -> None:
    chart = drawn["vote_timeline"]
    ax = chart.fig.axes[0]
    votes = chart.data  # in drawing order
    # one marker per vote, plus one (larger) ring per veto
    points = [c for c in ax.collections if len(c.get_offsets())]
    assert len(points) == len(votes) + int(votes["veto"].sum())
    smallest = min(c.get_sizes()[0] for c in points)
    marks = [c for c in points if c.get_sizes()[0] == smallest]
    assert len(marks) == len(votes)
    # the same-day votes of a lane sit at distinct heights
    ys = votes.assign(y=[float(c.get_offsets()[0][1]) for c in marks])
    for (_lane, _date), g in ys.groupby(["lane", "date"]):
        assert g["y"].is_unique, g
    # partial roll calls are hollow (white face), as the legend says
    faces = [c.get_facecolor()[0][:3].tolist() for c in marks]
    partial = votes["partial"].to_numpy()
    assert all(f == [1.0, 1.0, 1.0] for f, p in zip(faces, partial) if p)
    assert not any(f == [1.0, 1.0, 1.0] for f, p in zip(faces, partial) if not p)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("hollow" in t for t in legend) and any("veto" in t for t in legend)
    assert "Non-voting" not in legend  # no such vote in the data: no such legend entry
    plain = charts_over_time.vote_timeline(
        votes.assign(veto=False, partial=False),
        lanes=sorted(set(votes["lane"])),
        title="t",
        subtitle="s",
    )
    legend = [t.get_text() for t in plain.fig.axes[0].get_legend().get_texts()]
    assert not any("hollow" in t or "veto" in t for t in legend)


def test_slots_stack_votes_closer_than_a_marker() -> None:
    dates = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03", "2024-03-01"]))
    assert charts_over_time._slots(dates, gap_days=10) == [0, 1, 2, 0]


def test_few_text_years_are_hollow_and_show_their_n(drawn) -> None:
    chart = drawn["lines_by_year"]
    texts = [t.get_text() for t in chart.fig.findobj(matplotlib.text.Text)]
    few = _lines()[_lines()["n"] < THIN_TEXTS]
    assert len(few)  # the fixture has thin years to show
    for n in few["n"]:
        assert f"n={n}" in texts
    assert not any(t == f"n={n}" for n in _lines()[_lines()["n"] >= THIN_TEXTS]["n"] for t in texts)


def test_few_text_years_follow_the_findings_thin_column_and_count_texts() -> None:
    data = _lines().assign(
        texts=[9, 3, 9, 3, 6, 1, 4, 2], thin=[False, True, False, False, False, True, False, True]
    )
    chart = charts_over_time.lines_by_year(
        data, panels=["Ukraine texts", "Gaza texts"], title="t", subtitle="s"
    )
    texts = {t.get_text() for t in chart.fig.findobj(matplotlib.text.Text)}
    assert {"3 texts", "1 text", "2 texts"} <= texts  # the thin points, by their texts
    assert not any(t in texts for t in ("9 texts", "6 texts", "4 texts"))  # the others: no label


def test_partner_labels_do_not_overlap(drawn) -> None:
    chart = drawn["lines_by_year"]
    fig = chart.fig
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    for ax in fig.axes:
        names = [t for t in ax.texts if t.get_text() in chart_style.PARTNER_COLORS]
        boxes = [matplotlib.text.Text.get_window_extent(t, r) for t in names]  # not the arrow
        for a, b in itertools.combinations(boxes, 2):
            assert not a.overlaps(b)


def test_spread_keeps_order_and_gap() -> None:
    out = charts_over_time.spread_labels([64, 63, 62, 100, 0], gap=9, lo=-2, hi=104)
    assert sorted(out, key=lambda v: v) == sorted(out)
    s = sorted(out)
    assert all(b - a >= 9 - 1e-9 for a, b in zip(s, s[1:]))
    assert out[3] <= 104


def test_saved_figure_links_its_data_and_has_a_phone_layout(drawn, tmp_path: Path) -> None:
    html = chart_style.save(drawn["bars"], "coincidence", tmp_path)
    assert (tmp_path / "coincidence.csv").read_text().startswith("label,value,n")
    assert 'download="coincidence.csv"' in html and 'href="data:text/csv;base64,' in html
    assert '<source media="(max-width: 599px)"' in html
    assert "figures/coincidence.csv" in html


# --- the analyst's matplotlib is left alone (issue 10.5) --------------------------------------

STATE_PROBE = textwrap.dedent(
    """
    import matplotlib
    backend = matplotlib.get_backend()
    before = dict(matplotlib.rcParams)
    import unga_brief, unga_brief.report.charts as charts, unga_brief.report.chart_style as chart_style, unga_brief.report.context, unga_brief.report.briefing
    import pandas as pd
    chart = charts.count_bars(pd.DataFrame({"label": ["a"], "value": [3]}), title="t", subtitle="s", xlabel="x")
    chart_style.save(chart, "probe", r"{out}")
    after = dict(matplotlib.rcParams)
    changed = sorted(k for k in before if str(before[k]) != str(after[k]))
    assert matplotlib.get_backend() == backend, (backend, matplotlib.get_backend())
    assert not changed, changed
    print("unchanged", backend)
    """
)


@pytest.mark.parametrize("backend", ["", "svg"])
def test_package_leaves_backend_and_rcparams_alone(tmp_path: Path, backend: str) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if backend:
        env["MPLBACKEND"] = backend
    probe = STATE_PROBE.replace("{out}", str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("unchanged")
    assert (tmp_path / "probe.svg").is_file()


def test_package_source_never_sets_global_matplotlib_state() -> None:
    src = "\n".join(p.read_text() for p in (ROOT / "src" / "unga_brief").rglob("*.py"))
    for forbidden in (
        "matplotlib.use(",
        "import matplotlib.pyplot",
        "rcParams.update(",
        "rcParams[",
    ):
        assert forbidden not in src, forbidden


# --- saving: the faster path writes what savefig writes (issue 17) -----------------------------


def _savefig_svg(fig, title: str) -> bytes:
    """The figure written by matplotlib's own savefig, as svg_bytes did before issue 17."""
    import io

    from unga_brief.core.safe_output import literal_figure_text

    literal_figure_text(fig)
    buf = io.BytesIO()
    with chart_style.chart_style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Title": title})
    return buf.getvalue()


@pytest.mark.parametrize("layout", ["print", "phone"])
def test_svg_bytes_are_those_of_savefig(layout: str) -> None:
    width = None if layout == "print" else chart_style.PHONE_WIDTH_IN
    ours, theirs = every_chart(width), every_chart(width)
    for name, chart in ours.items():
        fig = theirs[name].fig
        assert chart_style.svg_bytes(chart.fig, name) == _savefig_svg(fig, name), name
    # and the figure is left as savefig leaves it: a second save is the same again
    chart = ours["heatmap_counts"]
    dpi, engine = chart.fig.dpi, chart.fig.get_layout_engine()
    again = chart_style.svg_bytes(chart.fig, "x")
    assert (chart.fig.dpi, chart.fig.get_layout_engine()) == (dpi, engine)
    assert again == _savefig_svg(theirs["heatmap_counts"].fig, "x")
