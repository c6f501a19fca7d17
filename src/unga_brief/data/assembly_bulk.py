"""A UN Digital Library bulk CSV fills the whole-Assembly layer (through ``ingest``): the
extract kept under ``data/raw/assembly/`` with its ``.meta.yml``, and the roll calls it
holds whole.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import MalformedFile, UnknownCountry
from unga_brief.core.paths import Paths, write_atomic
from unga_brief.core.vocab import TALLY_FIELDS
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.data.assembly_inputs import (
    META_SUFFIX,
    RAW_SUBDIR,
    clean_symbol,
    clean_title,
    votes_wide,
)
from unga_brief.data.source_files import sha256_of

# --- ingest: a UNDL bulk CSV fills the layer ----------------------------------------------------


def raw_meta_files(paths: Paths) -> list[Path]:
    d = paths.raw_dir / RAW_SUBDIR
    return sorted(d.glob(f"*{META_SUFFIX}")) if d.is_dir() else []


def read_raw_extract(
    paths: Paths, meta_path: Path, members: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One stored extract of a UNDL bulk file (records + wide votes), checked against its meta."""
    try:
        meta = read_yaml(meta_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MalformedFile(f"{meta_path}: not valid YAML ({e})") from None
    d = meta_path.parent
    for key in ("records", "votes"):
        f = d / meta[key]
        if not f.exists():
            raise MalformedFile(f"{meta_path}: the file {meta[key]} it describes is missing")
        if sha256_of(f) != meta[f"{key}_sha256"]:
            raise MalformedFile(f"{f}: sha256 differs from its {meta_path.name} (edited?)")
    rec = pd.read_csv(d / meta["records"], dtype=str, keep_default_na=False)
    wide = pd.read_csv(d / meta["votes"], dtype=str, keep_default_na=False)
    rel = f"data/raw/{RAW_SUBDIR}/{meta['records']}"
    rec = rec.assign(
        source=rel,
        citation=[
            f"UN Digital Library record {r} (bulk file {meta['original_name']}, retrieved "
            f"{meta['retrieved_at']})"
            for r in rec["undl_record"]
        ],
    )
    prov = {
        "file": rel,
        "role": "whole-Assembly layer, ingested UNDL bulk file (extract)",
        "origin": meta.get("origin", ""),
        "retrieved_at": meta["retrieved_at"],
        "rank": 1,
        "records": int(len(rec)),
        "sha256": meta["sha256"],
    }
    return rec, wide.reindex(columns=["undl_record", *members]).fillna(""), prov


def store_bulk(
    paths: Paths,
    file: Path,
    *,
    sha: str,
    retrieved_at: str,
    since: str | None = None,
    origin: str | None = None,
) -> list[Path]:
    """Extract every roll call on or after ``since`` (default: ``curation.yml``'s
    ``assembly.since``) from a UNDL bulk CSV (GA, or SC: its resolutions) into
    ``data/raw/assembly/`` (records + wide votes + meta); return the files written. A record
    whose rows do not make a whole roll call (every Member State for the GA, rows equal to its
    totals) is kept as a record known to exist, without votes. Nothing is written for a project
    without a whole-Assembly layer."""
    from unga_brief.data.curate_inputs import load_rules
    from unga_brief.data.members import load_members
    from unga_brief.undl.bulk_csv import read_bulk_csv

    rules = load_rules(paths)
    if not rules.get("assembly"):
        return []
    since = since or str(rules["assembly"].get("since", "2021-09-01"))
    members = sorted(load_members(paths)["iso3"])
    rec = read_bulk_csv(file, since=since, check_totals=False)
    t = rec.texts[
        (rec.texts["body"].fillna("GA") == "GA")
        | rec.texts["symbol"].fillna("").str.startswith("S/RES/")
    ]
    if t.empty:
        return []
    v = rec.votes[rec.votes["undl_record"].isin(t["undl_record"])]
    stray = sorted(set(v["iso3"]) - set(members))
    if stray:
        raise UnknownCountry(f"{Path(file).name}: codes that are not Member States: {stray[:5]}")
    session_field = _bulk_sessions(Path(file), set(t["undl_record"].astype(str)))
    records = pd.DataFrame(
        {
            "undl_record": t["undl_record"].astype(str),
            "body": t["body"].fillna("GA"),
            "date": t["date"],
            "symbol": t["symbol"].fillna("").map(clean_symbol),
            "title": t["title"].fillna("").map(clean_title),
            "session_field": t["undl_record"].astype(str).map(session_field).fillna(""),
            "members": t["members"].astype("Int64").astype(str).replace("<NA>", ""),
            **{
                c: t[c].astype("Int64").astype(str).replace("<NA>", "")
                for c in TALLY_FIELDS.values()
            },
        }
    )
    wide = votes_wide(v[["undl_record", "iso3", "vote"]], members)
    whole = whole_roll_calls(records, wide, members)
    wide = wide[wide["undl_record"].isin(whole)]
    d = paths.raw_dir / RAW_SUBDIR
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(file).stem)[:60] + f"-{sha[:8]}"
    data = {
        "records": records.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        "votes": wide.to_csv(index=False, lineterminator="\n").encode("utf-8"),
    }
    meta = {"records": f"{stem}.records.csv", "votes": f"{stem}.votes.csv"}
    written = []
    for key, blob in data.items():
        write_atomic(d / meta[key], blob)
        written.append(d / meta[key])
        meta[f"{key}_sha256"] = hashlib.sha256(blob).hexdigest()
    meta |= {
        "original_name": Path(file).name,
        "sha256": sha,
        "retrieved_at": retrieved_at,
        "since": since,
        "whole_roll_calls": len(whole),
        "known_without_votes": int(len(records) - len(whole)),
        "origin": origin or f"ingested from a file the user downloaded ({Path(file).name})",
        "attribution": f"© United Nations, {retrieved_at[:4]}, https://digitallibrary.un.org, "
        f"downloaded on {retrieved_at[:10]}",
    }
    mp = d / f"{stem}{META_SUFFIX}"
    write_atomic(mp, yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).encode("utf-8"))
    written.append(mp)
    return written


def whole_roll_calls(records: pd.DataFrame, wide: pd.DataFrame, members: list[str]) -> set[str]:
    """Records whose cells are a whole roll call: every Member State (GA) or any sitting set
    (SC), and counts equal to the record's own totals."""
    cells = wide.set_index("undl_record")[members]
    by = records.set_index("undl_record").reindex(cells.index)
    ok = pd.Series(True, index=cells.index)
    for code, col in TALLY_FIELDS.items():
        want = pd.to_numeric(by[col].replace("", None))
        ok &= want.notna() & (want == (cells == code).sum(axis=1))
    ok &= (by["body"] != "GA") | ((cells != "").sum(axis=1) == len(members))
    return set(ok[ok].index)


def _bulk_sessions(file: Path, ids: set[str]) -> dict[str, str]:
    """The bulk file's ``session`` per record (``ES-10``, ``79``…), when the layout has it."""
    import csv

    out: dict[str, str] = {}
    with open(file, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        if "session" not in (r.fieldnames or []):
            return out
        for row in r:
            rid = re.sub(r"\.0+$", "", row["undl_id"].strip())
            if rid in ids and rid not in out:
                out[rid] = row["session"].strip()
    return out
