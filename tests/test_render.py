"""The render route: executed notebook -> self-contained HTML -> A4 PDF (DESIGN §8)."""

from __future__ import annotations

import base64
import copy
import os
import re
import shutil
import stat
import struct
import subprocess
import time
import zlib
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from unga_brief.core.errors import RenderError
from unga_brief.report import render

TITLE = "UNGA briefing: test render"
HEADING = "Abstention on Ukraine and Gaza texts"
TABLE_HEADER = "abstention_share"
CODE_MARKERS = ("secret_source_marker", "print(", "display(")
PARAMETER_MARKERS = ("window_start_param", "injected_window_param")
STDERR_TEXT = "DeprecationWarning: noisy stderr line"

_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200" viewBox="0 0 400 200">'
    '<rect x="10" y="20" width="120" height="160" fill="#0072B2"/>'
    '<rect x="150" y="60" width="120" height="120" fill="#E69F00"/></svg>'
)
FIGURE_HTML = (
    '<figure class="chart"><img alt="Bar chart: 93 Yes, 14 No, 65 abstentions" '
    'src="data:image/svg+xml;base64,' + base64.b64encode(_SVG.encode()).decode() + '">'
    "<figcaption>Votes on A/RES/ES-11/7 (n = 193)</figcaption></figure>"
)


