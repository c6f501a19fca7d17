"""`unga-brief ingest FILE…`: bring UN Digital Library voting files into data/ (DESIGN §7).

For each file (MARC XML voting record(s), or a GA/SC bulk voting CSV): refuse anything but a
regular file, parse it (streaming for bulk files), keep the records the filters select
(``--topic``/``--symbols``/``--records``/``--since``, for both kinds), map each record to a
catalogue text by UNDL record id or by symbol, guard the official totals, store it under
``data/raw/`` with its provenance (origin, the date it was retrieved from the UN Digital
Library, the date it was ingested, sha256), then re-run ``curate``: a complete record upgrades a
partial text to full with basis ``record``. What changed is printed and logged under
``data/changes/``. On any failure, data/ is left as it was.

Every file ends with one outcome (:class:`FileOutcome`): ``ingested``, ``already ingested``,
``matched no text`` or ``refused`` (with why). A file whose records match no catalogue text is
a failure of its own (:class:`UnmatchedFile`, exit 6), by hand as unattended.

Guards (issue 13): a record whose official totals contradict the totals the catalogue already
has from another source — which includes a record that would turn a partial text full while
moving its totals — is refused (:class:`TotalsContradiction`, exit 2, naming both figures)
unless ``accept_totals`` (``--accept-totals``) confirms it; the confirmation is logged in
``data/changes/``. ``--add`` takes only UN document symbols, and refuses a symbol that
normalises (NFKC, dashes, case, spaces) to one the catalogue has.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import (
    DataError,
    MalformedFile,
    ParameterError,
    UngaBriefError,
    UnmatchedFile,
)
from unga_brief.core.paths import Paths, write_atomic
from unga_brief.core.vocab import TOPICS
from unga_brief.data import changes as changes_mod
from unga_brief.data.catalog import load_texts_meta
from unga_brief.data.ingested import META_SUFFIX, attribution_line, meta_files, read_meta
from unga_brief.data.source_files import sha256_of

log = logging.getLogger(__name__)

#: A provenance sidecar the user (or a third party's download) may put beside an input file:
#: ``record_4083529.xml.source.yml`` with ``retrieved_on: YYYY-MM-DD`` and ``origin: …``.
SOURCE_SUFFIX = ".source.yml"
OUTCOMES = ("ingested", "already ingested", "matched no text", "refused")
TOTAL_FIELDS = ("yes", "no", "abstain", "non_voting")
#: A UN document symbol: a body letter, then /-separated ASCII parts (A/RES/ES-11/10,
#: A/DEC/80/506, S/RES/2803(2025), S/2022/155, A/ES-11/L.7/Rev.1), maybe a part letter
#: (A/RES/78/183 A).
UN_SYMBOL = re.compile(r"^[ASE](?:/[A-Z0-9][A-Za-z0-9.()-]{0,20}){1,6}(?: [A-Z])?$")
_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)


class TotalsContradiction(DataError):
    """A record's official totals contradict those the catalogue has from another source."""


@dataclass
class FileOutcome:
    file: str
    outcome: str  # one of OUTCOMES
    detail: str = ""

    def line(self) -> str:
        return f"{self.file}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class IngestResult:
    stored: list[str] = field(default_factory=list)
    mapped: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    already: list[str] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)

    def changes_summary(self) -> list[str]:
        return changes_mod.summary(self.changes) if len(self.changes) else []


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


def _shown_name(f: Path) -> str:
    from unga_brief.undl.cleaning import safe_label

    return safe_label(f.name)


# --- the input file -----------------------------------------------------------------------------


def check_regular_file(f: Path) -> None:
    """Refuse what is not a regular file (a FIFO would block for ever), with one line."""
    name = _shown_name(f)
    try:
        st = os.stat(f)  # follows symlinks: a loop raises ELOOP
    except FileNotFoundError:
        raise MalformedFile(f"{name}: file not found") from None
    except OSError as e:
        raise MalformedFile(f"{name}: refused: cannot read it ({e.strerror or e})") from None
    if not stat.S_ISREG(st.st_mode):
        what = (
            "a directory"
            if stat.S_ISDIR(st.st_mode)
            else "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "a device"
        )
        raise MalformedFile(f"{name}: refused: {what}, not a regular file")


