"""The printed briefing (report/briefing.pdf) read back with poppler (DESIGN §8, §9).

Same session build as the browser tests (``report_fixture.built_report``). Checks: every page
A4, the PDF's Title is ``report_title`` from params.yaml, no code or traceback anywhere, every
published figure in the PDF (found by its title, which the SVG carries as text because charts
use ``svg.fonttype = none``), and the key numbers of the shipped data on the first page, computed
from ``data/catalog/catalog.csv`` and ``data/votes/ga.csv`` rather than typed in.
"""

from __future__ import annotations

import base64
import csv
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from report_fixture import BuiltReport

pytest_plugins = ["report_fixture"]  # the session fixture `built_report`, shared with test_browser
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (shutil.which("pdfinfo") and shutil.which("pdftotext")),
        reason="poppler-utils (pdfinfo, pdftotext) not installed (Debian: apt-get install "
        "poppler-utils)",
    ),
]

A4_PT = (595.28, 841.89)
#: Strings that only code, notebook prompts or a failure would put into the PDF.
CODE_STRINGS = ("Traceback", "Error:", "import ", "def ", "ctx.", "In [", "Out[", "open_context(")
#: The dashes a "yes–no–abstain" triple may be written with (hyphen-minus, hyphen, non-breaking
#: hyphen, figure dash, en dash, em dash, minus).
DASH = "[-\u2010\u2011\u2012\u2013\u2014\u2212]"
VOTE_WORDS = {"Y": "Yes", "N": "No", "A": "Abstain", "X": "Non-voting"}
#: How a sentence may say that vote.
VOTE_SAID = {
    "Y": r"\bYes\b|\bin favour\b",
    "N": r"\bNo\b|\bagainst\b",
    "A": r"\b[Aa]bstain",
    "X": r"\b[Nn]on-voting\b|\bdid not vote\b",
}
SVG_NS = "{http://www.w3.org/2000/svg}"

UKRAINE_2026 = "ga-es11-2026-02-24"
US_AMENDMENT_2026 = "ga-amend-2026-02-24-usa"


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def _squash(text: str) -> str:
    """Ligatures unfolded (NFKC: "\ufb01" -> "fi"), soft hyphens dropped, whitespace runs (line
    breaks from wrapping included) to single spaces."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    return re.sub(r"\s+", " ", text).strip()


def _unwrap(text: str) -> str:
    """Whitespace squashed, and a line broken after a hyphen ("Asia-\\nPacific") joined."""
    return re.sub(r"(?<=\w-) (?=\w)", "", _squash(text))


@pytest.fixture(scope="module")
def pdf(built_report: BuiltReport) -> Path:
    assert built_report.pdf.is_file(), "the run published no report/briefing.pdf"
    return built_report.pdf


@pytest.fixture(scope="module")
def info(pdf: Path) -> str:
    return _run("pdfinfo", "-enc", "UTF-8", "-f", "1", "-l", "100000", str(pdf))


@pytest.fixture(scope="module")
def pages(pdf: Path) -> list[str]:
    """Text per page, in reading order (pdftotext's default layout analysis)."""
    text = _run("pdftotext", "-enc", "UTF-8", str(pdf), "-")
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


@pytest.fixture(scope="module")
def raw_text(pdf: Path) -> str:
    """All text in content-stream order (keeps each SVG text run whole), whitespace squashed."""
    return _unwrap(_run("pdftotext", "-enc", "UTF-8", "-raw", str(pdf), "-"))


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict[str, str]]:
    from unga_brief.core.paths import Paths

    root = Path(__file__).resolve().parents[1]
    with open(Paths.default(root).catalog_csv, newline="", encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def _totals(row: dict[str, str]) -> tuple[int, int, int]:
    try:
        return tuple(int(float(row[f"official_{k}"])) for k in ("yes", "no", "abstain"))
    except ValueError:
        pytest.fail(f"{row['id']}: official Yes/No/Abstain not all known in the catalogue")


def _triple(yes: int, no: int, abstain: int) -> re.Pattern[str]:
    return re.compile(rf"(?<!\d){yes}\s*{DASH}\s*{no}\s*{DASH}\s*{abstain}(?!\d)")


# ------------------------------------------------------------------------------ format


def test_every_page_is_a4_portrait(info: str) -> None:
    sizes = re.findall(r"^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts", info, flags=re.M)
    assert sizes, f"pdfinfo reports no pages:\n{info}"
    assert int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1)) == len(sizes)
    wrong = [
        (page, w, h)
        for page, w, h in sizes
        if abs(float(w) - A4_PT[0]) > 2 or abs(float(h) - A4_PT[1]) > 2
    ]
    assert wrong == [], f"pages that are not A4 portrait (595 x 842 pt): {wrong}"


