"""One analysis pass per run: what several notebooks share, computed once.

``unga-brief run`` calls :func:`prepare` before starting the notebooks: it loads the frames
(:func:`unga_brief.data.frames.load_frames`), computes the shared ones (both ballots frames, both
profiles, the US record, the whole-Assembly layer and its coincidence with the US) and every
finding of the briefing (:mod:`unga_brief.report.briefing_findings`), and pickles them, with the run's
validation table, into ``build/cache/<digest>/``, the digest covering the data files, the package and the
resolved parameters. The folder is written under a temporary name and renamed when complete, so
a folder that exists is whole. The notebooks get its path as the injected parameter
``cache_dir``; :func:`unga_brief.report.context.open_context` then reads the frames from it, and
``Context.cached`` reads a shared entry from it before computing it (``Context.finding``,
``Context.briefing_findings`` and ``Context.validated`` go through it). The chart of a shared
finding is drawn by the first notebook that shows it, into ``charts/<key>/`` of the same folder,
and copied by the others (:func:`save_chart`).

A notebook run by hand (no ``cache_dir``) computes everything itself, with the same result; a
cache that is missing, unreadable or built for other parameters is ignored and the frames are
computed (:func:`load_frames_from`, :func:`load_entry` return None).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import shutil
import tempfile
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
#: The briefing's findings (:mod:`unga_brief.report.briefing_findings`), computed once too: its two
#: lists (``all_findings.pkl``, ``all_weighing.pkl``, what ``04_briefing`` reads) and each
#: finding alone (``finding-<key>.pkl``, what an analysis notebook reads).
FINDING_PREFIX = "finding-"
FRAMES = "frames"
#: The validation table of the run's data (``Context.validated``).
VALIDATED = "validated"
PARAMS = "params.json"
#: Cache folders kept under build/cache/ (the newest; older ones are removed).
KEEP = 3


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


def compute_shared(ctx) -> dict:
    """Compute every shared entry in ``ctx`` (the findings' own functions fill its cache):
    the frames of :data:`SHARED`, then the briefing's findings (their file name -> value)."""
    from unga_brief.report import finding
    from unga_brief.report.briefing_findings import EXTRA, LISTS

    for firm in (False, True):
        finding.profiles(ctx, firm_only=firm)  # and the ballots frame it reads
    finding.us_votes(ctx)
    out = {name: ctx.briefing_findings(name) for name in LISTS}
    for key in EXTRA:
        ctx.finding(key)
    # The findings fill the Assembly layer's entries, where the project has that layer.
    out.update({name: ctx.cache[key] for key, name in SHARED.items() if key in ctx.cache})
    for key in [k for k in ctx.cache if isinstance(k, tuple) and k[0] == "finding"]:
        out[f"{FINDING_PREFIX}{key[1]}"] = ctx.cache[key]
    return out


def _dump(obj, path: Path) -> None:
    with path.open("wb") as f:
        pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def prepare(paths: Paths, params, per_file: dict[str, str], validated=None) -> Path:
    """The cache folder of these inputs, computed and written when absent (atomically).
    ``validated``: the table :func:`unga_brief.data.validate.validate_data` returned for these data
    files in this run (shared as ``validated.pkl``: ``00_data`` shows it)."""
    from unga_brief.data.frames import load_frames
    from unga_brief.report.context import Context

    root = paths.build / "cache"
    folder = root / digest(per_file, params)
    if folder.is_dir():
        os.utime(folder)  # the newest is kept
        return folder
    frames = load_frames(paths)
    ctx = Context.from_frames(
        params,
        catalog=frames.catalog,
        members=frames.members,
        groups=frames.groups,
        council=frames.council,
        votes=frames.votes,
        electorate=frames.electorate,
        out_dir=root,  # nothing is written there: only the cache is filled
        paths=paths,
    )
    shared = compute_shared(ctx)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        _dump(frames, tmp / f"{FRAMES}.pkl")
        for name, value in shared.items():
            _dump(value, tmp / f"{name}.pkl")
        if validated is not None:
            _dump(validated, tmp / f"{VALIDATED}.pkl")
        (tmp / PARAMS).write_text(params_text(params), encoding="utf-8")
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
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: p.stat().st_mtime,
    )
    for old in folders[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)


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
    from unga_brief.report.briefing_findings import LISTS

    if isinstance(key, tuple) and len(key) == 2 and key[0] == "finding" and isinstance(key[1], str):
        return f"{FINDING_PREFIX}{key[1]}"
    if isinstance(key, str) and (key in LISTS or key == VALIDATED):
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


def save_chart(chart, name: str, figures_dir: str | Path, folder: str | Path) -> str:
    """:func:`unga_brief.report.chart_style.save` of a shared finding's chart, drawn once per run.

    The first notebook of the run that shows the chart draws it (SVG in both layouts, CSV, the
    HTML figure) under a placeholder name into ``folder`` (``<cache>/charts/<finding key>/``,
    written under a temporary name and renamed when complete); every later one copies the
    files under its own name and puts its name in the HTML. The files and the HTML are those
    :func:`~unga_brief.report.chart_style.save` writes and returns for ``name`` (the name appears in the
    HTML only, never in the SVG or CSV). Two notebooks drawing it at the same moment both
    draw it (the same bytes); a folder that cannot be read is drawn again, never fatal."""
    import html as html_lib

    from unga_brief.report import chart_style

    folder = Path(folder)
    placeholder = CHART_PLACEHOLDER
    if not (folder / "figure.html").is_file():
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        except OSError:
            return chart_style.save(chart, name, figures_dir)
        try:
            figure = chart_style.save(chart, placeholder, tmp)
            (tmp / "figure.html").write_text(figure, encoding="utf-8")
            with contextlib.suppress(OSError):  # another notebook was quicker: keep its own
                os.rename(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    try:
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