def parse_day(value: str, what: str) -> str:
    """'YYYY-MM-DD' (or a full ISO time) -> the ISO text kept; ParameterError otherwise."""
    v = str(value).strip()
    try:
        if len(v) == 10:
            dt.date.fromisoformat(v)
        else:
            dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError(f"{what} {v[:40]!r}: expected a day, YYYY-MM-DD") from None
    return v


def stated_provenance(f: Path) -> dict:
    """``retrieved_on``/``origin`` from a ``<file>.source.yml`` sidecar beside the input, if any."""
    side = f.with_name(f.name + SOURCE_SUFFIX)
    if not side.is_file():
        return {}
    try:
        doc = yaml.safe_load(side.read_text(encoding="utf-8")[:10_000]) or {}
    except (yaml.YAMLError, UnicodeError) as e:
        raise MalformedFile(f"{_shown_name(side)}: not valid YAML ({type(e).__name__})") from None
    if not isinstance(doc, dict) or set(map(str, doc)) - {"retrieved_on", "origin"}:
        raise MalformedFile(f"{_shown_name(side)}: expected only retrieved_on: and origin:")
    out = {}
    if doc.get("retrieved_on") is not None:
        out["retrieved_at"] = parse_day(str(doc["retrieved_on"]), f"{side.name}: retrieved_on")
        out["retrieved_basis"] = f"stated in {side.name}"
    if doc.get("origin"):
        from unga_brief.undl.cleaning import clean_text

        out["origin"] = clean_text(str(doc["origin"]), 300)
    return out


# --- selecting and matching records ----------------------------------------------------------


def select_records(rec, *, symbols=None, records=None, since=None):
    """The records passing every filter (None = no filter), for a parsed MARC XML file (the
    bulk reader applies the same filters while streaming)."""
    t = rec.texts
    keep = pd.Series(True, index=t.index)
    if records is not None:
        keep &= t["undl_record"].isin({str(r).strip() for r in records})
    if symbols is not None:
        keep &= t["symbol"].isin(symbols) | t["draft"].fillna("").isin(symbols)
    if since is not None:
        keep &= t["date"] >= since
    ids = set(t.loc[keep, "undl_record"])
    return rec.__class__(
        votes=rec.votes[rec.votes["undl_record"].isin(ids)].reset_index(drop=True),
        texts=t[keep].reset_index(drop=True),
    )


def normal_symbol(symbol: str) -> str:
    """The form two symbols are compared in: NFKC, every dash a '-', no spaces, upper case."""
    s = unicodedata.normalize("NFKC", symbol).translate(_DASHES)
    return "".join(s.split()).upper()


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


def check_new_symbol(symbol: str, record: str, texts_meta: list[dict]) -> None:
    """``--add``: none the catalogue has under another spelling, and a UN document symbol.
    The symbol is shown in ASCII (``\\u2010``), so that a look-alike character is visible."""
    shown = ascii(symbol[:60])
    mine = normal_symbol(symbol)
    for t in texts_meta:
        for lab in [t.get("symbol"), *t["labels"]]:
            if lab and normal_symbol(lab) == mine:
                raise DataError(
                    f"--add: record {record}: symbol {shown} is the catalogue's {lab} (text "
                    f"{t['id']}) written differently; refused (a text counted twice otherwise)"
                )
    if not UN_SYMBOL.match(symbol):
        raise DataError(
            f"--add: record {record}: {shown} is not a UN document symbol "
            "(A/…, S/… in ASCII letters, digits, '.', '-', '(', ')'); refused"
        )


# --- the totals guard ----------------------------------------------------------------------------


def _record_totals(rec, rid: str) -> dict[str, int | None]:
    """The record's official totals: its 996 (or bulk total_*) figures; where a figure is
    missing and the record lists votes, the tally of its rows."""
    t = rec.texts.set_index("undl_record").loc[rid]
    v = rec.votes[rec.votes["undl_record"] == rid]["vote"]
    tally = {"yes": "Y", "no": "N", "abstain": "A", "non_voting": "X"}
    out = {}
    for f in TOTAL_FIELDS:
        out[f] = int(t[f]) if pd.notna(t[f]) else (int((v == tally[f]).sum()) if len(v) else None)
    return out


