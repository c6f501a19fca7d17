"""Storing what ``ingest`` accepted under ``data/raw/``: a MARC XML byte for byte, from a bulk
CSV only the mapped records (merged with what an earlier selection of the same file stored),
each with its ``.meta.yml``; every write staged and applied together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.paths import Paths, write_atomic
from unga_brief.data.source_files import sha256_of

# --- storing -----------------------------------------------------------------------------------------


def bulk_extract(rec, kind: str) -> bytes:
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


def texts_with(paths: Paths, entries: list[dict]) -> bytes:
    """texts.yml with new entries appended as text (keeps the human-written comments)."""
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
    text = paths.texts_yml.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    return (text + body).encode("utf-8")


class Writes:
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


def store_assembly(paths: Paths, writes: Writes, f: Path, sha: str, when: str, origin) -> None:
    """Extract a bulk file's roll calls into data/raw/assembly/, journalled like every write."""
    from unga_brief.data.assembly_bulk import store_bulk

    folder = paths.raw_dir / "assembly"
    before = {p: p.read_bytes() for p in folder.glob("*")} if folder.is_dir() else {}
    for p, data in before.items():
        writes.old.setdefault(p, data)
    for p in store_bulk(paths, f, sha=sha, retrieved_at=when, origin=origin):
        if p not in before and p not in writes.new:
            writes.new.append(p)


def store(paths: Paths, writes: Writes, f: Path, kind: str, sha: str, rec, mapping, same, when):
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
        data = bulk_extract(keep, kind)
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