def test_title_metadata_is_the_report_title(info: str, built_report: BuiltReport) -> None:
    want = built_report.params["report_title"]
    assert want, "params.yaml has no report_title"
    got = re.search(r"^Title:\s*(.*)$", info, flags=re.M)
    assert got is not None, "the PDF has no Title metadata"
    assert got.group(1).strip() == want


def test_no_code_or_traceback_anywhere(pages: list[str]) -> None:
    found = []
    for number, text in enumerate(pages, start=1):
        for s in CODE_STRINGS:
            for m in re.finditer(re.escape(s), text):
                found.append(
                    f"page {number}: {s!r} in {_squash(text[m.start() - 50 : m.end() + 50])!r}"
                )
    assert found == [], "code, prompts or errors in the PDF:\n" + "\n".join(found)


# ----------------------------------------------------------------------------- figures


def _svg_of(figure) -> bytes:
    img = figure.find("img")
    assert img is not None and img.get("src", "").startswith("data:image/svg+xml;base64,"), (
        f"figure {figure.get('id')}: not an inline SVG image"
    )
    return base64.b64decode(img["src"].split(",", 1)[1])


def _svg_title(svg: bytes) -> str:
    """The chart's title: its largest bold text runs (the suptitle, one run per wrapped line;
    panel titles are bold too, but smaller)."""
    runs = []
    for t in ET.fromstring(svg).iter(f"{SVG_NS}text"):
        style = t.get("style", "")
        size = re.search(r"font-size:\s*([\d.]+)px", style)
        if re.search(r"font-weight:\s*(700|bold)", style) and size:
            runs.append((float(size.group(1)), "".join(t.itertext())))
    top = max((size for size, _ in runs), default=None)
    return _unwrap(" ".join(text for size, text in runs if size == top))


@pytest.fixture(scope="module")
def html_figures(built_report: BuiltReport) -> list:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(built_report.html.read_text(encoding="utf-8"), "html.parser")
    return soup.select("figure.chart")


def test_every_published_figure_is_in_the_briefing(
    html_figures: list, built_report: BuiltReport
) -> None:
    svgs = sorted(built_report.figures.glob("*.svg"))
    assert svgs, "the run published no figures/*.svg"
    shown = {f.get("id", "").removeprefix("fig-") for f in html_figures}
    published = {p.stem for p in svgs}
    assert shown <= published, f"without an SVG file: {sorted(shown - published)}"
    # the analysis notebooks' own charts are published too, each shown in its notebook's page
    pages = " ".join(p.read_text(encoding="utf-8") for p in built_report.notebook_pages)
    elsewhere = {name for name in published - shown if f'id="fig-{name}"' in pages}
    assert published - shown - elsewhere == set(), (
        f"figures/ SVGs shown nowhere: {sorted(published - shown - elsewhere)}"
    )
    for figure in html_figures:
        name = figure.get("id", "").removeprefix("fig-")
        assert (built_report.figures / f"{name}.svg").read_bytes() == _svg_of(figure), (
            f"figure {name}: the briefing's image differs from figures/{name}.svg"
        )


def test_every_published_chart_prints_no_text_under_7_points(built_report: BuiltReport) -> None:
    """Issue 15: chart text legible in print. Each SVG's font sizes at the scale the briefing's
    stylesheet prints it on A4 (tests/svg_print.py)."""
    from svg_print import printed_texts

    svgs = sorted(built_report.figures.glob("*.svg"))
    assert svgs, "the run published no figures/*.svg"
    small = []
    for svg in svgs:
        texts = printed_texts(svg)
        assert texts, f"{svg.name}: no text at all"
        least = min(texts, key=lambda t: t.size_pt)
        if least.size_pt < 7.0 - 1e-6:
            small.append(f"{svg.name}: {least.text!r} at {least.size_pt:.1f} pt")
    assert small == [], "chart text under 7 pt in print:\n" + "\n".join(small)


def test_every_figure_links_the_data_behind_it(
    html_figures: list, built_report: BuiltReport
) -> None:
    for figure in html_figures:
        name = figure.get("id", "").removeprefix("fig-")
        link = figure.select_one("figcaption a.data-link")
        assert link is not None and link.get("download") == f"{name}.csv", name
        data = base64.b64decode(link["href"].split(",", 1)[1])
        assert data == (built_report.figures / f"{name}.csv").read_bytes(), name


