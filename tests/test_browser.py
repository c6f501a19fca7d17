"""The published HTML opened in headless Chromium, as a reader's browser would (DESIGN §8, §9).

One report is built per session from the shipped data (``report_fixture.built_report``) and
opened over ``file://`` with Playwright driving the system Chromium: no console errors, nothing
fetched or failing to load, every image loaded and described, no code or prompts on the page,
every in-page link landing somewhere, and a full-page screenshot kept under
``build/screenshots/briefing.png`` for a human to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from unga_brief.notebook_runs import BRIEFING, NOTEBOOKS
from unga_brief.report.render import find_chromium

if TYPE_CHECKING:
    from report_fixture import BuiltReport

pytest_plugins = ["report_fixture"]  # the session fixture `built_report`, shared with test_pdf
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT = ROOT / "build" / "screenshots" / "briefing.png"

#: Text that only notebook machinery or Python source would put on the page.
CODE_PATTERNS = {
    "input prompt": re.compile(r"\bIn\s*\[\s*\d*\s*\]"),
    "output prompt": re.compile(r"\bOut\s*\[\s*\d*\s*\]"),
    "import statement": re.compile(r"\bimport "),
    "open_context(": re.compile(r"open_context\("),
    "ctx. call": re.compile(r"\bctx\.\w+"),
    "def statement": re.compile(r"(?m)^\s*def\s+\w+\s*\("),
    "traceback": re.compile(r"Traceback \(most recent call last\)"),
}
#: Elements nbconvert emits for code cells and prompts.
CODE_SELECTORS = ", ".join(
    (
        ".jp-CodeCell .jp-InputArea",  # (markdown cells use .jp-InputArea too: that is prose)
        ".jp-InputArea-editor",
        ".jp-CodeMirrorEditor",
        ".jp-InputPrompt",
        ".jp-OutputPrompt",
        ".input_area",
        "div.prompt",
    )
)

IMAGES_JS = """() => Array.from(document.images).map((img, i) => ({
    i,
    src: img.currentSrc ? img.currentSrc.slice(0, 60) : img.getAttribute('src'),
    complete: img.complete,
    w: img.naturalWidth,
    h: img.naturalHeight,
    alt: img.getAttribute('alt'),
    box: [img.getBoundingClientRect().width, img.getBoundingClientRect().height],
}))"""
SVGS_JS = """() => Array.from(document.querySelectorAll('svg'))
    .filter(s => !s.parentElement.closest('svg'))
    .map((s, i) => ({i, w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height}))"""
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href^="#"]')).map(a => {
    const raw = a.getAttribute('href').slice(1);
    let id = raw;
    try { id = decodeURIComponent(raw); } catch (e) {}
    const target = id === '' ? null
        : (document.getElementById(id) || document.getElementsByName(id)[0] || null);
    return {href: a.getAttribute('href'), text: a.textContent.trim().slice(0, 60), found: target !== null};
})"""