def _tiny_png() -> str:
    """A valid 2x2 RGB PNG, base64 (as Jupyter stores image/png)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xcc\x33\x33" * 2 for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def _table_html() -> str:
    frame = pd.DataFrame(
        {
            "country": [f"Country row {i:03d}" for i in range(60)],
            "yes_votes": [100 + i for i in range(60)],
            TABLE_HEADER: [f"{i / 60:.1%} (n = 193)" for i in range(60)],
        }
    )
    return frame.to_html(index=False)


def briefing_notebook() -> nbformat.NotebookNode:
    """A tiny executed notebook with every kind of cell the briefing notebooks emit."""
    params = new_code_cell('window_start_param = "2022-01-01"', metadata={"tags": ["parameters"]})
    injected = new_code_cell(
        'injected_window_param = "2023-01-01"', metadata={"tags": ["injected-parameters"]}
    )
    removed = new_code_cell(
        "secret_source_marker = 1",
        metadata={"tags": ["remove"]},
        outputs=[new_output("stream", name="stdout", text="removed cell output\n")],
    )
    printing = new_code_cell(
        'print("stdout kept")\nsecret_source_marker = 2\nsecret_source_marker',
        execution_count=3,
        outputs=[
            new_output("stream", name="stdout", text="stdout kept\n"),
            new_output("stream", name="stderr", text=STDERR_TEXT + "\n"),
            new_output(
                "execute_result", execution_count=3, data={"text/plain": "'execute result kept'"}
            ),
        ],
    )
    figure = new_code_cell(
        "display(chart)",
        execution_count=4,
        outputs=[
            new_output("display_data", data={"text/html": FIGURE_HTML, "text/plain": "<Figure>"}),
        ],
    )
    images = new_code_cell(
        "display(svg, png)",
        execution_count=5,
        outputs=[
            new_output("display_data", data={"image/svg+xml": _SVG, "text/plain": "<SVG>"}),
            new_output("display_data", data={"image/png": _tiny_png(), "text/plain": "<PNG>"}),
        ],
    )
    table = new_code_cell(
        "display(table)",
        execution_count=6,
        outputs=[
            new_output(
                "execute_result",
                execution_count=6,
                data={"text/html": _table_html(), "text/plain": "DataFrame"},
            ),
        ],
    )
    cells = [
        new_markdown_cell(f"# {HEADING}\n\nThis briefing compares abstention (n = 193)."),
        params,
        injected,
        removed,
        printing,
        new_markdown_cell("## The vote on A/RES/ES-11/7"),
        figure,
        images,
        new_markdown_cell("## Per-country table"),
        table,
    ]
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


@pytest.fixture(scope="module")
def html() -> str:
    return render.notebook_to_html(briefing_notebook(), title=TITLE)


# ---------------------------------------------------------------- HTML


def test_html_hides_code_prompts_and_parameter_cells(html: str) -> None:
    for marker in CODE_MARKERS + PARAMETER_MARKERS:
        assert marker not in html, f"code source leaked into the briefing: {marker!r}"
    assert "removed cell output" not in html, "a cell tagged `remove` must be dropped"
    assert not re.search(r"In(&nbsp;|\s)\[|Out\[", html), "prompts must not appear"


def test_html_keeps_outputs_but_not_stderr(html: str) -> None:
    assert "stdout kept" in html
    assert "execute result kept" in html
    assert STDERR_TEXT not in html


def test_html_has_no_scripts_or_network_references(html: str) -> None:
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html
    assert not re.search(r"https?://", html), "nothing may point at the network"
    assert "mathjax" not in html.lower() and "require.js" not in html.lower()
    # the full JupyterLab stylesheet is ~250 kB; our own is small
    assert len(html) < 120_000, f"HTML unexpectedly large: {len(html)} bytes"


def test_html_passes_chart_figure_through_untouched(html: str) -> None:
    # The page is not re-serialised (the exporter skips nbconvert's BeautifulSoup pass): the
    # figure's markup is in it byte for byte.
    assert FIGURE_HTML in html
    assert 'alt="Bar chart: 93 Yes, 14 No, 65 abstentions"' in html


def test_html_inlines_plain_svg_and_png_outputs(html: str) -> None:
    svg_b64 = base64.b64encode(_SVG.encode()).decode()
    # once inside the chart <figure>, once as the plain image/svg+xml output
    assert html.count(f"data:image/svg+xml;base64,{svg_b64}") == 2
    assert f"data:image/png;base64,{_tiny_png()}" in html


def test_html_has_title_language_and_print_css(html: str) -> None:
    assert f"<title>{TITLE}</title>" in html
    assert '<html lang="en">' in html
    assert HEADING in html
    assert "size: A4" in html
    assert "counter(pages)" in html
    assert "table-header-group" in html


def test_html_keeps_the_dataframe_with_its_header(html: str) -> None:
    assert html.count("Country row") == 60
    assert re.search(rf"<thead>.*{TABLE_HEADER}.*</thead>", html, re.S)


def test_contents_link_every_section_after_the_title_block() -> None:
    page = (
        "<html><body><main><div><header class='title-block'><h1>T</h1></header></div>"
        "<h2>1. How the world voted</h2><p>x</p><h2 id='kept'>2. Who &amp; what</h2>"
        "<h2>1. How the world voted</h2></main></body></html>"
    )
    out = render.add_contents(page)
    soup = BeautifulSoup(out, "html.parser")
    nav = soup.select_one("nav.toc")
    assert nav is not None and nav.find_previous("header") is not None
    links = [a["href"] for a in nav.select("a")]
    ids = ["#" + h["id"] for h in soup.select("main > h2")]
    assert links == ids and len(set(ids)) == 3 and "#kept" in ids
    assert [a.get_text() for a in nav.select("a")][1] == "2. Who & what"
    # fewer than three sections: no contents
    assert "toc" not in render.add_contents("<main><h2>a</h2><h2>b</h2></main>")


def test_css_hides_contents_in_print_and_scrolls_wide_tables_on_screen() -> None:
    css = (render.default_template_dir() / "static" / "briefing.css").read_text()
    screen, _, printed = css.partition("\n@media print {")
    assert re.search(r"\.jp-OutputArea-output\s*{[^}]*overflow-x:\s*auto", screen)
    assert re.search(r"nav\.toc\s*{\s*display:\s*none", printed)


def test_notebook_to_html_accepts_a_path_and_leaves_the_node_alone(tmp_path: Path) -> None:
    nb = briefing_notebook()
    before = nbformat.writes(nb)
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, path)
    from_path = render.notebook_to_html(path, title=TITLE)
    render.notebook_to_html(nb, title=TITLE)
    assert nbformat.writes(nb) == before, "the caller's notebook must not be modified"
    assert HEADING in from_path and "window_start_param" not in from_path


def test_one_exporter_renders_several_notebooks_as_fresh_ones_do() -> None:
    """The run renders its five notebooks with one exporter: each page is the one a fresh
    exporter gives (nothing carried from one notebook to the next)."""
    briefing = briefing_notebook()  # built once: new cells get random ids
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Another page")])
    fresh = [
        render.notebook_to_html(other, title="Other"),
        render.notebook_to_html(briefing, title=TITLE),
    ]
    exporter = render.html_exporter()
    shared = [
        render.notebook_to_html(other, title="Other", exporter=exporter),
        render.notebook_to_html(briefing, title=TITLE, exporter=exporter),
        render.notebook_to_html(other, title="Other", exporter=exporter),
    ]
    assert shared == [*fresh, fresh[0]]
    assert HEADING in shared[1] and HEADING not in shared[2]


def test_the_page_is_nbconvert_own_output_without_its_soup_pass() -> None:
    """The exporter skips nbconvert's BeautifulSoup pass (slow on a page of charts): the page is the same
    document as nbconvert's (same tags, attributes and text), and an image without alt text
    gets nbconvert's placeholder."""
    from nbconvert import HTMLExporter

    nb = briefing_notebook()
    no_alt = new_output("display_data", data={"text/html": '<p><img src="x.png"></p>'})
    nb.cells.append(new_code_cell("display(img)", execution_count=7, outputs=[no_alt]))
    ours = render.html_exporter()
    stock = HTMLExporter(
        config=ours.config,
        **{
            k: getattr(ours, k)
            for k in (
                "template_name",
                "extra_template_basedirs",
                "exclude_input",
                "exclude_input_prompt",
                "exclude_output_prompt",
                "exclude_anchor_links",
                "sanitize_html",
                "language_code",
            )
        },
    )
    for pre in ours._preprocessors:
        stock.register_preprocessor(pre)
    resources = {"briefing": {"title": TITLE}, "metadata": {"name": TITLE}}
    page, _ = ours.from_notebook_node(copy.deepcopy(nb), resources=dict(resources))
    expected, _ = stock.from_notebook_node(copy.deepcopy(nb), resources=dict(resources))
    # nbconvert's last pass is exactly this parse and write: our page, put through it, is its
    assert str(BeautifulSoup(page, "html.parser")) == expected
    assert f'<img alt="{render.NO_ALT}" src="x.png">' in page
    assert len(re.findall(r"<img\b", page)) == len(re.findall(r"<img\b[^>]*\salt=", page))