def test_every_figure_title_is_in_the_pdf_text(html_figures: list, raw_text: str) -> None:
    assert html_figures, "the briefing has no figures"
    missing = []
    for figure in html_figures:
        title = _svg_title(_svg_of(figure))
        assert title, f"figure {figure.get('id')}: no title text in its SVG"
        if title not in raw_text:
            missing.append(f"{figure.get('id')}: {title!r}")
    assert missing == [], "figure titles not found in the PDF text:\n" + "\n".join(missing)


# ------------------------------------------------------------------- key numbers, page 1


def test_first_page_gives_the_2026_ukraine_vote(pages: list[str], catalog) -> None:
    yes, no, abstain = _totals(catalog[UKRAINE_2026])
    first = _squash(pages[0])
    assert _triple(yes, no, abstain).search(first), (
        f"page 1 lacks the 24 Feb 2026 Ukraine vote {yes}–{no}–{abstain} ({UKRAINE_2026}):\n"
        f"{first[:1500]}"
    )


def test_first_page_gives_the_failed_us_amendment(pages: list[str], catalog) -> None:
    row = catalog[US_AMENDMENT_2026]
    assert row["adopted"].lower() == "false", f"{US_AMENDMENT_2026} is no longer a failed text"
    yes, no, abstain = _totals(row)
    first = _squash(pages[0])
    assert _triple(yes, no, abstain).search(first), (
        f"page 1 lacks the failed US amendment {yes}–{no}–{abstain} ({US_AMENDMENT_2026}):\n"
        f"{first[:1500]}"
    )


def _us_vote_on_gaza_ceasefire_texts(catalog) -> tuple[str, list[str]]:
    """The US vote on the GA Gaza texts whose title says ceasefire (one vote for all of them)."""
    from unga_brief.core.paths import Paths

    ids = [
        i
        for i, r in catalog.items()
        if r["body"] == "GA"
        and r["topic"] == "gaza"
        and r["kind"] == "resolution"
        and "ceasefire" in (r["title"] + " " + r["short_title"]).lower()
    ]
    assert ids, "no GA Gaza ceasefire text in the catalogue"
    root = Path(__file__).resolve().parents[1]
    with open(Paths.default(root).votes_dir / "ga.csv", newline="", encoding="utf-8") as fh:
        us = {r["text_id"]: r["vote"] for r in csv.DictReader(fh) if r["iso3"] == "USA"}
    votes = {us.get(i) for i in ids}
    assert len(votes) == 1 and None not in votes, f"US votes on {ids} differ or are unknown: {us}"
    return votes.pop(), ids


def test_first_page_says_how_the_us_voted_on_gaza_ceasefires(pages: list[str], catalog) -> None:
    vote, ids = _us_vote_on_gaza_ceasefire_texts(catalog)
    word = VOTE_WORDS[vote]  # "No" on the shipped data
    first = _squash(pages[0])
    us = re.compile(r"\b(United States|US|U\.S\.|USA)\b")
    said = re.compile(VOTE_SAID[vote])
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\[(])", first)
    claims = [x for x in sentences if re.search(r"(?i)ceasefire", x) and us.search(x)]
    assert any(said.search(x) for x in claims), (
        f"page 1 does not say the US voted {word} on the Gaza ceasefire texts ({', '.join(ids)}):\n"
        f"{first[:1500]}"
    )


#: Words of the project's own machinery that a reader of page 1 should never meet.
JARGON = (
    "derived",
    "news-named",
    "record + list",
    "state-text pairs",
    "YNAX",
    "vetoed_by",
    "unga_brief",
    "UNDL:",
    "ARAB_LEAGUE",
    "hedger series",
)


def test_first_page_stands_alone(pages: list[str], catalog, built_report: BuiltReport) -> None:
    """Page 1: a summary, the generation date beside the latest vote, no internal id or jargon."""
    import datetime as dt

    first = _squash(pages[0])
    assert "Summary" in first and "Key findings" in first
    generated = dt.datetime.fromtimestamp(built_report.pdf.stat().st_mtime, dt.UTC).date()
    assert f"generated {generated.day} {generated:%B %Y}" in first, first[:600]
    assert "latest vote in the data" in first
    ids = [i for i in catalog if re.search(rf"(?<![\w/-]){re.escape(i)}(?![\w-])", first)]
    assert not ids, f"internal ids on page 1: {ids}"
    series = {row["series"] for row in catalog.values()}
    words = [
        w for w in (*JARGON, *series) if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", first)
    ]
    assert not words, f"jargon on page 1: {words}"