def _fmt(totals: dict) -> str:
    return "-".join("?" if totals.get(f) is None else str(totals[f]) for f in TOTAL_FIELDS)


def totals_contradictions(paths: Paths, rec, mapping: dict[str, str], where: str) -> list[dict]:
    """One dict per mapped record whose totals differ from the official totals the catalogue
    already has: text id, symbol, known figures and their source, the record's figures, and the
    coverage it would turn full (or '')."""
    if not paths.catalog_csv.exists():
        return []
    cat = pd.read_csv(paths.catalog_csv, dtype=str, keep_default_na=False).set_index("id")
    out = []
    for rid, tid in mapping.items():
        if tid not in cat.index:
            continue
        row = cat.loc[tid]
        known = {
            f: int(row[f"official_{f}"]) if row[f"official_{f}"] != "" else None
            for f in TOTAL_FIELDS
        }
        mine = _record_totals(rec, rid)
        moved = [
            f
            for f in TOTAL_FIELDS
            if known[f] is not None and mine[f] is not None and known[f] != mine[f]
        ]
        if not moved:
            continue
        full = row["coverage"] != "full" and len(rec.votes[rec.votes["undl_record"] == rid]) > 0
        out.append(
            {
                "text_id": tid,
                "symbol": row["symbol"] or row["label"],
                "known": _fmt(known),
                "source": row["source"] or "the catalogue",
                "record": rid,
                "mine": _fmt(mine),
                "where": where,
                "turns_full": row["coverage"] if full else "",
            }
        )
    return out


# --- storing -----------------------------------------------------------------------------------------


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


def _texts_with(paths: Paths, entries: list[dict]) -> bytes:
    """texts.yml with new entries appended as text (keeps the human-written comments)."""
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
    text = paths.texts_yml.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    return (text + body).encode("utf-8")


class _Writes:
    """The files one ingest writes under data/ (new ones, and the previous bytes of those it
    replaces), so that a failure puts every one back. The single place ingest writes data/."""

    def __init__(self) -> None:
        self.new: list[Path] = []
        self.old: dict[Path, bytes] = {}

    def write(self, path: Path, data: bytes) -> None:
        if path.exists():
            self.old.setdefault(path, path.read_bytes())
        elif path not in self.new:
            self.new.append(path)
        write_atomic(path, data)

    def undo(self) -> None:
        for p in self.new:
            p.unlink(missing_ok=True)
        for p, data in self.old.items():
            write_atomic(p, data)


def _store_assembly(paths: Paths, writes: _Writes, f: Path, sha: str, when: str, origin) -> None:
    """Extract a bulk file's roll calls into data/raw/assembly/, journalled like every write."""
    from unga_brief.data.assembly import store_bulk

    folder = paths.raw_dir / "assembly"
    before = {p: p.read_bytes() for p in folder.glob("*")} if folder.is_dir() else {}
    for p, data in before.items():
        writes.old.setdefault(p, data)
    for p in store_bulk(paths, f, sha=sha, retrieved_at=when, origin=origin):
        if p not in before and p not in writes.new:
            writes.new.append(p)


def _selection(symbols, topic, records, since) -> dict:
    return {
        "symbols": sorted(symbols) if symbols else None,
        "topic": topic,
        "records": sorted(records) if records else None,
        "since": since,
    }


# --- ingest -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Filters:
    """What to keep of a file: symbols, record ids, votes since a day; and how it was asked."""

    symbols: set[str] | None
    records: set[str] | None
    since: str | None
    selection: dict


def _filters(texts_meta, *, add, topic, symbols, records, since) -> _Filters:
    from unga_brief.undl.bulk_csv import check_since

    if records:
        bad = [r for r in records if not re.fullmatch(r"[0-9]{1,12}", str(r).strip())]
        if bad:
            raise ParameterError(f"--records: not a UNDL record id (digits): {bad[0][:40]!r}")
    since = check_since(since)
    sym_filter = set(symbols) if symbols else None
    if topic and not sym_filter and not add:  # --add: new texts of the topic are not listed yet
        sym_filter = {
            x
            for t in texts_meta
            if t["topic"] == topic
            for x in [t.get("symbol"), *t["labels"]]
            if x
        }
    return _Filters(
        symbols=sym_filter,
        records={str(r).strip() for r in records} if records else None,
        since=since,
        selection=_selection(symbols, topic, records, since),
    )


