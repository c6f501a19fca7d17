"""data/raw/: UN Digital Library files brought in by ``ingest`` or ``fetch`` (an input layer).

Each file is kept with a sidecar ``<file>.meta.yml``: where it came from, when it was retrieved,
its sha256 and size, its kind, and which UNDL record maps to which catalogue text. A MARC XML
record is kept byte for byte; from a bulk CSV (hundreds of MB) only the rows of the mapped
records are kept, in the same layout, with the sha256 of the original file recorded.
``curate`` reads this layer first: a UNDL record outranks every gathered source (rank 1).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import MalformedFile, UnknownText
from unga_brief.core.paths import Paths
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.data.source_files import sha256_of

META_SUFFIX = ".meta.yml"
UNDL_SITE = "https://digitallibrary.un.org"
#: A gathered input whose origin says it copies UN Digital Library data (© United Nations).
_UNDL_ORIGIN = re.compile(r"UN Digital Library|UNDL (?:record|voting|file|data|export)", re.I)
KIND_OF_SYMBOL = (
    ("A/RES/", "resolution"),
    ("A/DEC/", "decision"),
    ("S/RES/", "resolution"),
    ("S/", "draft"),
)


def meta_files(paths: Paths) -> list[Path]:
    return sorted(paths.raw_dir.glob(f"*{META_SUFFIX}")) if paths.raw_dir.is_dir() else []


def read_meta(meta_path: Path) -> dict:
    try:
        meta = read_yaml(meta_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise MalformedFile(f"{meta_path}: not valid YAML ({e})") from None
    for key in ("file", "kind", "sha256", "retrieved_at", "texts"):
        if key not in (meta or {}):
            raise MalformedFile(f"{meta_path}: missing {key!r}")
    return meta


# --- provenance and attribution (issue 14) ---------------------------------------------------


def attribution_line(meta: dict) -> str:
    """The UNDL credit for one stored file, with the day *that* file was downloaded from the
    UN Digital Library; when nobody stated it, the line says so (never today's date)."""
    got = meta.get("retrieved_at")
    if got:
        return f"© United Nations, {str(got)[:4]}, {UNDL_SITE}, downloaded on {str(got)[:10]}"
    ingested = str(meta.get("ingested_at") or "")[:10]
    return f"© United Nations, {UNDL_SITE}, downloaded on a date not stated" + (
        f" (brought into this project on {ingested})" if ingested else ""
    )


def raw_files(paths: Paths) -> pd.DataFrame:
    """One row per file in data/raw/: ``file, kind, origin, retrieved, retrieved_basis,
    ingested, texts, attribution`` (what the sources page lists)."""
    cols = ["file", "kind", "origin", "retrieved", "retrieved_basis", "ingested", "texts"]
    rows = []
    for m in meta_files(paths):
        meta = read_meta(m)
        rows.append(
            {
                "file": f"data/raw/{meta['file']}",
                "kind": meta["kind"],
                "origin": meta.get("origin", ""),
                "retrieved": str(meta.get("retrieved_at") or "")[:10],
                "retrieved_basis": meta.get("retrieved_basis") or "",
                "ingested": str(meta.get("ingested_at") or "")[:10],
                "texts": len(meta["texts"]),
                "attribution": attribution_line(meta),
            }
        )
    return pd.DataFrame(rows, columns=[*cols, "attribution"])


def attribution(paths: Paths) -> pd.DataFrame:
    """Every input of ``data/sources.yml`` that carries UN Digital Library data, each with its
    own download date: ``file, origin, retrieved, attribution``. Files in data/raw/ come from
    their sidecars; gathered copies (third parties') give ``retrieved`` only where sources.yml
    states it, else the line says the copy does not state it."""
    raw = raw_files(paths).set_index("file")
    doc = (
        read_yaml(paths.sources_yml.read_text(encoding="utf-8"))
        if paths.sources_yml.exists()
        else {}
    )
    rows = []
    seen = set()
    for d in (doc or {}).get("inputs", []) or []:
        f, origin = str(d.get("file", "")), str(d.get("origin") or "")
        if f in raw.index:
            r = raw.loc[f]
            rows.append((f, r["origin"], r["retrieved"], r["attribution"]))
            seen.add(f)
        elif d.get("rank") == 1 or _UNDL_ORIGIN.search(origin):  # rank 1: copies of UNDL records
            got = str(d.get("retrieved") or "")[:10]
            rows.append(
                (
                    f,
                    origin,
                    got,
                    f"© United Nations, {UNDL_SITE}, via a third party's copy; downloaded on "
                    + (got or "a date the copy does not state"),
                )
            )
    for f, r in raw.iterrows():  # ingested but not yet curated into sources.yml
        if f not in seen:
            rows.append((f, r["origin"], r["retrieved"], r["attribution"]))
    return pd.DataFrame(rows, columns=["file", "origin", "retrieved", "attribution"])


def attribution_lines(paths: Paths) -> list[str]:
    """``file: credit`` per UN Digital Library input (for the briefing's sources page)."""
    return [f"{r.file}: {r.attribution}" for r in attribution(paths).itertuples()]


def parse_raw(path: Path, kind: str, *, check_totals: bool = True):
    """Parse a stored UNDL file with the parser its kind needs."""
    from unga_brief.undl.bulk_csv import read_bulk_csv
    from unga_brief.undl.marc_xml import parse_marc_xml

    if kind == "marcxml":
        return parse_marc_xml(path, check_totals=check_totals)
    if kind in ("ga-bulk-csv", "sc-bulk-csv"):
        return read_bulk_csv(path, check_totals=check_totals)
    raise MalformedFile(f"{path}: unknown raw file kind {kind!r}")


def kind_of(symbol: str) -> str:
    for prefix, kind in KIND_OF_SYMBOL:
        if symbol.startswith(prefix):
            return kind
    return "resolution"


def read_raw_layer(
    paths: Paths, texts_meta: list[dict]
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Vote rows and totals rows (curate's input shape) from every file in data/raw/."""
    known = {t["id"]: t for t in texts_meta}
    vote_frames, total_frames, sources = [], [], []
    for order, meta_path in enumerate(meta_files(paths), start=-1000):
        meta = read_meta(meta_path)
        f = paths.raw_dir / meta["file"]
        if not f.exists():
            raise MalformedFile(f"{meta_path}: the file {meta['file']} it describes is missing")
        if sha256_of(f) != meta.get("stored_sha256", meta["sha256"]):
            raise MalformedFile(
                f"data/raw/{meta['file']}: sha256 differs from its {meta_path.name} (edited?)"
            )
        mapping = {str(k): v for k, v in meta["texts"].items()}
        for tid in mapping.values():
            if tid not in known:
                raise UnknownText(
                    f"{meta_path.name}: maps a record to {tid!r}, which is not in data/catalog/texts.yml"
                )
        rec = parse_raw(f, meta["kind"])
        rel = f"data/raw/{meta['file']}"
        v = rec.votes[rec.votes["undl_record"].isin(mapping)]
        t = rec.texts[rec.texts["undl_record"].isin(mapping)]
        got = meta["retrieved_at"]
        got = f"retrieved {got}" if got else "retrieval date not stated"
        cite = f"UN Digital Library record {{}} ({meta['kind']}, {got})"
        if len(v):
            vote_frames.append(
                pd.DataFrame(
                    {
                        "label": v["symbol"].to_numpy(),
                        "date": v["date"].to_numpy(),
                        "iso3": v["iso3"].to_numpy(),
                        "country": v["name"].to_numpy(),
                        "vote": v["vote"].to_numpy(),
                        "citation": [cite.format(r) for r in v["undl_record"]],
                        "file": rel,
                        "line": range(2, len(v) + 2),
                        "order": order,
                        "body": [
                            ("SC" if s.startswith("S/") else "GA")
                            for r, s in zip(v["undl_record"], v["symbol"])
                        ],
                        "text_id": v["undl_record"].map(mapping).to_numpy(),
                        "rank": 1,
                        "basis": "record",
                    }
                )
            )
        if len(t):
            total_frames.append(
                pd.DataFrame(
                    {
                        "label": t["symbol"].to_numpy(),
                        "date": t["date"].to_numpy(),
                        "body": t["body"].fillna("GA").to_numpy(),
                        "kind": [
                            known[mapping[r]].get("kind") or kind_of(s)
                            for r, s in zip(t["undl_record"], t["symbol"])
                        ],
                        "title": t["title"].fillna("").to_numpy(),
                        **{c: t[c].to_numpy() for c in ("yes", "no", "abstain", "non_voting")},
                        "citation": [cite.format(r) for r in t["undl_record"]],
                        "file": rel,
                        "line": range(2, len(t) + 2),
                        "order": order,
                        "text_id": t["undl_record"].map(mapping).to_numpy(),
                    }
                )
            )
        sources.append(
            {
                "file": rel,
                "role": "UN Digital Library record(s), ingested",
                "origin": meta.get("origin", ""),
                "retrieved_at": meta["retrieved_at"],
                "ingested_at": meta.get("ingested_at"),
                "rank": 1,
                "texts": sorted(set(mapping.values())),
                "sha256": meta["sha256"],
            }
        )
    votes = pd.concat(vote_frames, ignore_index=True) if vote_frames else pd.DataFrame()
    totals = pd.concat(total_frames, ignore_index=True) if total_frames else pd.DataFrame()
    return votes, totals, sources
