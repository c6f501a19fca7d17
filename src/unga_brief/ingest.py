"""`unga-brief ingest FILE…`: bring UN Digital Library voting files into data/ (DESIGN §7).

For each file (MARC XML voting record(s), or a GA/SC bulk voting CSV): parse it (streaming for
bulk files, keeping only the rows asked for), map each record to a catalogue text by UNDL record
id or by symbol, store it under ``data/raw/`` with its retrieval time and sha256, then re-run
``curate``: a complete record upgrades a partial text to full with basis ``record``. What changed
is printed and logged under ``data/changes/``. On any failure, data/ is left as it was.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import changes as changes_mod
from .catalog import TOPICS, load_texts_meta
from .errors import DataError, ParameterError, UnknownText
from .paths import Paths, write_atomic
from .raw import META_SUFFIX, meta_files, read_meta
from .sources import sha256_of

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    stored: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    already: list[str] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _slug(symbol: str) -> str:
    s = (
        symbol.lower()
        .replace("a/res/", "ga-")
        .replace("a/dec/", "ga-dec-")
        .replace("s/res/", "sc-res-")
    )
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def match_records(texts: pd.DataFrame, texts_meta: list[dict]) -> dict[str, str | None]:
    """UNDL record id -> catalogue text id (by record id first, then by symbol or label)."""
    by_record = {str(t["undl_record"]): t["id"] for t in texts_meta if t.get("undl_record")}
    by_symbol = {}
    for t in texts_meta:
        for lab in [t.get("symbol"), *t["labels"]]:
            if lab:
                by_symbol[lab] = t["id"]
                by_symbol[re.sub(r"\(\d{4}\)$", "", lab)] = t["id"]  # S/RES/2803(2025) ~ S/RES/2803
    out = {}
    for r in texts.itertuples():
        sym = r.symbol if isinstance(r.symbol, str) else ""
        out[r.undl_record] = (
            by_record.get(str(r.undl_record))
            or by_symbol.get(sym)
            or by_symbol.get(re.sub(r"\(\d{4}\)$", "", sym))
        )
    return out


def _bulk_extract(rec, kind: str) -> bytes:
    """The kept records written back in the bulk layout (the columns the parser needs)."""
    t = rec.texts.set_index("undl_record")
    v = rec.votes
    title_col = "title" if kind == "ga-bulk-csv" else "description"
    df = pd.DataFrame(
        {
            "undl_id": v["undl_record"],
            "ms_code": v["iso3"],
            "ms_name": v["name"],
            "ms_vote": v["vote"],
            "date": v["date"],
            "resolution": v["symbol"],
            "draft": v["undl_record"].map(t["draft"]).fillna(""),
            "meeting": v["undl_record"].map(t["meeting"]).fillna(""),
            title_col: v["undl_record"].map(t["title"]).fillna(""),
            **{
                f"total_{k}": v["undl_record"]
                .map(t[c])
                .astype("Int64")
                .astype(str)
                .replace("<NA>", "")
                for k, c in (
                    ("yes", "yes"),
                    ("no", "no"),
                    ("abstentions", "abstain"),
                    ("non_voting", "non_voting"),
                    ("ms", "members"),
                )
            },
        }
    )
    if kind == "ga-bulk-csv":
        df.insert(5, "session", "")
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _append_texts(paths: Paths, entries: list[dict]) -> None:
    """Append new entries to texts.yml as text (keeps the human-written comments)."""
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
    text = paths.texts_yml.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    write_atomic(paths.texts_yml, (text + body).encode("utf-8"))


def ingest(
    paths: Paths,
    files: list[str | Path],
    *,
    add: bool = False,
    topic: str | None = None,
    series: str | None = None,
    symbols: list[str] | None = None,
    records: list[str] | None = None,
    since: str | None = None,
    retrieved_at: str | None = None,
    origin: str | None = None,
) -> IngestResult:
    """Store the files' mapped records under data/raw/ and re-curate (all or nothing)."""
    from .assembly import store_bulk
    from .curate import run_curate
    from .undl import parse_marc_xml, read_bulk_csv, sniff

    if topic is not None and topic not in TOPICS:
        raise ParameterError(f"--topic {topic!r}: choose {', '.join(sorted(TOPICS))}")
    if add and not topic:
        raise ParameterError("--add needs --topic (the topic of the texts it adds)")
    texts_meta = load_texts_meta(paths)
    sym_filter = set(symbols) if symbols else None
    if topic and not sym_filter:
        sym_filter = {
            x
            for t in texts_meta
            if t["topic"] == topic
            for x in [t.get("symbol"), *t["labels"]]
            if x
        }
        if add:
            sym_filter = None  # new texts of the topic are not in the catalogue yet
    when = retrieved_at or _now()
    res = IngestResult()
    old = changes_mod.snapshot(paths.data)
    texts_before = paths.texts_yml.read_bytes()
    new_files: list[Path] = []
    known_sha = {read_meta(m)["sha256"]: m for m in meta_files(paths)}
    try:
        for f in map(Path, files):
            kind = sniff(f)
            sha = sha256_of(f)
            if sha in known_sha:
                res.already.append(f"{f.name} (as {read_meta(known_sha[sha])['file']})")
                continue
            if kind == "marcxml":
                rec = parse_marc_xml(f)
            else:
                rec = read_bulk_csv(
                    f, symbols=sym_filter, records=set(records) if records else None, since=since
                )
                new_files += store_bulk(paths, f, sha=sha, retrieved_at=when, origin=origin)
            mapping = match_records(rec.texts, texts_meta)
            new_entries = []
            for r in rec.texts.itertuples():
                if mapping[r.undl_record]:
                    continue
                if not add:
                    res.skipped.append(
                        f"record {r.undl_record} ({r.symbol}, {r.date}) is not in the catalogue"
                    )
                    continue
                tid = _slug(r.symbol)
                if any(t["id"] == tid for t in texts_meta + new_entries):
                    raise DataError(f"--add: id {tid} for record {r.undl_record} already exists")
                new_entries.append(
                    {
                        "id": tid,
                        "labels": [r.symbol],
                        "symbol": r.symbol,
                        "topic": topic,
                        "series": series or f"{topic}-added",
                        "short_title": str(r.title)[:80],
                        "undl_record": int(r.undl_record),
                        "note": f"Added by `unga-brief ingest --add` from {f.name} on {when}.",
                    }
                )
                mapping[r.undl_record] = tid
            mapping = {k: v for k, v in mapping.items() if v}
            if not mapping:
                continue
            if new_entries:
                _append_texts(paths, new_entries)
                texts_meta = load_texts_meta(paths)
                res.added += [e["id"] for e in new_entries]
            stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f.stem)[:60]
            if kind == "marcxml":
                stored = paths.raw_dir / f"{stem}-{sha[:8]}.xml"
                data = f.read_bytes()
            else:
                keep = rec.__class__(
                    votes=rec.votes[rec.votes["undl_record"].isin(mapping)],
                    texts=rec.texts[rec.texts["undl_record"].isin(mapping)],
                )
                stored = paths.raw_dir / f"{stem}-{sha[:8]}.extract.csv"
                data = _bulk_extract(keep, kind)
            write_atomic(stored, data)
            new_files.append(stored)
            meta = {
                "file": stored.name,
                "kind": kind,
                "original_name": f.name,
                "sha256": sha,
                "bytes": f.stat().st_size,
                "stored_sha256": sha256_of(stored),
                "retrieved_at": when,
                "origin": origin or f"ingested from a file the user downloaded ({f.name})",
                "filters": {
                    "symbols": sorted(symbols) if symbols else None,
                    "topic": topic,
                    "records": records,
                    "since": since,
                },
                "attribution": f"© United Nations, {when[:4]}, https://digitallibrary.un.org, downloaded on {when[:10]}",
                "texts": {str(k): v for k, v in sorted(mapping.items())},
            }
            meta_path = paths.raw_dir / (stored.name + META_SUFFIX)
            write_atomic(
                meta_path, yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).encode("utf-8")
            )
            new_files.append(meta_path)
            res.stored.append(f"data/raw/{stored.name}")
            res.mapped.update({str(k): v for k, v in mapping.items()})
        if not new_files:
            if res.already:
                return res
            raise UnknownText(
                "nothing to ingest: no record in the file(s) maps to a catalogue text"
                + (
                    f" ({'; '.join(res.skipped[:3])}{'…' if len(res.skipped) > 3 else ''}); "
                    "use --add --topic T to add them"
                    if res.skipped
                    else ""
                )
            )
        run_curate(paths)
    except BaseException:
        for p in new_files:
            p.unlink(missing_ok=True)
        if paths.texts_yml.read_bytes() != texts_before:
            write_atomic(paths.texts_yml, texts_before)
        raise
    new = changes_mod.snapshot(paths.data)
    res.changes = changes_mod.diff(old, new)
    changes_mod.log_changes(paths.changes_dir, res.changes, when=when, action="ingest")
    return res


__all__ = ["ingest", "match_records", "IngestResult"]