def _read_selected(f: Path, kind: str, flt: _Filters):
    from unga_brief.undl.bulk_csv import read_bulk_csv
    from unga_brief.undl.marc_xml import parse_marc_xml

    if kind == "marcxml":
        return select_records(
            parse_marc_xml(f), symbols=flt.symbols, records=flt.records, since=flt.since
        )
    return read_bulk_csv(f, symbols=flt.symbols, records=flt.records, since=flt.since)


def _map_records(rec, texts_meta, *, name, add, topic, series, when):
    """(record -> text id for the mapped ones, new texts.yml entries, 'not in the catalogue'
    lines). With ``add``, records outside the catalogue become new texts (checked symbols)."""
    mapping = match_records(rec.texts, texts_meta)
    new_entries, skipped = [], []
    for r in rec.texts.itertuples():
        if mapping[r.undl_record]:
            continue
        if not add:
            skipped.append(f"record {r.undl_record} ({r.symbol}, {r.date}) is not in the catalogue")
            continue
        check_new_symbol(r.symbol, r.undl_record, texts_meta + new_entries)
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
                "short_title": str(r.title or r.symbol)[:80],
                "undl_record": int(r.undl_record),
                "note": f"Added by `unga-brief ingest --add` from {name} on {when}.",
            }
        )
        mapping[r.undl_record] = tid
    mapping = {k: v for k, v in mapping.items() if v}
    for r in rec.texts[rec.texts["undl_record"].isin(mapping)].itertuples():
        if not UN_SYMBOL.match(r.symbol):  # e.g. mapped by its record id
            raise DataError(
                f"{name}: record {r.undl_record}: {ascii(r.symbol[:60])} is not a UN "
                "document symbol; refused"
            )
    return mapping, new_entries, skipped


def _guard_totals(paths: Paths, rec, fresh: dict, name: str, accept: bool) -> list[tuple]:
    """Refuse a record contradicting the known official totals, unless ``accept``; then the
    change-log rows that record the confirmation."""
    rows = []
    for c in totals_contradictions(paths, rec, fresh, name):
        said = (
            f"{c['symbol']}: record {c['record']} ({c['where']}) gives Y-N-A-X {c['mine']}, "
            f"the official totals from {c['source']} are {c['known']}"
            + (f", and it would turn the {c['turns_full']} text full" if c["turns_full"] else "")
        )
        if not accept:
            raise TotalsContradiction(
                f"{said}; refused (check the record; `ingest --accept-totals` lets it win)"
            )
        rows.append(
            (
                "totals override confirmed",
                c["text_id"],
                c["symbol"],
                "",
                "official totals",
                f"{c['known']} ({c['source']})",
                f"{c['mine']} (record {c['record']}, --accept-totals)",
            )
        )
    return rows


