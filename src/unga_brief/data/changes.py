"""What changed between two data snapshots: texts added, coverage, totals, country votes.

``diff(old, new)`` compares two curated ``data/`` folders (catalogue + votes) and returns a
long frame ``change, text_id, symbol, iso3, field, old, new``; :func:`summary` turns it into a
few readable lines; :func:`log_changes` appends it to ``data/changes/changes.csv`` and writes
a dated markdown note beside it (the briefing's sources page shows the latest).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from unga_brief.core.paths import write_atomic
from unga_brief.core.yaml_reader import read_yaml

CHANGE_COLUMNS = ["change", "text_id", "symbol", "iso3", "field", "old", "new"]
TOTALS = ["official_yes", "official_no", "official_abstain", "official_non_voting"]
#: Files compared field by field; every other file under data/ is compared by its bytes.
SEMANTIC = ("catalog/catalog.csv", "votes/ga.csv", "votes/sc.csv", "sources.yml", "conflicts.csv")
ORDER = [
    "totals override confirmed",
    "text added",
    "text removed",
    "coverage changed",
    "totals moved",
    "basis changed",
    "vote changed",
    "vote added",
    "vote removed",
    "source changed",
    "metadata changed",
    "input added",
    "input removed",
    "input changed",
    "conflicts changed",
    "file added",
    "file removed",
    "file changed",
]
_CATALOG_KIND = {
    **dict.fromkeys(("coverage", "complete_lists"), "coverage changed"),
    **dict.fromkeys(TOTALS, "totals moved"),
    "basis_mix": "basis changed",
    **dict.fromkeys(("source", "source_citation"), "source changed"),
}


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def snapshot(data_dir: Path) -> dict:
    """A data/ folder as compared by :func:`diff`: catalogue, votes, inputs, conflicts (strings)
    and the sha256 of every file, or empty frames if absent."""
    data_dir = Path(data_dir)

    def read(rel):
        p = data_dir / rel
        return pd.read_csv(p, dtype=str, keep_default_na=False) if p.exists() else pd.DataFrame()

    votes = pd.concat([read("votes/ga.csv"), read("votes/sc.csv")], ignore_index=True)
    src = data_dir / "sources.yml"
    inputs = (
        (read_yaml(src.read_text(encoding="utf-8")) or {}).get("inputs") if src.exists() else None
    )
    files = {}
    if data_dir.is_dir():
        for p in sorted(data_dir.rglob("*")):
            rel = p.relative_to(data_dir).as_posix()
            if p.is_file() and not p.name.startswith("."):  # dot files: temporary writes
                files[rel] = _digest(p)
    return {
        "catalog": read("catalog/catalog.csv"),
        "votes": votes,
        "inputs": {str(d.get("file")): d for d in inputs or []},
        "conflicts": read("conflicts.csv"),
        "files": files,
    }


def _catalog_rows(oc: pd.DataFrame, nc: pd.DataFrame, sym) -> list[tuple]:
    rows = []
    for tid in sorted(set(nc.index) - set(oc.index)):
        rows.append(("text added", tid, sym(tid), "", "coverage", "", nc.loc[tid, "coverage"]))
    for tid in sorted(set(oc.index) - set(nc.index)):
        rows.append(("text removed", tid, sym(tid), "", "coverage", oc.loc[tid, "coverage"], ""))
    fields = [c for c in nc.columns if c in oc.columns]
    both = sorted(set(oc.index) & set(nc.index))
    a = oc.loc[both, fields].to_numpy(dtype=object)
    b = nc.loc[both, fields].to_numpy(dtype=object)
    for i, j in zip(*np.nonzero(a != b)):  # text by text, field by field, as listed
        tid, f = both[i], fields[j]
        rows.append(
            (_CATALOG_KIND.get(f, "metadata changed"), tid, sym(tid), "", f, a[i, j], b[i, j])
        )
    return rows


def _vote_rows(ov: pd.DataFrame, nv: pd.DataFrame, sym) -> list[tuple]:
    cols = ["text_id", "iso3", "vote", "basis", "rank", "source", "citation"]

    def part(v):
        return v.reindex(columns=cols).fillna("") if len(v) else pd.DataFrame(columns=cols)

    m = (
        part(ov)
        .merge(part(nv), on=["text_id", "iso3"], how="outer", suffixes=("_old", "_new"))
        .fillna("")
    )
    rows = []
    for r in m.itertuples():
        if not r.vote_old:
            rows.append(("vote added", r.text_id, sym(r.text_id), r.iso3, "vote", "", r.vote_new))
        elif not r.vote_new:
            rows.append(("vote removed", r.text_id, sym(r.text_id), r.iso3, "vote", r.vote_old, ""))
        elif r.vote_old != r.vote_new:
            rows.append(
                ("vote changed", r.text_id, sym(r.text_id), r.iso3, "vote", r.vote_old, r.vote_new)
            )
        elif r.basis_old != r.basis_new:
            rows.append(
                (
                    "basis changed",
                    r.text_id,
                    sym(r.text_id),
                    r.iso3,
                    "basis",
                    r.basis_old,
                    r.basis_new,
                )
            )
        elif (r.source_old, r.citation_old, r.rank_old) != (
            r.source_new,
            r.citation_new,
            r.rank_new,
        ):
            rows.append(
                (
                    "source changed",
                    r.text_id,
                    sym(r.text_id),
                    r.iso3,
                    "source",
                    r.source_old,
                    r.source_new,
                )
            )
    return rows


def diff(old: dict, new: dict) -> pd.DataFrame:
    """Every difference between two snapshots, one row each (``CHANGE_COLUMNS``). Empty exactly
    when every file under data/ is byte-identical, as git would see it."""
    oc = old["catalog"].set_index("id") if len(old["catalog"]) else pd.DataFrame()
    nc = new["catalog"].set_index("id") if len(new["catalog"]) else pd.DataFrame()

    def sym(tid):
        c = nc if tid in nc.index else oc
        if tid not in c.index:
            return tid
        return c.loc[tid, "symbol"] or c.loc[tid, "label"]

    cat_rows = _catalog_rows(oc, nc, sym)
    vote_rows = _vote_rows(old["votes"], new["votes"], sym)
    input_rows = []
    oi, ni = old.get("inputs", {}), new.get("inputs", {})
    for f in sorted(set(ni) - set(oi)):
        input_rows.append(("input added", "", "", "", f, "", str(ni[f].get("sha256", ""))[:12]))
    for f in sorted(set(oi) - set(ni)):
        input_rows.append(("input removed", "", "", "", f, str(oi[f].get("sha256", ""))[:12], ""))
    for f in sorted(set(oi) & set(ni)):
        if oi[f] != ni[f]:
            a, b = str(oi[f].get("sha256", ""))[:12], str(ni[f].get("sha256", ""))[:12]
            input_rows.append(("input changed", "", "", "", f, a, b))
    conf_rows = []
    ocf, ncf = old.get("conflicts", pd.DataFrame()), new.get("conflicts", pd.DataFrame())
    if not ocf.equals(ncf):
        conf_rows.append(
            (
                "conflicts changed",
                "",
                "",
                "",
                "data/conflicts.csv",
                f"{len(ocf)} rows",
                f"{len(ncf)} rows",
            )
        )
    explained = {
        "catalog/catalog.csv": bool(cat_rows),
        "votes/ga.csv": bool(vote_rows),
        "votes/sc.csv": bool(vote_rows),
        "sources.yml": bool(input_rows),
        "conflicts.csv": bool(conf_rows),
    }
    named = {r[4] for r in input_rows}
    file_rows = []
    of, nf = old.get("files", {}), new.get("files", {})
    for f in sorted(set(nf) | set(of)):
        if of.get(f) == nf.get(f) or explained.get(f) or f"data/{f}" in named:
            continue
        kind = "file added" if f not in of else "file removed" if f not in nf else "file changed"
        file_rows.append((kind, "", "", "", f"data/{f}", "", ""))
    rows = cat_rows + vote_rows + input_rows + conf_rows + file_rows
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    order = {k: i for i, k in enumerate(ORDER)}
    return out.sort_values(
        ["change", "text_id", "iso3", "field"],
        key=lambda s: s.map(order) if s.name == "change" else s,
        ignore_index=True,
    )


def _v(value: str, limit: int = 80) -> str:
    """A value in a summary line: '∅' when empty, cut at ``limit`` characters."""
    if not value:
        return "∅"
    return value if len(value) <= limit else value[: limit - 1] + "…"


def summary(changes: pd.DataFrame) -> list[str]:
    """Readable lines: per text what changed (each changed vote, counts of added votes and of
    basis and source changes, every moved total); then the data files added or changed."""
    if changes.empty:
        return ["no change"]
    lines = []
    per_text = changes[changes["text_id"] != ""]
    for (_tid, symbol), g in per_text.groupby(["text_id", "symbol"], sort=False):
        parts = []
        for kind, k in g.groupby("change", sort=False):
            votes = k[k["iso3"] != ""]
            if kind == "vote changed":
                parts.append(
                    "votes changed: "
                    + ", ".join(f"{r.iso3} {r.old}→{r.new}" for r in k.itertuples())
                )
            elif kind in ("vote added", "vote removed", "basis changed", "source changed") and len(
                votes
            ):
                moves = votes.groupby(["old", "new"]).size()
                what = {
                    "vote added": f"{len(votes)} votes added",
                    "vote removed": f"{len(votes)} votes removed",
                    "basis changed": f"basis changed for {len(votes)} votes ("
                    + ", ".join(f"{a}→{b}: {n}" for (a, b), n in moves.items())
                    + ")",
                    "source changed": f"source changed for {len(votes)} votes",
                }[kind]
                parts.append(what)
                rest = k[k["iso3"] == ""]
                if len(rest):
                    parts.append(
                        "; ".join(f"{r.field} {_v(r.old)}→{_v(r.new)}" for r in rest.itertuples())
                    )
            elif kind == "totals override confirmed":
                parts.append(
                    "; ".join(
                        f"totals {r.old} replaced by {r.new} (confirmed)" for r in k.itertuples()
                    )
                )
            else:
                parts.append(
                    "; ".join(f"{r.field} {_v(r.old)}→{_v(r.new)}" for r in k.itertuples())
                )
        lines.append(f"{symbol}: " + "; ".join(parts))
    for r in changes[changes["text_id"] == ""].itertuples():
        lines.append(
            f"{r.change}: {r.field}" + (f" ({_v(r.old)}→{_v(r.new)})" if r.old or r.new else "")
        )
    return lines


def log_changes(changes_dir: Path, changes: pd.DataFrame, *, when: str, action: str) -> Path | None:
    """Append to changes.csv and write ``<when>-<action>.md``; nothing when nothing changed."""
    if changes.empty:
        return None
    changes_dir.mkdir(parents=True, exist_ok=True)
    log = changes_dir / "changes.csv"
    new = changes.assign(when=when, action=action)[["when", "action", *CHANGE_COLUMNS]]
    prev = pd.read_csv(log, dtype=str, keep_default_na=False) if log.exists() else None
    both = new if prev is None else pd.concat([prev, new], ignore_index=True)
    write_atomic(log, both.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    note = changes_dir / f"{when.replace(':', '')}-{action}.md"
    text = f"# {action}, {when}\n\n" + "\n".join(f"- {line}" for line in summary(changes)) + "\n"
    write_atomic(note, text.encode("utf-8"))
    return note


def latest(changes_dir: Path) -> tuple[str, list[str]] | None:
    """The latest logged change (when, summary lines), for the briefing's sources page."""
    log = changes_dir / "changes.csv"
    if not log.exists():
        return None
    df = pd.read_csv(log, dtype=str, keep_default_na=False)
    if df.empty:
        return None
    last = df["when"].max()
    return last, summary(df[df["when"] == last].drop(columns=["when", "action"]))
