"""What is checked before a file is ingested: the file itself (a regular file, its stated
provenance), which of its records are selected and which catalogue text each matches, and
the totals guard (a record's official totals never silently overturn the catalogue's).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import unicodedata
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import (
    DataError,
    MalformedFile,
    ParameterError,
)
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import TOTAL_FIELDS
from unga_brief.core.yaml_reader import read_yaml

#: Provenance sidecars beside inbox files (``record.xml.source.yml``), never ingested themselves.
SOURCE_SUFFIX = ".source.yml"
#: A UN document symbol: a body letter, then /-separated ASCII parts (A/RES/ES-11/10,
#: A/DEC/80/506, S/RES/2803(2025), S/2022/155, A/ES-11/L.7/Rev.1), maybe a part letter
#: (A/RES/78/183 A).
UN_SYMBOL = re.compile(r"^[ASE](?:/[A-Z0-9][A-Za-z0-9.()-]{0,20}){1,6}(?: [A-Z])?$")
_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)


class TotalsContradiction(DataError):
    """A record's official totals contradict those the catalogue has from another source."""


# --- the input file -----------------------------------------------------------------------------


def check_regular_file(f: Path) -> None:
    """Refuse what is not a regular file (a FIFO would block for ever), with one line."""
    name = shown_name(f)
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
        doc = read_yaml(side.read_text(encoding="utf-8")[:10_000]) or {}
    except (yaml.YAMLError, UnicodeError) as e:
        raise MalformedFile(f"{shown_name(side)}: not valid YAML ({type(e).__name__})") from None
    if not isinstance(doc, dict) or set(map(str, doc)) - {"retrieved_on", "origin"}:
        raise MalformedFile(f"{shown_name(side)}: expected only retrieved_on: and origin:")
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


def shown_name(f: Path) -> str:
    from unga_brief.undl.cleaning import safe_label

    return safe_label(f.name)
