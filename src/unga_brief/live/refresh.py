"""The unattended refresh (``unga-brief run --refresh``, ``bin/regenerate``): ``refresh.yml``
names what to fetch and which inbox files to ingest; every file's outcome is logged, and an
inbox file that matches no text exits 6.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from unga_brief.core.errors import (
    MalformedFile,
    ParameterError,
    UngaBriefError,
)
from unga_brief.core.paths import Paths
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.live.fetch import FetchResult, check_request, fetch
from unga_brief.live.ingest_checks import SOURCE_SUFFIX
from unga_brief.undl.client import FetchPolicy, base_url

log = logging.getLogger(__name__)

REFRESH_FILE = "refresh.yml"


# --- unattended refresh (`unga-brief run --refresh`) ------------------------------------------------

_REFRESH_KEYS = {"fetch", "ingest"}
_FETCH_KEYS = {"records", "symbols", "since", "base_url"}


def _as_list(value, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return [str(v) for v in value]
    raise ParameterError(f"{REFRESH_FILE}: {key}: expected a list of strings")


def load_refresh_config(paths: Paths, path: Path | str | None = None) -> dict | None:
    """``refresh.yml`` at the project root (optional): what ``run --refresh`` brings in first.

    ``{fetch: {records: [...], symbols: [...], since: YYYY-MM-DD, base_url: ...},
    ingest: [paths or globs, relative to the project root]}``; both parts optional. Returns
    None when there is no file. Unknown keys and wrong types raise ParameterError (exit 2).
    """
    p = Path(path) if path else paths.root / REFRESH_FILE
    if not p.exists():
        return None
    try:
        raw = read_yaml(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise MalformedFile(f"{p}: not valid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(raw, dict):
        raise ParameterError(f"{REFRESH_FILE}: expected a mapping with fetch: and/or ingest:")
    unknown = sorted(set(raw) - _REFRESH_KEYS)
    if unknown:
        raise ParameterError(
            f"{REFRESH_FILE}: unknown key(s) {', '.join(map(str, unknown))} (fetch, ingest)"
        )
    cfg: dict = {"fetch": None, "ingest": _as_list(raw.get("ingest"), "ingest")}
    f = raw.get("fetch")
    if f is not None:
        if not isinstance(f, dict):
            raise ParameterError(f"{REFRESH_FILE}: fetch: expected a mapping")
        unknown = sorted(set(f) - _FETCH_KEYS)
        if unknown:
            raise ParameterError(
                f"{REFRESH_FILE}: fetch: unknown key(s) {', '.join(map(str, unknown))} "
                f"({', '.join(sorted(_FETCH_KEYS))})"
            )
        since = f.get("since")
        if isinstance(since, dt.date):
            since = since.isoformat()
        fetch_cfg = {
            "records": _as_list(f.get("records"), "fetch.records"),
            "symbols": _as_list(f.get("symbols"), "fetch.symbols"),
            "since": None if since is None else str(since),
            "base_url": f.get("base_url"),
        }
        if fetch_cfg["base_url"] is not None:
            fetch_cfg["base_url"] = base_url(str(fetch_cfg["base_url"]))
        if fetch_cfg["records"] or fetch_cfg["symbols"] or fetch_cfg["since"]:
            check_request(fetch_cfg["records"], fetch_cfg["symbols"], fetch_cfg["since"])
        cfg["fetch"] = fetch_cfg
    return cfg


def inbox_files(paths: Paths, patterns: list[str]) -> list[Path]:
    """The files the ``ingest`` patterns name (relative to the project root), sorted, unique."""
    out: set[Path] = set()
    for pat in patterns:
        full = pat if os.path.isabs(pat) else str(paths.root / pat)
        # Everything the patterns name but folders and provenance sidecars: a FIFO or a
        # broken link is reported as refused, not skipped in silence.
        out.update(
            Path(m)
            for m in glob.glob(full, recursive=True)
            if not Path(m).is_dir() and not m.endswith(SOURCE_SUFFIX)
        )
    return sorted(out)


@dataclass
class RefreshResult:
    fetched: FetchResult | None = None
    ingested: object | None = None  # IngestResult of the inbox files
    files: list[Path] = field(default_factory=list)


def refresh(
    paths: Paths,
    *,
    config: Path | str | None = None,
    base: str | None = None,
    policy: FetchPolicy | None = None,
    progress: Callable[[str], None] = log.info,
) -> RefreshResult:
    """Bring in what ``refresh.yml`` names: first the fetches (network; any failure -> exit 3
    with data/ unchanged), then the inbox files (``ingest``). No file -> nothing to do.

    Unattended, nothing is added to the catalogue: fetched records of texts outside it are
    skipped and listed; an inbox file that maps to no catalogue text fails (exit 2), so it is
    noticed. Files ingested before (same sha256) are recognised and left alone.
    """
    from unga_brief.live.ingest import ingest

    cfg = load_refresh_config(paths, config)
    res = RefreshResult()
    if cfg is None:
        progress(f"refresh: no {REFRESH_FILE}, nothing to bring in")
        return res
    f = cfg["fetch"]
    if f and (f["records"] or f["symbols"] or f["since"]):
        try:
            res.fetched = fetch(
                paths,
                records=f["records"],
                symbols=f["symbols"],
                since=f["since"],
                base=base or f["base_url"],
                policy=policy,
                strict=False,
                progress=progress,
            )
        except UngaBriefError as e:
            report_outcomes(getattr(e, "outcomes", []), progress, "fetched ")
            raise
        for line in res.fetched.skipped:
            progress(f"refresh: skipped {line}")
        ing = res.fetched.ingest
        if ing is not None:
            report_outcomes(ing.outcomes, progress, "fetched ")
            for line in ing.changes_summary():
                progress(f"refresh: changed {line}")
    res.files = inbox_files(paths, cfg["ingest"])
    if cfg["ingest"] and not res.files:
        progress("refresh: inbox empty")
    if res.files:
        try:
            res.ingested = ingest(paths, res.files)
        except UngaBriefError as e:
            report_outcomes(getattr(e, "outcomes", []), progress)
            raise
        report_outcomes(res.ingested.outcomes, progress)
        for line in res.ingested.changes_summary():
            progress(f"refresh: changed {line}")
    return res


def report_outcomes(outcomes, progress: Callable[[str], None], what: str = "") -> None:
    """One line per file: ingested / already ingested / matched no text / refused (why)."""
    for o in outcomes:
        progress(f"refresh: {what}{o.line()}")