@dataclass
class OpenedPage:
    """A page loaded in Chromium, with everything it logged and requested while loading."""

    page: object
    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def browser(built_report: BuiltReport) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    assert exe is not None  # built_report skipped already otherwise
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def open_page(browser, path: Path) -> OpenedPage:
    """Open ``path`` over file:// in a fresh context; record errors and every network attempt."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    opened = OpenedPage(page=page, url=path.resolve().as_uri())

    def on_console(msg) -> None:
        if msg.type == "error":
            opened.console_errors.append(f"console.error: {msg.text}")

    def on_route(route) -> None:  # a self-contained page asks nothing of the network
        opened.outside_requests.append(route.request.url)
        route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda exc: opened.console_errors.append(f"uncaught: {exc}"))
    page.on(
        "requestfailed",
        lambda req: opened.failed_requests.append(f"{req.url[:120]} ({req.failure})"),
    )
    page.route(re.compile(r"^(https?|wss?|ftp)://"), on_route)
    page.goto(opened.url, wait_until="load", timeout=60_000)
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=30_000
    )
    return opened


@pytest.fixture(scope="module")
def briefing(browser, built_report: BuiltReport) -> Iterator[OpenedPage]:
    assert built_report.html.is_file(), "the run published no report/briefing.html"
    opened = open_page(browser, built_report.html)
    yield opened
    opened.page.context.close()


# ---------------------------------------------------------------------------- the briefing


def test_briefing_loads_without_console_errors_or_failed_requests(
    briefing: OpenedPage, built_report: BuiltReport
) -> None:
    page = briefing.page
    assert page.title() == built_report.params["report_title"]
    assert page.locator("h1").count() >= 1, "the briefing has no top-level heading"
    assert briefing.console_errors == []
    assert briefing.failed_requests == []
    assert briefing.outside_requests == [], "the briefing reaches outside itself (not offline)"


def test_briefing_images_all_load_and_inline_svgs_have_size(briefing: OpenedPage) -> None:
    images = briefing.page.evaluate(IMAGES_JS)
    assert images, "the briefing shows no image at all (its figures are missing)"
    broken = [img for img in images if not (img["complete"] and img["w"] > 0 and img["h"] > 0)]
    assert broken == [], f"images that did not load: {broken}"
    unrendered = [img for img in images if not (img["box"][0] > 0 and img["box"][1] > 0)]
    assert unrendered == [], f"images laid out with no size: {unrendered}"
    svgs = briefing.page.evaluate(SVGS_JS)
    empty = [s for s in svgs if not (s["w"] > 0 and s["h"] > 0)]
    assert empty == [], f"inline <svg> with an empty bounding box: {empty}"


def test_briefing_every_image_has_alt_text(briefing: OpenedPage) -> None:
    images = briefing.page.evaluate(IMAGES_JS)
    missing = [img["src"] for img in images if not (img["alt"] or "").strip()]
    assert missing == [], f"images without alt text: {missing}"


def test_briefing_shows_no_code_inputs_or_prompts(briefing: OpenedPage) -> None:
    page = briefing.page
    assert page.locator(CODE_SELECTORS).count() == 0, "code cells or prompts are in the page"
    text = page.inner_text("body")
    assert len(text.strip()) > 200, "the briefing has (almost) no visible text"
    found = {name: rx.search(text) for name, rx in CODE_PATTERNS.items()}
    shown = {name: text[max(0, m.start() - 40) : m.end() + 40] for name, m in found.items() if m}
    assert shown == {}, f"code or notebook prompts visible in the briefing: {shown}"


def test_briefing_internal_links_resolve(briefing: OpenedPage) -> None:
    links = briefing.page.evaluate(LINKS_JS)
    dangling = [(link["href"], link["text"]) for link in links if not link["found"]]
    assert dangling == [], f"in-page links that point at no element id: {dangling}"


def keep_screenshot(shot: Path, name: str) -> None:
    """Copy a screenshot (taken under the test's tmp_path, where the test reads it) to
    build/screenshots/ for a human to look at, failing or not, replacing the file in one rename:
    a concurrent test run never reads or leaves a half-written one."""
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    part = SCREENSHOT.parent / f".{name}.{os.getpid()}.part"
    shutil.copyfile(shot, part)
    os.replace(part, SCREENSHOT.parent / name)


def test_briefing_full_page_screenshot(briefing: OpenedPage, tmp_path: Path) -> None:
    """Kept under build/screenshots/ to be looked at; checked here not to be blank."""
    import numpy as np
    from matplotlib import image as mpimg

    shot = tmp_path / SCREENSHOT.name
    briefing.page.screenshot(path=str(shot), full_page=True)
    keep_screenshot(shot, SCREENSHOT.name)
    pixels = mpimg.imread(shot)[..., :3]
    height, width = pixels.shape[:2]
    page_height = briefing.page.evaluate("() => document.documentElement.scrollHeight")
    assert width >= 1000 and height >= min(page_height, 16_000), f"screenshot {width}x{height}"
    inked = float((pixels.min(axis=2) < 0.9).mean())  # share of pixels that are not near-white
    assert inked > 0.01, f"the screenshot is blank ({inked:.2%} inked pixels)"
    rgb = (pixels[::3, ::3] * 255).astype(np.uint32)  # every 9th pixel is plenty
    colours = np.unique((rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]).size
    assert colours > 16, f"a flat page of {colours} colours (no figures, no text)"


PHONE_JS = """() => ({
    page: document.documentElement.scrollWidth,
    view: window.innerWidth,
    charts: Array.from(document.querySelectorAll('figure.chart img')).map(img => ({
        id: img.closest('figure').id,
        phone: img.currentSrc !== img.getAttribute('src'),
        shown: img.getBoundingClientRect().width,
        natural: img.naturalWidth,
    })),
    boxes: Array.from(document.querySelectorAll('.jp-OutputArea-output'))
        .filter(o => o.querySelector('table') && o.scrollWidth > o.clientWidth)
        .map(o => getComputedStyle(o).overflowX),
})"""


def test_briefing_on_a_phone_keeps_its_width_and_shows_phone_charts(
    browser, built_report: BuiltReport, tmp_path: Path
) -> None:
    """390 px wide: the page does not widen (wide tables scroll in their own box), every chart
    shows its phone layout at (nearly) its natural size, so its text keeps its size."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(built_report.html.resolve().as_uri(), wait_until="load")
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
        seen = page.evaluate(PHONE_JS)
        assert seen["page"] <= seen["view"], (
            f"the page is {seen['page']} px wide on a 390 px screen"
        )
        assert seen["charts"], "no chart on the page"
        for chart in seen["charts"]:
            assert chart["phone"], f"{chart['id']}: the print layout on a phone"
            assert chart["shown"] >= 0.9 * chart["natural"], f"{chart['id']} shrunk: {chart}"
        assert all(o in ("auto", "scroll") for o in seen["boxes"])
        shot = tmp_path / "briefing-390.png"
        page.screenshot(path=str(shot), full_page=True)
        keep_screenshot(shot, shot.name)
    finally:
        context.close()


def test_briefing_has_a_table_of_contents(briefing: OpenedPage) -> None:
    links = briefing.page.evaluate(
        "() => Array.from(document.querySelectorAll('nav.toc a')).map(a => a.getAttribute('href'))"
    )
    headings = briefing.page.evaluate(
        "() => Array.from(document.querySelectorAll('main h2')).map(h => '#' + h.id)"
    )
    assert len(links) >= 3 and links == headings


# ---------------------------------------------------------------- the notebooks, as pages


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if n != BRIEFING])
def test_notebook_page_opens_cleanly(browser, built_report: BuiltReport, name: str) -> None:
    path = built_report.paths.report / "notebooks" / f"{name}.html"
    assert path.is_file(), f"report/notebooks/{name}.html was not published"
    opened = open_page(browser, path)
    try:
        assert opened.console_errors == []
        assert opened.failed_requests == []
        assert opened.outside_requests == [], f"{name}.html reaches outside itself"
        images = opened.page.evaluate(IMAGES_JS)
        broken = [img for img in images if not (img["complete"] and img["w"] > 0 and img["h"] > 0)]
        assert broken == [], f"{name}.html: images that did not load: {broken}"
        assert opened.page.locator(CODE_SELECTORS).count() == 0, f"{name}.html shows code"
    finally:
        opened.page.context.close()