def test_title_is_html_escaped() -> None:
    out = render.notebook_to_html(briefing_notebook(), title="Votes <2024> & more")
    assert "<title>Votes &lt;2024&gt; &amp; more</title>" in out


def test_template_ships_inside_the_package() -> None:
    tdir = render.default_template_dir()
    assert tdir.parent.parent == Path(render.__file__).resolve().parent
    assert (tdir / "conf.json").is_file() and (tdir / "index.html.j2").is_file()
    assert (tdir / "static" / "briefing.css").is_file()


def test_write_html_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "out" / "briefing.html"
    assert render.write_html("<p>é</p>", target) == target
    assert target.read_text(encoding="utf-8") == "<p>é</p>"
    assert [p.name for p in target.parent.iterdir()] == ["briefing.html"]


# ---------------------------------------------------------------- find_chromium


def _fake_exe(folder: Path, name: str, body: str = "exit 0") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    exe = folder / name
    exe.write_text(f"#!/bin/sh\nPATH=/usr/bin:/bin\n{body}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return exe


def test_find_chromium_prefers_the_environment_variable(tmp_path: Path) -> None:
    named = _fake_exe(tmp_path / "a", "my-chrome")
    on_path = _fake_exe(tmp_path / "b", "chromium")
    env = {"UNGA_BRIEF_CHROMIUM": str(named), "PATH": str(on_path.parent)}
    assert render.find_chromium(env) == str(named)


def test_find_chromium_env_variable_must_exist(tmp_path: Path) -> None:
    on_path = _fake_exe(tmp_path / "b", "chromium")
    env = {"UNGA_BRIEF_CHROMIUM": str(tmp_path / "nope"), "PATH": str(on_path.parent)}
    assert render.find_chromium(env) is None


def test_find_chromium_searches_path_in_order(tmp_path: Path) -> None:
    chrome = _fake_exe(tmp_path / "b", "google-chrome")
    browser = _fake_exe(tmp_path / "c", "chromium-browser")
    env = {"PATH": os.pathsep.join([str(chrome.parent), str(browser.parent)])}
    assert render.find_chromium(env) == str(browser)
    assert render.find_chromium({"PATH": str(tmp_path / "empty")}) is None


# ---------------------------------------------------------------- html_to_pdf failures


@pytest.fixture
def html_file(tmp_path: Path) -> Path:
    return render.write_html("<!DOCTYPE html><title>t</title><p>x</p>", tmp_path / "b.html")


def test_missing_chromium_raises_with_install_hint_and_writes_no_pdf(
    html_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNGA_BRIEF_CHROMIUM", str(html_file.parent / "no-such-chromium"))
    monkeypatch.setenv("PATH", "")
    pdf = html_file.parent / "briefing.pdf"
    with pytest.raises(RenderError) as info:
        render.html_to_pdf(html_file, pdf)
    assert "apt-get install chromium" in str(info.value)
    assert "UNGA_BRIEF_CHROMIUM" in str(info.value)
    assert info.value.exit_code == 4
    assert sorted(p.name for p in html_file.parent.iterdir()) == ["b.html"]


def test_chromium_failure_reports_its_last_stderr_line(html_file: Path) -> None:
    exe = _fake_exe(
        html_file.parent / "bin",
        "chromium",
        'echo "noise" >&2; echo "FATAL: cannot open display" >&2; exit 3',
    )
    pdf = html_file.parent / "briefing.pdf"
    with pytest.raises(RenderError, match=r"exit 3.*FATAL: cannot open display"):
        render.html_to_pdf(html_file, pdf, chromium=str(exe))
    assert not pdf.exists()
    assert not list(html_file.parent.glob("*.pdf*")) and not list(html_file.parent.glob(".*tmp*"))


def test_half_written_pdf_never_replaces_the_previous_one(html_file: Path) -> None:
    # writes a partial PDF to the --print-to-pdf path, then crashes
    body = (
        'for a in "$@"; do case "$a" in --print-to-pdf=*) printf "%%PDF-1.4 partial" '
        '> "${a#--print-to-pdf=}";; esac; done; exit 139'
    )
    exe = _fake_exe(html_file.parent / "bin", "chromium", body)
    pdf = html_file.parent / "briefing.pdf"
    pdf.write_bytes(b"%PDF-previous good")
    with pytest.raises(RenderError):
        render.html_to_pdf(html_file, pdf, chromium=str(exe))
    assert pdf.read_bytes() == b"%PDF-previous good"
    assert sorted(p.name for p in html_file.parent.iterdir()) == ["b.html", "bin", "briefing.pdf"]


def test_chromium_that_writes_nothing_is_an_error(html_file: Path) -> None:
    exe = _fake_exe(html_file.parent / "bin", "chromium", "echo done >&2; exit 0")
    pdf = html_file.parent / "briefing.pdf"
    with pytest.raises(RenderError, match="wrote no PDF"):
        render.html_to_pdf(html_file, pdf, chromium=str(exe))
    assert not pdf.exists()


def test_chromium_timeout_is_an_error_and_kills_it(html_file: Path) -> None:
    marker = html_file.parent / "still-running"
    exe = _fake_exe(html_file.parent / "bin", "chromium", f"sleep 1; touch {marker}")
    pdf = html_file.parent / "briefing.pdf"
    with pytest.raises(RenderError, match="timed out"):
        render.html_to_pdf(html_file, pdf, chromium=str(exe), timeout=0.3)
    assert not pdf.exists()
    time.sleep(1.3)
    assert not marker.exists(), "the timed-out Chromium (and its children) must be killed"


# ---------------------------------------------------------------- real Chromium


def _pdftool(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory, html: str) -> Path:
    chromium = render.find_chromium()
    if chromium is None:
        pytest.skip(
            "no Chromium on PATH and UNGA_BRIEF_CHROMIUM unset (Debian: apt-get install chromium)"
        )
    if shutil.which("pdfinfo") is None or shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdfinfo, pdftotext) not installed")
    folder = tmp_path_factory.mktemp("pdf")
    source = render.write_html(html, folder / "briefing.html")
    return render.html_to_pdf(source, folder / "briefing.pdf", chromium=chromium, timeout=120)


@pytest.mark.browser
def test_pdf_is_a4_with_the_title(pdf: Path) -> None:
    info = _pdftool("pdfinfo", str(pdf))
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size, info
    assert abs(float(size[1]) - 595) < 1.5 and abs(float(size[2]) - 842) < 1.5
    assert re.search(rf"^Title:\s+{re.escape(TITLE)}$", info, re.M), info
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["briefing.html", "briefing.pdf"]


@pytest.mark.browser
def test_pdf_has_heading_and_page_numbers(pdf: Path) -> None:
    pages = int(re.search(r"Pages:\s+(\d+)", _pdftool("pdfinfo", str(pdf)))[1])
    assert pages >= 2
    first = _pdftool("pdftotext", "-f", "1", "-l", "1", str(pdf), "-")
    last = _pdftool("pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-")
    assert HEADING in first
    # the footer is "1 / 3"; pdftotext may drop the spaces around the slash
    assert re.search(rf"^1\s*/\s*{pages}$", first, re.M), first[-200:]
    assert re.search(rf"^{pages}\s*/\s*{pages}$", last, re.M), last[-200:]
    text = _pdftool("pdftotext", str(pdf), "-")
    assert "stdout kept" in text and "Votes on A/RES/ES-11/7 (n = 193)" in text
    assert "secret_source_marker" not in text and STDERR_TEXT not in text


@pytest.mark.browser
def test_pdf_repeats_the_table_header_on_the_next_page(pdf: Path) -> None:
    pages = int(re.search(r"Pages:\s+(\d+)", _pdftool("pdfinfo", str(pdf)))[1])
    texts = [
        _pdftool("pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-")
        for n in range(1, pages + 1)
    ]
    start = next(i for i, t in enumerate(texts) if "Country row 000" in t)
    end = next(i for i, t in enumerate(texts) if "Country row 059" in t)
    assert end > start, "the 60-row table should run over a page break"
    for t in texts[start : end + 1]:
        assert TABLE_HEADER in t, "every page of the table repeats its header"
    assert texts[end].count(TABLE_HEADER) == 1


@pytest.mark.browser
def test_pdf_keeps_a_heading_with_the_figure_after_it(
    tmp_path: Path,
    pdf: Path,  # `pdf` only to share its skip when Chromium is absent
) -> None:
    # A4 content box: 297 - 18 - 20 = 259 mm. After a 222 mm spacer the heading alone would fit
    # at the foot of page 1 but the 53 mm figure would not: the heading must move with it.
    nb = new_notebook(
        cells=[
            new_markdown_cell('<div style="height: 222mm"></div>'),
            new_markdown_cell("## Heading before the chart"),
            new_code_cell(
                "display(chart)",
                outputs=[
                    new_output("display_data", data={"text/html": FIGURE_HTML}),
                ],
            ),
        ]
    )
    source = render.write_html(render.notebook_to_html(nb, title="orphans"), tmp_path / "o.html")
    out = render.html_to_pdf(source, tmp_path / "o.pdf")
    page1 = _pdftool("pdftotext", "-f", "1", "-l", "1", str(out), "-")
    page2 = _pdftool("pdftotext", "-f", "2", "-l", "2", str(out), "-")
    assert "Heading before the chart" not in page1, "heading orphaned at the foot of page 1"
    assert "Heading before the chart" in page2 and "Votes on A/RES/ES-11/7" in page2


# --- a PDF is accepted only when complete (trailer present, pages counted) ----------------------


def test_complete_pdf_is_accepted_with_its_pages_counted_two_ways(
    pdf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_pdfinfo = render.check_pdf(pdf)
    monkeypatch.setattr(render.shutil, "which", lambda _name: None)  # no poppler: parse it
    assert render.check_pdf(pdf) == by_pdfinfo >= 1


@pytest.mark.parametrize(
    "cut, message",
    [
        (lambda b: b[: len(b) // 2], "incomplete PDF (no %%EOF trailer"),
        (lambda b: b[:-200], "incomplete PDF (no %%EOF trailer"),
        (lambda b: b"%PDF-1.4\n%%EOF\n", "incomplete PDF (no page)"),
        (lambda b: b"<html>" + b, "not a PDF"),
    ],
    ids=["half", "tail cut", "trailer but no page", "not a PDF"],
)
def test_incomplete_pdf_is_refused_naming_the_file(pdf: Path, tmp_path: Path, cut, message) -> None:
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(cut(pdf.read_bytes()))
    with pytest.raises(RenderError) as info:
        render.check_pdf(bad)
    assert str(info.value).startswith(f"{bad}: {message}")


def test_chromium_exiting_0_with_a_truncated_pdf_never_replaces_the_previous_one(
    pdf: Path, html_file: Path
) -> None:
    """A full disk cuts Chromium's PDF short: it is refused, the published one stays."""
    half = html_file.parent / "half.bin"
    half.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])
    body = f'for a in "$@"; do case "$a" in --print-to-pdf=*) cp {half} "${{a#--print-to-pdf=}}";; esac; done; exit 0'
    exe = _fake_exe(html_file.parent / "bin", "chromium", body)
    target = html_file.parent / "briefing.pdf"
    target.write_bytes(b"%PDF-previous good")
    with pytest.raises(RenderError, match=r"the PDF of b\.html: incomplete PDF \(no %%EOF"):
        render.html_to_pdf(html_file, target, chromium=str(exe))
    assert target.read_bytes() == b"%PDF-previous good"
    assert sorted(p.name for p in html_file.parent.iterdir()) == [
        "b.html",
        "bin",
        "briefing.pdf",
        "half.bin",
    ]