def _provenance(meta: dict, f: Path, name: str, stated: dict, when: str, selection) -> dict:
    """The sidecar: where the file came from and when it was downloaded (stated by the caller,
    else by a ``FILE.source.yml``, else kept from an earlier ingest of the same file, else
    'not stated'), when it was ingested, the selections made, the credit line."""
    prov = dict(stated)
    if prov["retrieved_at"] is None or prov["origin"] is None:
        for k, v in stated_provenance(f).items():
            if prov.get(k) is None:
                prov[k] = v
    meta = {
        **meta,
        "retrieved_at": prov["retrieved_at"] or meta.get("retrieved_at"),
        "retrieved_basis": prov.get("retrieved_basis")
        or meta.get("retrieved_basis")
        or "not stated",
        "ingested_at": meta.get("ingested_at") or when,
        "origin": prov["origin"]
        or meta.get("origin")
        or f"a file the user downloaded from the UN Digital Library ({name})",
        "selections": [*meta.get("selections", []), selection],
    }
    meta["attribution"] = attribution_line(meta)
    first = ["file", "kind", "original_name", "origin", "retrieved_at", "retrieved_basis"]
    return {k: meta[k] for k in first} | {k: v for k, v in meta.items() if k not in first}


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
    retrieved_basis: str | None = None,
    origin: str | None = None,
    accept_totals: bool = False,
) -> IngestResult:
    """Store the files' selected, mapped records under data/raw/ and re-curate (all or nothing).

    ``retrieved_at``: when the file was retrieved from the UN Digital Library (``--retrieved-on``;
    ``fetch`` passes the time of its download). Without it, a ``<file>.source.yml`` beside the
    file may state it; otherwise it stays unknown and the attribution says so — never today's
    date for a file fetched elsewhere. Every file gets its outcome (``res.outcomes``, also
    attached to a raised error as ``.outcomes``); the first failure is raised after all files
    were looked at, and then nothing is kept.
    """
    from unga_brief.data.curate import run_curate
    from unga_brief.undl.file_kind import sniff

    if topic is not None and topic not in TOPICS:
        raise ParameterError(f"--topic {topic!r}: choose {', '.join(sorted(TOPICS))}")
    if add and not topic:
        raise ParameterError("--add needs --topic (the topic of the texts it adds)")
    if retrieved_at is not None:
        retrieved_at = parse_day(retrieved_at, "--retrieved-on")
    stated = {
        "retrieved_at": retrieved_at,
        "retrieved_basis": retrieved_basis or ("stated by the user" if retrieved_at else None),
        "origin": origin,
    }
    texts_meta = load_texts_meta(paths)
    flt = _filters(texts_meta, add=add, topic=topic, symbols=symbols, records=records, since=since)
    when = _now()
    res = IngestResult()
    old = changes_mod.snapshot(paths.data)
    writes = _Writes()
    stored_metas = {m: read_meta(m) for m in meta_files(paths)}
    confirmed_rows: list[tuple] = []
    failure: UngaBriefError | None = None

    def already(name: str, same: dict) -> None:
        where = ", ".join(f"data/raw/{d['file']}" for d in same.values())
        res.already.append(f"{name} (as {where})")
        res.outcomes.append(FileOutcome(name, "already ingested", f"as {where}"))

    try:
        for f in map(Path, files):
            name = _shown_name(f)
            try:
                check_regular_file(f)
                kind = sniff(f)
                sha = sha256_of(f)
                same = {m: d for m, d in stored_metas.items() if d["sha256"] == sha}
                if any(
                    flt.selection in d.get("selections", [d.get("filters")]) for d in same.values()
                ):
                    already(name, same)
                    continue
                rec = _read_selected(f, kind, flt)
                if kind != "marcxml":  # a bulk file also fills the whole-Assembly layer
                    _store_assembly(paths, writes, f, sha, when, stated["origin"])
                mapping, new_entries, skipped = _map_records(
                    rec, texts_meta, name=name, add=add, topic=topic, series=series, when=when
                )
                res.skipped += skipped
                if not mapping:
                    why = (
                        f"{len(rec.texts)} record(s) selected, none in the catalogue"
                        + (f": {skipped[0]}" if skipped else "")
                        if len(rec.texts)
                        else "no record passes the filters"
                    )
                    res.outcomes.append(FileOutcome(name, "matched no text", why))
                    continue
                covered = {str(k) for d in same.values() for k in d["texts"]}
                fresh = {k: v for k, v in mapping.items() if str(k) not in covered}
                if not fresh:
                    already(name, same)
                    continue
                confirmed_rows += _guard_totals(paths, rec, fresh, name, accept_totals)
                if new_entries:
                    writes.write(paths.texts_yml, _texts_with(paths, new_entries))
                    texts_meta = load_texts_meta(paths)
                    res.added += [e["id"] for e in new_entries]
                stored, meta = _store(paths, writes, f, kind, sha, rec, mapping, same, when)
                meta = _provenance(meta, f, name, stated, when, flt.selection)
                meta_path = paths.raw_dir / (stored.name + META_SUFFIX)
                writes.write(
                    meta_path,
                    yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).encode("utf-8"),
                )
                stored_metas[meta_path] = meta
                res.stored.append(f"data/raw/{stored.name}")
                res.mapped.update({str(k): v for k, v in fresh.items()})
                res.outcomes.append(
                    FileOutcome(
                        name,
                        "ingested",
                        f"as data/raw/{stored.name}: "
                        + ", ".join(f"record {k} -> {v}" for k, v in sorted(fresh.items())),
                    )
                )
            except UngaBriefError as e:  # every file gets its outcome; the first failure is raised
                res.outcomes.append(FileOutcome(name, "refused", str(e)))
                failure = failure or e
        if failure is not None:
            raise failure
        unmatched = [o for o in res.outcomes if o.outcome == "matched no text"]
        if unmatched:
            o = unmatched[0]
            raise UnmatchedFile(
                f"nothing to ingest from {o.file}: {o.detail}"
                + ("; use --add --topic T to add it" if "not in the catalogue" in o.detail else "")
            )
        if writes.new or writes.old:
            try:
                run_curate(paths)
            except UngaBriefError as e:  # the new data does not hold: nothing is kept
                for o in res.outcomes:
                    if o.outcome == "ingested":
                        o.outcome, o.detail = "refused", f"rolled back: {e}"
                raise
        res.confirmed = [f"{r[2]}: {r[5]} -> {r[6]}" for r in confirmed_rows]
    except UngaBriefError as e:
        writes.undo()
        e.outcomes = res.outcomes  # the refresh reports every file's outcome
        raise
    except BaseException:
        writes.undo()
        raise
    if writes.new or writes.old:
        res.changes = changes_mod.diff(old, changes_mod.snapshot(paths.data))
        if confirmed_rows:
            extra = pd.DataFrame(confirmed_rows, columns=changes_mod.CHANGE_COLUMNS)
            res.changes = pd.concat([extra, res.changes], ignore_index=True)
        changes_mod.log_changes(paths.changes_dir, res.changes, when=when, action="ingest")
    return res


