"""Render executed notebooks to one self-contained HTML file, and that HTML to an A4 PDF.

The route (DESIGN §8):

* :func:`notebook_to_html` turns an executed notebook into a reader's page with the
  package's own nbconvert template ``templates/briefing`` (extends ``lab``): no code, no
  prompts, no stderr, no ``parameters``/``injected-parameters``/``remove`` cells, no
  ``<script>`` and nothing fetched from the network; figures and tables pass through as
  emitted by the notebooks; print CSS for A4 with page numbers and repeated table headers.
* :func:`html_to_pdf` prints that same file with headless Chromium, offline, into a
  temporary file that is renamed onto the target only when Chromium produced a PDF.
* :func:`write_html` writes atomically; :func:`find_chromium` locates the browser.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from html import unescape
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets.config import Config

from unga_brief.core.errors import RenderError
from unga_brief.core.paths import write_atomic
from unga_brief.core.transaction import chromium_profile_prefix

log = logging.getLogger(__name__)

TEMPLATE_NAME = "briefing"
"""Directory name of the package's nbconvert template, under ``unga_brief/templates/``."""

REMOVE_CELL_TAGS = frozenset({"remove", "parameters", "injected-parameters"})
"""Cells with any of these tags never reach the reader."""

CHROMIUM_ENV = "UNGA_BRIEF_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_MISSING = (
    "Chromium not found: install it (Debian: apt-get install chromium) or set UNGA_BRIEF_CHROMIUM"
)

# Output types in order of preference. No JavaScript, widgets, Mermaid or LaTeX (no MathJax).
_DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/plain",
]

# Headless, offline, throw-away profile: Chromium must not try to reach anything.
_CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-extensions",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

# Lines Chromium prints on every run in a container without D-Bus; never the reason it failed.
_STDERR_NOISE = ("dbus/", "unexpected operator", "bytes written to file")


def default_template_dir() -> Path:
    """The ``briefing`` template shipped inside the package (package-data ``templates/**/*``)."""
    return Path(__file__).resolve().parent / "templates" / TEMPLATE_NAME


def _read_notebook(nb: nbformat.NotebookNode | str | os.PathLike[str]) -> nbformat.NotebookNode:
    if isinstance(nb, nbformat.NotebookNode):
        return copy.deepcopy(nb)
    path = Path(nb)
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError) as exc:  # nbformat raises NotJSONError (a ValueError)
        raise RenderError(f"{path}: cannot read notebook ({exc})") from exc


