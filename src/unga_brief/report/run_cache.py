"""One analysis pass per run: what several notebooks share, computed once.

``unga-brief run`` calls :func:`prepare` before the notebooks: the run's kernels (warm, the
stack imported) share out the analysis pass (:func:`compute_part` in each, every finding taken
by the first kernel free): they load the frames (:func:`unga_brief.data.frames.load_frames`),
compute the shared ones (both ballots frames, both profiles, the US record, the whole-Assembly
layer and its coincidence with the US) and every finding of the briefing
(:mod:`unga_brief.report.briefing_findings`), draw each finding's chart, and pickle them, with
the run's validation table, into ``build/cache/<digest>/``, the digest covering the data files,
the package and the resolved parameters. The folder is written under a temporary name and
renamed when complete (every finding there), so a folder that exists is whole. The notebooks
get its path as the injected parameter ``cache_dir``;
:func:`unga_brief.report.context.open_context` then reads the frames from it, and
``Context.cached`` reads a shared entry from it before computing it (``Context.finding`` and
``Context.validated`` go through it; ``Context.briefing_findings`` reads each finding of its
list that way). The chart of a shared
finding, drawn by the pass into ``charts/<key>/`` of the same folder, is copied by every
notebook that shows it (:func:`save_chart`).

A notebook run by hand (no ``cache_dir``) computes everything itself, with the same result; a
cache that is missing, unreadable or built for other parameters is ignored and the frames are
computed (:func:`load_frames_from`, :func:`load_entry` return None).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import shutil
import tempfile
import time
from pathlib import Path

from unga_brief.core.paths import Paths

#: The context's cache keys that the pipeline computes once -> their file in the cache folder.
SHARED = {
    ("ballots", False): "ballots",
    ("ballots", True): "ballots_firm",
    ("profiles", False): "profiles",
    ("profiles", True): "profiles_firm",
    "us_votes": "us_votes",
    "assembly_layer": "assembly_layer",
    "coincidence_all_votes": "coincidence_all_votes",
}
#: The briefing's findings (:mod:`unga_brief.report.briefing_findings`), computed once too, each
#: alone (``finding-<key>.pkl``: what every notebook reads, ``04_briefing`` through its two lists).
FINDING_PREFIX = "finding-"
FRAMES = "frames"
#: The validation table of the run's data (``Context.validated``).
VALIDATED = "validated"
PARAMS = "params.json"
#: The resolved parameters, for the kernels that compute the findings (:func:`compute_part`).
RESOLVED_PARAMS = "resolved-params.pkl"
#: Which process took which part of the analysis pass (removed before the folder is complete).
CLAIMS = ".claims"
#: Cache folders kept under build/cache/ (the newest; older ones are removed).
KEEP = 3
#: A temporary folder of a pass untouched this long (seconds) is left over: it is removed.
STALE_TMP_S = 3600


def params_text(params) -> str:
    """The resolved parameters as canonical JSON (what a cache folder was built for)."""
    from unga_brief.report.params import plain

    return json.dumps(plain(params.as_dict()), sort_keys=True, default=str)


def digest(per_file: dict[str, str], params) -> str:
    """Digest of the data files and the package (from the run's sha256 per input file) and of
    the resolved parameters."""
    used = {k: v for k, v in per_file.items() if k.startswith(("data/", "package/"))}
    blob = json.dumps(used, sort_keys=True) + params_text(params)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _claim(folder: Path, name: str) -> bool:
    """Claim ``name`` for this process (the first to ask gets it): a run's analysis pass is
    shared out among its kernels this way, each taking the next finding not yet taken."""
    claims = folder / CLAIMS
    claims.mkdir(exist_ok=True)
    try:
        os.close(os.open(claims / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _dump(obj, path: Path) -> None:
    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def compute_part(folder: str | Path, root: str, sources: str, data_dir: str | None = None) -> list:
    """This process's share of the analysis pass into ``folder`` (the cache folder being
    written; the parameters are its ``resolved-params.pkl``): each finding not yet claimed by
    another process (:func:`~unga_brief.report.briefing_findings.every_key`, last first) is computed,
    pickled (``finding-<key>.pkl``) and its chart drawn in both layouts (:func:`draw_chart`); then
    the frames of :data:`SHARED` this process computed, where no other process wrote them yet.
    Run in each of the run's kernels at once (or alone in the run's process); returns the keys
    this process computed."""
    from unga_brief.data.frames import load_frames
    from unga_brief.report import finding
    from unga_brief.report.briefing_findings import every_key
    from unga_brief.report.context import Context

    folder = Path(folder)
    paths = Paths(Path(root), Path(sources), Path(data_dir) if data_dir else None)
    with (folder / RESOLVED_PARAMS).open("rb") as f:
        params = pickle.load(f)
    frames = load_frames(paths)
    ctx = Context.from_frames(
        params,
        catalog=frames.catalog,
        members=frames.members,
        groups=frames.groups,
        council=frames.council,
        votes=frames.votes,
        electorate=frames.electorate,
        out_dir=folder,  # nothing is written there: only the context's cache is filled
        paths=paths,
    )
    if _claim(folder, FRAMES):
        _dump(frames, folder / f"{FRAMES}.pkl")
        for firm in (False, True):  # the frames every notebook reads, findings or not
            finding.profiles(ctx, firm_only=firm)
        finding.us_votes(ctx)
    done = []
    # In reverse briefing order: the briefing opens with its one-sentence findings (the latest
    # votes, no chart), far quicker than those with a chart, so the last claims are the short
    # ones and the kernels' shares end close together (docs/benchmark.md).
    for key in reversed(every_key()):
        if not _claim(folder, f"{FINDING_PREFIX}{key}"):
            continue
        found = ctx.finding(key)
        if getattr(found, "chart", None) is not None:
            draw_chart(found.chart, folder / CHARTS / key)
        _dump(finding_without_figure(found), folder / f"{FINDING_PREFIX}{key}.pkl")
        done.append(key)
    # The findings fill the Assembly layer's entries, where the project has that layer.
    for key, name in SHARED.items():
        if key in ctx.cache and _claim(folder, name):
            _dump(ctx.cache[key], folder / f"{name}.pkl")
    return done


def finding_without_figure(found):
    """``found`` as the pass pickles it once its chart is drawn: its chart without the matplotlib
    figure (:func:`unga_brief.report.chart_style.without_figure`; a notebook copies the drawing,
    and unpickling figures slowed every notebook: docs/benchmark.md)."""
    from unga_brief.report import chart_style

    chart = getattr(found, "chart", None)
    if chart is None:
        return found
    return dataclasses.replace(found, chart=chart_style.without_figure(chart))


def missing_entries(folder: Path) -> list[str]:
    """The files a complete analysis pass leaves in ``folder`` that are not there."""
    from unga_brief.report.briefing_findings import every_key

    names = [FRAMES] + [f"{FINDING_PREFIX}{key}" for key in every_key()]
    return [n for n in names if not (folder / f"{n}.pkl").is_file()]


def part_args(folder: Path, paths: Paths) -> tuple[str, str, str, str | None]:
    """:func:`compute_part`'s arguments for ``folder`` and the run's ``paths`` (plain strings:
    they are written into the code a kernel runs)."""
    data_dir = str(paths.data_dir) if paths.data_dir is not None else None
    return str(folder), str(paths.root), str(paths.sources), data_dir


def pass_code(folder: Path, paths: Paths) -> str:
    """The code a kernel runs for its share of the analysis pass (:func:`compute_part`)."""
    args = ", ".join(repr(a) for a in part_args(folder, paths))
    return f"from unga_brief.report.run_cache import compute_part\ncompute_part({args})"


def prepare(paths: Paths, params, per_file: dict[str, str], validated=None, pool=None) -> Path:
    """The cache folder of these inputs, computed and written when absent (atomically).
    ``validated``: the table :func:`unga_brief.data.validate.validate_data` returned for these data
    files in this run (shared as ``validated.pkl``: ``00_data`` shows it). ``pool``: the run's
    :class:`~unga_brief.kernels.KernelPool`, whose kernels share out the findings and their charts
    (:func:`compute_part` in each); without one, this process computes them all.
    Raises when the pass fails or leaves a finding out (the caller then runs without a cache)."""
    root = paths.build / "cache"
    folder = root / digest(per_file, params)
    if folder.is_dir():
        os.utime(folder)  # the newest is kept
        return folder
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        _dump(params, tmp / RESOLVED_PARAMS)
        if validated is not None:
            _dump(validated, tmp / f"{VALIDATED}.pkl")
        (tmp / PARAMS).write_text(params_text(params), encoding="utf-8")
        if pool is None:
            compute_part(*part_args(tmp, paths))
        else:
            pool.run_everywhere(pass_code(tmp, paths), "analysis pass")
        missing = missing_entries(tmp)
        if missing:
            raise RuntimeError(f"the analysis pass left out {', '.join(missing)}")
        shutil.rmtree(tmp / CLAIMS, ignore_errors=True)
        try:
            os.rename(tmp, folder)
        except OSError:  # another run wrote the same folder meanwhile: keep that one
            if not folder.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(root)
    return folder


def _prune(root: Path) -> None:
    """Keep the :data:`KEEP` newest cache folders; remove the temporary folders of passes that
    ended more than :data:`STALE_TMP_S` ago without completing (an interrupted run, or a
    kernel still drawing into a folder its run had already removed)."""
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in folders[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    now = time.time()
    for tmp in root.glob(".tmp-*"):
        with contextlib.suppress(OSError):
            if tmp.is_dir() and now - tmp.stat().st_mtime > STALE_TMP_S:
                shutil.rmtree(tmp, ignore_errors=True)


def _load(path: Path):
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # missing, truncated or unreadable: the caller computes instead
        return None


def load_frames_from(folder: str | Path):
    """The :class:`~unga_brief.data.frames.Frames` pickled in ``folder``, or None."""
    from unga_brief.data.frames import Frames

    frames = _load(Path(folder) / f"{FRAMES}.pkl")
    return frames if isinstance(frames, Frames) else None


def matches(folder: str | Path, params) -> bool:
    """The folder was built for these very parameters."""
    try:
        return (Path(folder) / PARAMS).read_text(encoding="utf-8") == params_text(params)
    except OSError:
        return False


def entry_name(key) -> str | None:
    """The file name (without ``.pkl``) of a context cache key that the run shares, or None."""
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "finding" and isinstance(key[1], str):
        return f"{FINDING_PREFIX}{key[1]}"
    if key == VALIDATED:
        return key
    return SHARED.get(key) if isinstance(key, str | tuple) else None


def load_entry(folder: str | Path, key):
    """A shared entry pickled in ``folder``, or None (not shared, missing or unreadable)."""
    name = entry_name(key)
    return None if name is None else _load(Path(folder) / f"{name}.pkl")


#: Charts of shared findings, drawn once per run: ``charts/<finding key>/``.
CHARTS = "charts"
#: The name a shared chart is drawn under; each notebook's own name replaces it.
CHART_PLACEHOLDER = "unga-brief-shared-chart"


def draw_chart(chart, folder: str | Path) -> None:
    """Draw a shared finding's chart once for the run into ``folder``
    (``<cache>/charts/<finding key>/``): what :func:`unga_brief.report.chart_style.save` writes
    (SVG in both layouts, CSV) under a placeholder name, and the HTML figure it returns, written
    under a temporary name and renamed when complete. A folder already there is kept (two
    processes drawing it at the same moment draw the same bytes). Raises OSError."""
    from unga_brief.report import chart_style

    folder = Path(folder)
    if (folder / "figure.html").is_file():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        figure = chart_style.save(chart, CHART_PLACEHOLDER, tmp)
        (tmp / "figure.html").write_text(figure, encoding="utf-8")
        with contextlib.suppress(OSError):  # another process was quicker: keep its own
            os.rename(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def save_chart(chart, name: str, figures_dir: str | Path, folder: str | Path) -> str:
    """:func:`unga_brief.report.chart_style.save` of a shared finding's chart, drawn once per run.

    The run's analysis pass draws it (:func:`draw_chart`) into ``folder``; a notebook that
    shows it copies the files under its own name and puts its name in the HTML (drawing it
    first if the folder is not there). The files and the HTML are those
    :func:`~unga_brief.report.chart_style.save` writes and returns for ``name`` (the name appears in
    the HTML only, never in the SVG or CSV). A folder that cannot be written or read is drawn
    again, never fatal."""
    import html as html_lib

    from unga_brief.report import chart_style

    folder = Path(folder)
    placeholder = CHART_PLACEHOLDER
    try:
        draw_chart(chart, folder)
        figure = (folder / "figure.html").read_text(encoding="utf-8")
        svg = (folder / f"{placeholder}.svg").read_bytes()
        csv = (folder / f"{placeholder}.csv").read_bytes()
    except OSError:
        return chart_style.save(chart, name, figures_dir)
    out = Path(figures_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.svg").write_bytes(svg)
    (out / f"{name}.csv").write_bytes(csv)
    return figure.replace(placeholder, html_lib.escape(name))