def _store(paths: Paths, writes: _Writes, f: Path, kind: str, sha: str, rec, mapping, same, when):
    """Write the file (a MARC XML byte for byte; from a bulk CSV the mapped records, merged with
    those an earlier selection of the same file stored) and return (stored path, meta)."""
    from unga_brief.data.ingested import parse_raw

    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", f.stem)[:60]
    prev_meta_path, prev = next(iter(same.items()), (None, None))
    texts = {str(k): v for k, v in mapping.items()}
    if prev is not None:
        texts = {**{str(k): v for k, v in prev["texts"].items()}, **texts}
    if kind == "marcxml":
        stored = paths.raw_dir / (prev["file"] if prev else f"{stem}-{sha[:8]}.xml")
        data = f.read_bytes()
    else:
        keep = rec.__class__(
            votes=rec.votes[rec.votes["undl_record"].isin(mapping)],
            texts=rec.texts[rec.texts["undl_record"].isin(mapping)],
        )
        if prev is not None:  # keep what the earlier selection stored
            old = parse_raw(paths.raw_dir / prev["file"], kind)
            ids = set(keep.texts["undl_record"])
            keep = rec.__class__(
                votes=pd.concat([old.votes[~old.votes["undl_record"].isin(ids)], keep.votes]),
                texts=pd.concat([old.texts[~old.texts["undl_record"].isin(ids)], keep.texts]),
            )
        stored = paths.raw_dir / (prev["file"] if prev else f"{stem}-{sha[:8]}.extract.csv")
        data = _bulk_extract(keep, kind)
    writes.write(stored, data)
    meta = dict(prev or {})
    meta.update(
        {
            "file": stored.name,
            "kind": kind,
            "original_name": f.name,
            "sha256": sha,
            "bytes": f.stat().st_size,
            "stored_sha256": sha256_of(stored),
            "texts": dict(sorted(texts.items())),
        }
    )
    if prev is None:
        meta["ingested_at"] = when
    return stored, meta


__all__ = [
    "FileOutcome",
    "IngestResult",
    "TotalsContradiction",
    "UnmatchedFile",
    "check_regular_file",
    "ingest",
    "match_records",
    "normal_symbol",
    "select_records",
]
