"""What every chart shares: one vote palette (readable by colour-blind readers), print sizes,
the matplotlib style applied locally, the :class:`Chart` frame (title = the finding, subtitle,
plot area, a phone layout), labels, the vote legend, and writing (SVG written
deterministically, the data beside it).

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
import codecs
import dataclasses
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
import pandas as pd
from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from unga_brief.core.safe_output import csv_safe, literal_figure_text  # noqa: E402
from unga_brief.core.vocab import VOTE_WORDS  # noqa: E402
from unga_brief.report.words import number

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
    # matplotlib's defaults, pinned: svg_bytes draws as savefig does with these
    "savefig.dpi": "figure",
    "savefig.facecolor": "auto",
    "savefig.edgecolor": "auto",
    "savefig.transparent": False,
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

    ``phone`` redraws the same chart in the narrow layout (set by the chart functions). ``fig``
    is None in a chart whose drawing is kept elsewhere (:func:`without_figure`);
    :func:`with_figure` draws it again."""

    fig: Figure | None
    data: pd.DataFrame
    title: str
    subtitle: str
    alt: str
    phone: Callable[[], Chart] | None = None


def two_layouts(draw: Callable[..., Chart]) -> Callable[..., Chart]:
    """Draw at print width; keep a recipe for the phone layout (``width=None`` only)."""

    @functools.wraps(draw)
    def chart(*args, width: float | None = None, **kwargs) -> Chart:
        with chart_style():
            made = draw(*args, width=width or PRINT_WIDTH_IN, **kwargs)
        if width is None:
            made.phone = functools.partial(chart, *args, width=PHONE_WIDTH_IN, **kwargs)
        return made

    return chart


def without_figure(chart: Chart) -> Chart:
    """``chart`` without its matplotlib figure, where :func:`with_figure` can draw it again (a
    chart made by a :func:`two_layouts` function); else ``chart`` itself."""
    if not isinstance(chart.phone, functools.partial):
        return chart
    return dataclasses.replace(chart, fig=None)


def with_figure(chart: Chart) -> Chart:
    """``chart`` with its figure: drawn again, by the function that drew it, from the same
    arguments (its phone recipe at print width), when :func:`without_figure` dropped it."""
    if chart.fig is not None:
        return chart
    recipe = chart.phone
    return recipe.func(*recipe.args, **{**recipe.keywords, "width": None})


def _wrap(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` that fit ``width_in`` at ``size`` pt (DejaVu Sans, a safe average)."""
    em = 0.64 if bold else 0.58
    chars = max(20, int(width_in * 72 / (size * em)))
    return textwrap.wrap(text, chars) or [""]


def chart_figure(width: float, body_in: float, title: str, subtitle: str) -> Figure:
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


def axis_label(text: str, width: float) -> str:
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


def ink_on(color: str) -> str:
    """White or ink, whichever reads better on ``color``."""
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else INK


# --- the charts -----------------------------------------------------------------------------


def two_lines(label: str, limit: int = 24) -> str:
    """``Long short title · Mar 2022`` as ``Long short ti… \\n Mar 2022`` (phone labels)."""
    head, sep, tail = label.rpartition(" \u00b7 ")
    if not sep:
        return "\n".join(textwrap.wrap(label, limit)[:2])
    return textwrap.shorten(head, limit, placeholder="\u2026") + "\n" + tail


# --- writing --------------------------------------------------------------------------------


class _OneRendererCanvas(FigureCanvasSVG):
    """An SVG canvas whose layout engine measures with the renderer that then draws."""

    def __init__(self, figure: Figure, renderer) -> None:
        super().__init__(figure)
        self._renderer = renderer

    def get_renderer(self):
        return self._renderer


def svg_bytes(fig: Figure, title: str | None = None) -> bytes:
    """The figure as SVG, exactly its size (no tight box), the same bytes for the same data;
    ``title`` goes into the SVG's metadata (the annex lists charts by it)."""
    literal_figure_text(fig)  # a "$" from the data is a dollar, never mathematics
    buf = io.BytesIO()
    meta = {"Date": None, "Creator": None} | ({"Title": title} if title else {})
    with chart_style():
        engine = fig.get_layout_engine()
        if engine is None:
            fig.savefig(buf, format="svg", metadata=meta)
            return buf.getvalue()
        # What ``savefig`` does (backend_bases.print_figure, then backend_svg.print_svg), less
        # its waste: with a layout engine it draws the whole figure once with drawing disabled,
        # only to run the layout on yet another throw-away renderer, then draws it for real on a
        # third, measuring every text again on each (matplotlib caches text metrics per
        # renderer). Here the one SVG renderer serves the layout and then the single drawing, so
        # a text is measured once. As in ``savefig``, the layout and the drawing happen at 72 dpi
        # and embedded images at the figure's dpi (``savefig.dpi`` is "figure"); the bytes are
        # the same (matplotlib as pinned in constraints.txt; tests/test_charts.py compares them
        # with savefig's for every chart in both layouts).
        old_canvas, dpi = fig.canvas, fig.dpi
        try:
            fig.dpi = 72
            w_in, h_in = fig.get_size_inches()
            renderer = MixedModeRenderer(
                fig,
                w_in,
                h_in,
                dpi,
                RendererSVG(
                    w_in * 72,
                    h_in * 72,
                    codecs.getwriter("utf-8")(buf),
                    image_dpi=dpi,
                    metadata=meta,
                ),
            )
            _OneRendererCanvas(fig, renderer)
            engine.execute(fig)
            fig.set_layout_engine("none")
            fig.draw(renderer)
            renderer.finalize()
        finally:
            fig.set_layout_engine(engine)
            fig.set_canvas(old_canvas)
            fig.dpi = dpi
    return buf.getvalue()


def _data_uri(kind: str, payload: bytes) -> str:
    return f"data:{kind};base64," + base64.b64encode(payload).decode("ascii")


def save(chart: Chart, name: str, figures_dir: Path | str) -> str:
    """Write ``name.svg`` and ``name.csv`` under ``figures_dir``; return the HTML figure.

    The figure shows the print layout, and the phone layout on screens narrower than 600 px
    (``<picture>``); its caption links the data behind the chart (the CSV, inline). A chart
    without its figure (:func:`without_figure`) is drawn again first."""
    chart = with_figure(chart)
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
