"""The size of an SVG chart's text once printed in the briefing's PDF.

The printed width of a chart follows from the briefing stylesheet: a figure's image is shown at
its natural size (SVG ``pt`` = print points), shrunk only to fit the A4 text box — the page
width less the ``@page`` side margins — and the ``max-height`` the stylesheet gives figure
images. Both numbers are read from ``templates/briefing/static/briefing.css``, so a change of
margins or of the rule shows up here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from unga_brief.report.render import default_template_dir

CSS = default_template_dir() / "static" / "briefing.css"
A4_MM = (210.0, 297.0)
PT_PER_MM = 72 / 25.4
_LEN = re.compile(r"([\d.]+)\s*(mm|pt|px|in)?")


def _mm(value: str) -> float:
    num, unit = _LEN.fullmatch(value.strip()).groups()
    factor = {"mm": 1.0, "pt": 25.4 / 72, "px": 25.4 / 96, "in": 25.4, None: 25.4 / 96}[unit]
    return float(num) * factor


def print_box_pt(css: str | None = None) -> tuple[float, float]:
    """(width, max height) in points of a figure image printed on A4, from the stylesheet."""
    css = CSS.read_text(encoding="utf-8") if css is None else css
    page = re.search(r"@page\s*{[^}]*?margin:\s*([^;]+);", css, flags=re.S)
    assert page, "briefing.css has no @page margin"
    parts = [_mm(v) for v in page.group(1).split()]
    # CSS shorthand: 1 value = all sides, 2 = vertical horizontal, 3 = top horizontal bottom
    right, left = {1: (0, 0), 2: (1, 1), 3: (1, 1), 4: (1, 3)}[len(parts)]
    right, left = parts[right], parts[left]
    printed = css.partition("\n@media print {")[2]
    img = re.search(r"figure img[^{]*{[^}]*?max-height:\s*([\d.]+mm)", printed, flags=re.S)
    assert img, "briefing.css gives figure images no max-height in print"
    return (A4_MM[0] - left - right) * PT_PER_MM, _mm(img.group(1)) * PT_PER_MM


@dataclass(frozen=True)
class PrintedText:
    text: str
    size_pt: float


def _pt(value: str) -> float:
    num, unit = _LEN.match(value.strip()).groups()
    return float(num) * {"pt": 1.0, "px": 1.0, "in": 72.0, "mm": PT_PER_MM, None: 1.0}[unit]


def printed_texts(svg: bytes | str | Path) -> list[PrintedText]:
    """Every text of ``svg`` with its font size in points as printed in the briefing."""
    raw = Path(svg).read_bytes() if isinstance(svg, Path) else svg
    root = ET.fromstring(raw)
    width_pt, height_pt = _pt(root.get("width")), _pt(root.get("height"))
    vb = [float(v) for v in root.get("viewBox").split()]
    unit = width_pt / vb[2]  # points per user unit at natural size
    box_w, box_h = print_box_pt()
    scale = min(1.0, box_w / width_pt, box_h / height_pt)
    out = []

    def walk(el, scaled: bool) -> None:
        scaled = scaled or "scale(" in (el.get("transform") or "")
        if el.tag.endswith("}text"):
            assert not scaled, "a text under a scale() transform: size unknown"
            style = dict(p.split(":", 1) for p in (el.get("style") or "").split(";") if ":" in p)
            size = style.get(" font-size") or style.get("font-size") or el.get("font-size")
            assert size, f"text without a font size: {''.join(el.itertext())!r}"
            out.append(PrintedText("".join(el.itertext()), _pt(size) * unit * scale))
        for child in el:
            walk(child, scaled)

    walk(root, False)
    return out
