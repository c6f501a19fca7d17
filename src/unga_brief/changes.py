"""What changed between two data snapshots: texts added, coverage, totals, country votes.

``diff(old, new)`` compares two curated ``data/`` folders (catalogue + votes) and returns a
long frame ``change, text_id, symbol, iso3, field, old, new``; :func:`summary` turns it into a
few readable lines; :func:`log_changes` appends it to ``data/changes/changes.csv`` and writes
a dated markdown note beside it (the briefing's sources page shows the latest).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .paths import write_atomic

CHANGE_COLUMNS = ["change", "text_id", "symbol", "iso3", "field", "old", "new"]
TOTALS = ["official_yes", "official_no", "official_abstain", "official_non_voting"]


def snapshot(data_dir: Path) -> dict[str, pd.DataFrame]:
    """The catalogue and votes of a data/ folder (strings), or empty frames if absent."""

    def read(rel):
        p = Path(data_dir) / rel
        return pd.read_csv(p, dtype=str, keep_default_na=False) if p.exists() else pd.DataFrame()

    votes = pd.concat([read("votes/ga.csv"), read("votes/sc.csv")], ignore_index=True)
    return {"catalog": read("catalog/catalog.csv"), "votes": votes}


def diff(old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    oc = old["catalog"].set_index("id") if len(old["catalog"]) else pd.DataFrame()
    nc = new["catalog"].set_index("id") if len(new["catalog"]) else pd.DataFrame()

    def sym(tid):
        c = nc if tid in nc.index else oc
        return c.loc[tid, "symbol"] or c.loc[tid, "label"]

    for tid in sorted(set(nc.index) - set(oc.index)):
        rows.append(("text added", tid, sym(tid), "", "coverage", "", nc.loc[tid, "coverage"]))
    for tid in sorted(set(oc.index) - set(nc.index)):
        rows.append(("text removed", tid, sym(tid), "", "coverage", oc.loc[tid, "coverage"], ""))
    for tid in sorted(set(oc.index) & set(nc.index)):
        for f in ["coverage", "complete_lists", *TOTALS, "date", "symbol"]:
            a, b = oc.loc[tid, f], nc.loc[tid, f]
            if a != b:
                kind = (
                    "coverage changed"
                    if f in ("coverage", "complete_lists")
                    else ("totals moved" if f in TOTALS else "metadata changed")
                )
                rows.append((kind, tid, sym(tid), "", f, a, b))
    ov, nv = old["votes"], new["votes"]
    if len(ov) or len(nv):
        m = (
            (
                ov[["text_id", "iso3", "vote", "basis"]]
                if len(ov)
                else pd.DataFrame(columns=["text_id", "iso3", "vote", "basis"])
            )
            .merge(
                nv[["text_id", "iso3", "vote", "basis"]]
                if len(nv)
                else pd.DataFrame(columns=["text_id", "iso3", "vote", "basis"]),
                on=["text_id", "iso3"],
                how="outer",
                suffixes=("_old", "_new"),
            )
            .fillna("")
        )
        for r in m.itertuples():
            if r.vote_old == r.vote_new and r.basis_old == r.basis_new:
                continue
            if not r.vote_old:
                kind, field, a, b = "vote added", "vote", "", r.vote_new
            elif not r.vote_new:
                kind, field, a, b = "vote removed", "vote", r.vote_old, ""
            elif r.vote_old != r.vote_new:
                kind, field, a, b = "vote changed", "vote", r.vote_old, r.vote_new
            else:
                kind, field, a, b = "basis changed", "basis", r.basis_old, r.basis_new
            rows.append((kind, r.text_id, sym(r.text_id), r.iso3, field, a, b))
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    order = {
        k: i
        for i, k in enumerate(
            [
                "text added",
                "text removed",
                "coverage changed",
                "totals moved",
                "vote changed",
                "vote added",
                "vote removed",
                "basis changed",
                "metadata changed",
            ]
        )
    }
    return out.sort_values(
        ["change", "text_id", "iso3", "field"],
        key=lambda s: s.map(order) if s.name == "change" else s,
        ignore_index=True,
    )


def summary(changes: pd.DataFrame) -> list[str]:
    """Readable lines: per text, what changed (counts for added votes, each changed vote)."""
    if changes.empty:
        return ["no change"]
    lines = []
    for (_tid, symbol), g in changes.groupby(["text_id", "symbol"], sort=False):
        parts = []
        for kind, k in g.groupby("change", sort=False):
            if kind in ("vote added", "vote removed", "basis changed"):
                parts.append(f"{len(k)} {kind.split()[0]}s {kind.split()[1]}")
            elif kind == "vote changed":
                parts.append(
                    "votes changed: "
                    + ", ".join(f"{r.iso3} {r.old}→{r.new}" for r in k.itertuples())
                )
            else:
                parts.append(
                    "; ".join(f"{r.field} {r.old or '∅'}→{r.new or '∅'}" for r in k.itertuples())
                )
        lines.append(f"{symbol}: " + "; ".join(parts))
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
