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

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.clock import utc_now
from unga_brief.core.errors import (
    DataError,
    ParameterError,
    UngaBriefError,
    UnmatchedFile,
)
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import TOPICS
from unga_brief.data import changes as changes_mod
from unga_brief.data.catalog import load_texts_meta
from unga_brief.data.ingested import META_SUFFIX, attribution_line, meta_files, read_meta
from unga_brief.data.source_files import sha256_of
from unga_brief.live.ingest_checks import (
    UN_SYMBOL,
    TotalsContradiction,
    check_new_symbol,
    check_regular_file,
    match_records,
    parse_day,
    select_records,
    shown_name,
    stated_provenance,
    totals_contradictions,
)
from unga_brief.live.ingest_store import Writes, store, store_assembly, texts_with

log = logging.getLogger(__name__)

#: A provenance sidecar the user (or a third party's download) may put beside an input file:
#: ``record_4083529.xml.source.yml`` with ``retrieved_on: YYYY-MM-DD`` and ``origin: …``.
OUTCOMES = ("ingested", "already ingested", "matched no text", "refused")


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


def _slug(symbol: str) -> str:
    s = (
        symbol.lower()
        .replace("a/res/", "ga-")
        .replace("a/dec/", "ga-dec-")
        .replace("s/res/", "sc-res-")
    )
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


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
    when = utc_now()
    res = IngestResult()
    old = changes_mod.snapshot(paths.data)
    writes = Writes()
    stored_metas = {m: read_meta(m) for m in meta_files(paths)}
    confirmed_rows: list[tuple] = []
    failure: UngaBriefError | None = None

    def already(name: str, same: dict) -> None:
        where = ", ".join(f"data/raw/{d['file']}" for d in same.values())
        res.already.append(f"{name} (as {where})")
        res.outcomes.append(FileOutcome(name, "already ingested", f"as {where}"))

    try:
        for f in map(Path, files):
            name = shown_name(f)
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
                    store_assembly(paths, writes, f, sha, when, stated["origin"])
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
                    writes.write(paths.texts_yml, texts_with(paths, new_entries))
                    texts_meta = load_texts_meta(paths)
                    res.added += [e["id"] for e in new_entries]
                stored, meta = store(paths, writes, f, kind, sha, rec, mapping, same, when)
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
