"""`unga-brief curate`: build the project's own data/ from the gathered sources.

load inputs -> process (map labels to texts, merge by source precedence, list conflicts, derive
official totals and coverage) -> validate -> save. Nothing is written unless every check passes;
re-running on the same inputs writes byte-identical files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import (
    MalformedFile,
    UnknownText,
)
from unga_brief.core.paths import Paths, write_atomic
from unga_brief.core.vocab import TOTAL_FIELDS
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.data import catalog as catalog_mod
from unga_brief.data.curate_inputs import load_rules, read_totals_inputs, read_vote_inputs
from unga_brief.data.members import build_reference
from unga_brief.data.source_files import sha256_of
from unga_brief.data.vote_merge import (
    CONFLICT_COLUMNS,
    VOTE_COLUMNS,
    build_catalog,
    check_rows_against_texts,
    merge_votes,
    official_totals,
    record_ids,
)

log = logging.getLogger(__name__)


@dataclass
class Curated:
    """Everything curate produces, before it is written."""

    catalog: pd.DataFrame
    votes: pd.DataFrame
    conflicts: pd.DataFrame
    reference: dict[str, pd.DataFrame]
    sources: list[dict] = field(default_factory=list)
    #: The whole-Assembly layer (records, wide votes): see :mod:`unga_brief.data`.
    assembly_records: pd.DataFrame | None = None
    assembly_votes: pd.DataFrame | None = None


def curate(paths: Paths) -> Curated:
    """Load inputs, process, and return the curated frames (nothing written).

    Layers, highest precedence first: UN Digital Library files brought in by ``ingest``/``fetch``
    (``data/raw/``, rank 1); then the gathered sources (``../shared/data/sources``) per
    ``curation.yml``; in a clone without them, the committed curated data stands in for them.
    """
    from unga_brief.data.ingested import read_raw_layer

    rules = load_rules(paths)
    texts_meta = catalog_mod.load_texts_meta(paths)
    labels = catalog_mod.label_map(texts_meta)
    if paths.sources.is_dir():
        src = paths.sources
        reference = build_reference(src, rules["inputs"]["reference"], rules)
        rows = read_vote_inputs(src, rules, labels)
        totals_rows = read_totals_inputs(src, rules, labels)
        sources = describe_sources(src, rules, rows, totals_rows)
        base_conflicts: list[dict] = []
    else:
        log.info(
            "sources folder %s not found: the committed data/ is the base layer", paths.sources
        )
        reference, rows, totals_rows, sources, base_conflicts = committed_layer(paths, texts_meta)
    raw_rows, raw_totals, raw_sources = read_raw_layer(paths, texts_meta)
    if len(raw_rows):
        rows = pd.concat([raw_rows, rows], ignore_index=True)
    if len(raw_totals):
        totals_rows = pd.concat([raw_totals, totals_rows], ignore_index=True)
    totals, total_conflicts = official_totals(totals_rows, texts_meta)
    check_rows_against_texts(rows, totals, reference)
    votes, vote_conflicts = merge_votes(rows, texts_meta)
    cat = build_catalog(texts_meta, totals, votes, reference, record_ids(rows, texts_meta))
    order = {tid: i for i, tid in enumerate(cat["id"])}
    votes = (
        votes.assign(_o=votes["text_id"].map(order))
        .sort_values(["_o", "iso3"])
        .drop(columns=["_o", "roll_call"])
        .reset_index(drop=True)
    )
    sym = dict(zip(cat["id"], cat["symbol"].where(cat["symbol"] != "", cat["label"])))
    conflicts = pd.DataFrame(base_conflicts + total_conflicts + vote_conflicts)
    if conflicts.empty:
        conflicts = pd.DataFrame(columns=CONFLICT_COLUMNS)
    conflicts["symbol"] = conflicts["text_id"].map(sym)
    conflicts = (
        conflicts.assign(_o=conflicts["text_id"].map(order))
        .sort_values(["_o", "kind", "iso3", "field", "other_source", "other_citation"])
        .drop(columns="_o")[CONFLICT_COLUMNS]
        .drop_duplicates()
        .reset_index(drop=True)
    )
    asm_records, asm_votes, asm_sources = gather_assembly(paths, rules, reference, cat, votes)
    return Curated(
        catalog=cat,
        votes=votes,
        conflicts=conflicts,
        reference=reference,
        sources=raw_sources + sources + asm_sources,
        assembly_records=asm_records,
        assembly_votes=asm_votes,
    )


def gather_assembly(
    paths: Paths, rules: dict, reference: dict, catalog: pd.DataFrame, votes: pd.DataFrame
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[dict]]:
    """The whole-Assembly layer, built and checked (None when curation.yml asks for none)."""
    from unga_brief.data import assembly, assembly_checks

    if not rules.get("assembly"):
        return None, None, []
    records, wide, provenance = assembly.build_assembly(
        paths, rules, reference["member_states"], catalog, votes
    )
    assembly_checks.validate_assembly(
        records, wide, reference["member_states"], reference["council_members"]
    )
    assembly_checks.check_against_catalog(records, wide, votes)
    return records, wide, provenance


def committed_layer(paths: Paths, texts_meta: list[dict]):
    """The committed curated data as input rows (for a clone without ../shared).

    Each committed vote becomes a row of its recorded rank and basis, each catalogue row a
    totals row, so that curating with no new input reproduces data/ byte for byte.
    """
    from unga_brief.data.validate import load_votes_raw

    def read(rel):
        p = paths.data / rel
        try:
            return pd.read_csv(p, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise MalformedFile(f"{p}: missing, and no sources folder to rebuild it from") from None

    reference = {
        name: read(f"reference/{name}.csv")
        for name in (
            "member_states",
            "groups",
            "non_members",
            "suspensions",
            "council_members",
            "tile_grid",
        )
    }
    if (paths.reference_dir / "population.csv").exists():
        reference["population"] = read("reference/population.csv")
    reference["council_members"]["year"] = reference["council_members"]["year"].astype(int)
    for c in ("col", "row"):
        reference["tile_grid"][c] = reference["tile_grid"][c].astype(int)
    cat = read("catalog/catalog.csv")
    known = {t["id"] for t in texts_meta}
    stale = sorted(set(cat["id"]) - known)
    if stale:
        raise UnknownText(f"data/catalog/catalog.csv has texts missing from texts.yml: {stale}")
    v = load_votes_raw(paths)
    t = cat.set_index("id")
    rows = pd.DataFrame(
        {
            "label": v["text_id"].map(t["label"]),
            "date": v["text_id"].map(t["date"]),
            "iso3": v["iso3"],
            "country": "",
            "vote": v["vote"],
            "citation": v["citation"],
            "file": v["source"],
            "line": range(2, len(v) + 2),
            "order": 0,
            "body": v["text_id"].map(t["body"]),
            "text_id": v["text_id"],
            "rank": v["rank"].astype(int),
            "basis": v["basis"],
        }
    )
    totals_rows = pd.DataFrame(
        {
            "label": cat["label"],
            "date": cat["date"],
            "body": cat["body"],
            "kind": cat["kind"],
            "title": cat["title"],
            **{
                f: [pd.NA if x == "" else int(x) for x in cat[f"official_{f}"]]
                for f in TOTAL_FIELDS
            },
            "citation": cat["source_citation"],
            "file": cat["source"],
            "line": range(2, len(cat) + 2),
            "order": 0,
            "text_id": cat["id"],
        }
    )
    prev = (
        read_yaml((paths.sources_yml).read_text(encoding="utf-8"))
        if paths.sources_yml.exists()
        else {}
    )
    sources = [
        d
        for d in (prev or {}).get("inputs", [])
        if not str(d.get("file", "")).startswith("data/raw/")
    ]
    conflicts = (
        read("conflicts.csv").drop(columns=["symbol"]).to_dict("records")
        if (paths.data / "conflicts.csv").exists()
        else []
    )
    return reference, rows, totals_rows, sources, conflicts


def describe_sources(
    src: Path, rules: dict, rows: pd.DataFrame, totals_rows: pd.DataFrame
) -> list[dict]:
    """Provenance of every input file: origin, what it covers, rank, sha256 (DESIGN §3)."""
    out = []
    for spec in rules["inputs"]["votes"]:
        r = rows[rows["file"] == spec["file"]]
        out.append(
            {
                "file": spec["file"],
                "role": f"{spec['body']} votes",
                "origin": spec.get("origin", ""),
                **({"retrieved": str(spec["retrieved"])} if spec.get("retrieved") else {}),
                "readme": f"{spec['file'].split('/')[0]}/README.md",
                "rank": spec["rank"],
                "rows": int(len(r)),
                "texts": sorted(r["text_id"].unique().tolist()),
                "sha256": sha256_of(src / spec["file"]),
            }
        )
    for name in rules["inputs"]["totals"]:
        r = totals_rows[totals_rows["file"] == name]
        out.append(
            {
                "file": name,
                "role": "official totals",
                "readme": f"{name.split('/')[0]}/README.md",
                "rows": int(len(r)),
                "texts": sorted(r["text_id"].unique().tolist()),
                "sha256": sha256_of(src / name),
            }
        )
    for role, name in rules["inputs"]["reference"].items():
        out.append(
            {
                "file": name,
                "role": f"reference: {role}",
                "readme": f"{name.split('/')[0]}/README.md",
                "sha256": sha256_of(src / name),
            }
        )
    return out


# --- save -------------------------------------------------------------------------------------


def _csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def output_files(cur: Curated) -> dict[str, bytes]:
    """Relative path under data/ -> exact bytes to write."""
    files = {
        "catalog/catalog.csv": _csv_bytes(cur.catalog),
        "votes/ga.csv": _csv_bytes(
            cur.votes[
                cur.votes["text_id"].isin(cur.catalog.loc[cur.catalog["body"] == "GA", "id"])
            ][VOTE_COLUMNS]
        ),
        "votes/sc.csv": _csv_bytes(
            cur.votes[
                cur.votes["text_id"].isin(cur.catalog.loc[cur.catalog["body"] == "SC", "id"])
            ][VOTE_COLUMNS]
        ),
        "conflicts.csv": _csv_bytes(cur.conflicts),
    }
    for name, df in cur.reference.items():
        files[f"reference/{name}.csv"] = _csv_bytes(df)
    if cur.assembly_records is not None:
        from unga_brief.data.assembly import output_files as assembly_files

        files.update(assembly_files(cur.assembly_records, cur.assembly_votes))
    header = (
        "# Generated by `unga-brief curate`: every input file used, its origin (as its README\n"
        "# states), its role and rank, what it covers, and its sha256. Do not edit.\n"
    )
    files["sources.yml"] = (
        header
        + yaml.safe_dump({"inputs": cur.sources}, sort_keys=False, allow_unicode=True, width=100)
    ).encode("utf-8")
    return files


def write_outputs(paths: Paths, files: dict[str, bytes]) -> list[str]:
    """Write every file into a staged data/ that replaces data/ in one step (all files or none);
    return the files whose bytes changed."""
    from unga_brief.core.transaction import staged_data

    changed = []
    with staged_data(paths) as staged:
        for rel, data in sorted(files.items()):
            target = staged.data / rel
            if target.exists() and target.read_bytes() == data:
                continue
            write_atomic(target, data)
            changed.append(rel)
    return changed


def run_curate(paths: Paths) -> tuple[Curated, list[str]]:
    """curate + validate the result + write only if it is valid."""
    from unga_brief.data.validate import validate_frames

    cur = curate(paths)
    validate_frames(cur.catalog, cur.votes, cur.reference, cur.conflicts)
    changed = write_outputs(paths, output_files(cur))
    return cur, changed


def curate_and_log(
    paths: Paths, *, when: str | None = None
) -> tuple[Curated, list[str], pd.DataFrame]:
    """`unga-brief curate`: run_curate, then log what changed in data/changes/ (texts added,
    coverage, totals, votes, and every row whose basis changed, old -> new). Nothing is logged
    on a byte-identical re-run or on a first curate into an empty data/."""
    from unga_brief.core.clock import utc_now
    from unga_brief.data import changes as changes_mod

    old = changes_mod.snapshot(paths.data)
    cur, changed = run_curate(paths)
    ch = pd.DataFrame(columns=changes_mod.CHANGE_COLUMNS)
    if changed and len(old["catalog"]):
        ch = changes_mod.diff(old, changes_mod.snapshot(paths.data))
        changes_mod.log_changes(paths.changes_dir, ch, when=when or utc_now(), action="curate")
    return cur, changed, ch