def _drop_stderr(nb: nbformat.NotebookNode) -> None:
    """Warnings and log lines belong in the run log, not in the briefing."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                out
                for out in cell.get("outputs", [])
                if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
            ]


def html_exporter(template_dir: str | os.PathLike[str] | None = None) -> HTMLExporter:
    """The nbconvert exporter of :func:`notebook_to_html` (``template_dir`` as there). One
    exporter can render several notebooks (its templates are then loaded once): the run
    renders its five with one."""
    return _exporter(Path(template_dir) if template_dir is not None else default_template_dir())


#: An ``<img>`` without an alt attribute (nbconvert's placeholder text is given to it).
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)", flags=re.I)
NO_ALT = "No description has been provided for this image"


class _PageExporter(HTMLExporter):
    """nbconvert's HTML exporter without its last pass, which parses the whole page with
    BeautifulSoup and writes it out again (slow on the briefing's inline SVG: docs/benchmark.md)
    to do two things: give an ``<img>`` without alt text a placeholder (done here, the same text, by a
    regular expression) and make the cells under ``.jp-Notebook`` focusable (this template has
    no ``.jp-Notebook``). The page is otherwise the template's output, as rendered."""

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        # The filters HTMLExporter.from_notebook_node registers before rendering (nbconvert 7).
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", data_type)
        html, resources = super(HTMLExporter, self).from_notebook_node(nb, resources, **kw)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{NO_ALT}"', html), resources


def _exporter(template_dir: Path) -> HTMLExporter:
    if not (template_dir / "index.html.j2").is_file():
        raise RenderError(f"{template_dir}: not an nbconvert template (no index.html.j2)")
    config = Config()
    # The lab conf.json enables the Pygments CSS preprocessor; code is hidden, so skip it.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    # Read by the template's `filter_data_type` filter (configured, not an exporter trait).
    config.NbConvertBase.display_data_priority = list(_DISPLAY_PRIORITY)
    exporter = _PageExporter(
        config=config,
        template_name=template_dir.name,
        extra_template_basedirs=[str(template_dir.parent)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        sanitize_html=False,  # our own chart <figure> HTML must pass through untouched
        language_code="en",
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            enabled=True,
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_all_outputs_tags={"remove-output"},
            remove_input_tags={"remove-input"},
        ),
        enabled=True,
    )
    return exporter


def notebook_to_html(
    nb: nbformat.NotebookNode | str | os.PathLike[str],
    *,
    title: str,
    template_dir: str | os.PathLike[str] | None = None,
    exporter: HTMLExporter | None = None,
) -> str:
    """One self-contained HTML page (the reader's view) from an executed notebook.

    ``nb`` is a notebook node (left unmodified) or a path to an ``.ipynb``. ``title``
    becomes ``<title>``, which Chromium uses as the PDF's metadata title.
    ``template_dir`` is an nbconvert template directory (``conf.json`` + ``index.html.j2``);
    default: the package's ``templates/briefing``. ``exporter``: one made by
    :func:`html_exporter` (then ``template_dir`` is not read), to render several notebooks.
    """
    node = _read_notebook(nb)
    _drop_stderr(node)
    if exporter is None:
        exporter = html_exporter(template_dir)
    resources = {"briefing": {"title": title}, "metadata": {"name": title}}
    try:
        html, _ = exporter.from_notebook_node(node, resources=resources)
    except Exception as exc:  # nbconvert/jinja errors come in many types
        raise RenderError(f"HTML render failed ({type(exc).__name__}: {exc})") from exc
    html = add_contents(html)
    log.info("rendered %d cells to HTML (%d bytes)", len(node.cells), len(html))
    return html


_H2 = re.compile(r"<h2(?P<attrs>[^>]*)>(?P<body>.*?)</h2>", flags=re.S)
_TAG = re.compile(r"<[^>]+>")
_ID = re.compile(r"""\bid=["']([^"']*)["']""")


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", unescape(text).lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def add_contents(html: str, *, minimum: int = 3) -> str:
    """Give every ``<h2>`` an id and put a table of contents linking them after the title block
    (or at the top of ``<main>``), when the page has at least ``minimum`` sections. Screen only:
    the stylesheet hides it in print, where pages are numbered."""
    used: set[str] = set()
    entries: list[tuple[str, str]] = []

    def anchor(m: re.Match) -> str:
        attrs, body = m["attrs"], m["body"]
        found = _ID.search(attrs)
        if found:
            used.add(found.group(1))
            ident = found.group(1)
        else:
            ident = _slug(_TAG.sub("", body), used)
            attrs = f'{attrs} id="{ident}"'
        entries.append((ident, " ".join(_TAG.sub("", body).split())))
        return f"<h2{attrs}>{body}</h2>"

    html = _H2.sub(anchor, html)
    if len(entries) < minimum:
        return html
    items = "".join(f'<li><a href="#{i}">{t}</a></li>' for i, t in entries)
    nav = (
        '<nav class="toc" aria-label="Contents"><p class="toc-title">Contents</p>'
        f"<ul>{items}</ul></nav>"
    )
    end = html.find("</header>")
    at = end + len("</header>") if end >= 0 else html.find("<main>") + len("<main>")
    return html[:at] + nav + html[at:]


def write_html(html: str, path: str | os.PathLike[str]) -> Path:
    """Write ``html`` to ``path`` atomically (temporary file beside it, then rename)."""
    return write_atomic(Path(path), html.encode("utf-8"))


def find_chromium(environ: Mapping[str, str] | None = None) -> str | None:
    """The Chromium executable to print with, or None.

    ``UNGA_BRIEF_CHROMIUM`` wins when set (it must name an existing executable, else None);
    otherwise the first of chromium, chromium-browser, google-chrome, google-chrome-stable
    on ``PATH`` (taken from ``environ``, default ``os.environ``).
    """
    env = os.environ if environ is None else environ
    named = env.get(CHROMIUM_ENV)
    if named:
        found = shutil.which(named, path=env.get("PATH", os.defpath))
        if found is None:
            log.warning("%s=%s does not name an executable", CHROMIUM_ENV, named)
        return found
    path = env.get("PATH", "")
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


def _last_stderr_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    useful = [ln for ln in lines if not any(noise in ln for noise in _STDERR_NOISE)]
    picked = useful or lines
    return picked[-1] if picked else "(no output on stderr)"


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the process group we started for Chromium (its renderers included)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def html_to_pdf(
    html_path: str | os.PathLike[str],
    pdf_path: str | os.PathLike[str],
    *,
    chromium: str | None = None,
    timeout: float = 180,
) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; returns ``pdf_path``.

    Chromium runs offline with a fresh, temporary profile. The PDF is written to a
    temporary file beside the target and renamed only on success, so a failure never
    leaves a half-written (or any new) PDF. Raises :class:`RenderError` when Chromium
    is missing, fails, times out, or writes nothing.
    """
    source = Path(html_path).resolve()
    target = Path(pdf_path)
    exe = chromium if chromium is not None else find_chromium()
    if exe is None or shutil.which(exe) is None:
        raise RenderError(CHROMIUM_MISSING)
    if not source.is_file():
        raise RenderError(f"{source}: HTML file to print does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp.pdf", dir=target.parent)
    os.close(fd)
    tmp_pdf = Path(tmp_name)
    tmp_pdf.unlink()  # Chromium creates it; an existing empty file would hide a failure
    # The pid in the name lets the next run remove it if this process is killed.
    work = Path(tempfile.mkdtemp(prefix=chromium_profile_prefix()))
    try:
        cmd = [
            exe,
            *_CHROMIUM_FLAGS,
            f"--user-data-dir={work / 'profile'}",
            f"--crash-dumps-dir={work / 'crashes'}",
            f"--print-to-pdf={tmp_pdf}",
            source.as_uri(),
        ]
        log.info("printing %s to PDF with %s", source.name, exe)
        log.debug("chromium command: %s", cmd)
        stderr_path = work / "stderr.log"
        # stderr to a file, not a pipe: Chromium's helper processes may outlive the
        # browser and would keep a pipe open.
        with open(stderr_path, "wb") as err:
            try:
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    start_new_session=True,
                    env={**os.environ, "HOME": str(work)},
                )
            except OSError as exc:
                raise RenderError(f"Chromium could not start ({exe}: {exc})") from exc
            try:
                returncode = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise RenderError(
                    f"Chromium timed out after {timeout:g} s printing {source.name} to PDF"
                ) from None
            except BaseException:  # SIGTERM, Ctrl-C: stop Chromium before its folder goes
                _kill_group(proc)
                raise
        stderr = stderr_path.read_text(encoding="utf-8", errors="replace")
        if returncode != 0:
            raise RenderError(
                f"Chromium failed (exit {returncode}) printing {source.name}: "
                f"{_last_stderr_line(stderr)}"
            )
        if not tmp_pdf.is_file() or tmp_pdf.stat().st_size == 0:
            raise RenderError(
                f"Chromium wrote no PDF for {source.name}: {_last_stderr_line(stderr)}"
            )
        pages = check_pdf(tmp_pdf, name=f"the PDF of {source.name}")
        os.replace(tmp_pdf, target)
    finally:
        tmp_pdf.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    log.info("wrote %s (%d bytes, %d pages)", target, target.stat().st_size, pages)
    return target


_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def check_pdf(path: str | os.PathLike[str], *, name: str | None = None) -> int:
    """Accept a PDF only when complete: ``%PDF-`` header, ``%%EOF`` trailer at the end, and at
    least one page (counted by poppler's ``pdfinfo`` when installed, else from the page
    objects). Return the page count; raise :class:`RenderError` naming ``name`` (default: the
    file) otherwise."""
    path = Path(path)
    what = name or str(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(5)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
    except OSError as exc:
        raise RenderError(f"{what}: cannot read ({exc.strerror})") from None
    if head != b"%PDF-":
        raise RenderError(f"{what}: not a PDF (no %PDF- header)")
    if b"%%EOF" not in tail:
        raise RenderError(f"{what}: incomplete PDF (no %%EOF trailer; disk full?)")
    pages = _pdfinfo_pages(path)
    if pages is None:
        with open(path, "rb") as fh:
            pages = len(_PAGE_OBJECT.findall(fh.read()))
    if pages < 1:
        raise RenderError(f"{what}: incomplete PDF (no page)")
    return pages


def _pdfinfo_pages(path: Path) -> int | None:
    """Pages according to ``pdfinfo`` (0 when it cannot read the file); None without it."""
    exe = shutil.which("pdfinfo")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, str(path)], capture_output=True, text=True, errors="replace", timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return 0
    m = re.search(r"^Pages:\s+(\d+)", out.stdout, re.M)
    return int(m.group(1)) if m else 0
