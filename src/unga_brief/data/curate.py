"""`unga-brief curate`: build the project's own data/ from the gathered sources.

load inputs -> process (map labels to texts, merge by source precedence, list conflicts, derive
official totals and coverage) -> validate -> save. Nothing is written unless every check passes;
re-running on the same inputs writes byte-identical files.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import (
    BadDate,
    BadVoteCode,
    DataError,
    DuplicateVote,
    MalformedFile,
    SourceConflict,
    UnknownCountry,
    UnknownText,
)
from unga_brief.core.paths import Paths, write_atomic
from unga_brief.core.vocab import BASES, BODIES, KINDS, TOTAL_FIELDS, VOTES
from unga_brief.data import catalog as catalog_mod
from unga_brief.data.members import build_reference
from unga_brief.data.source_files import TOTALS_HEADER, VOTE_HEADER, read_csv_strict, sha256_of

log = logging.getLogger(__name__)

BASIS_BY_RANK = {1: "record", 2: "list", 3: "derived", 4: "named", 5: "named"}
#: Rows of rank 1-3 come from complete roll calls: a text with any such row must be full.
ROLL_CALL_MAX_RANK = 3
VOTE_COLUMNS = ["text_id", "iso3", "vote", "basis", "rank", "source", "citation"]
#: Rank of a basis when the committed data is the base layer (no ../shared).
RANK_BY_BASIS = {"record": 1, "list": 2, "derived": 3, "named": 4}
CONFLICT_COLUMNS = [
    "text_id",
    "symbol",
    "kind",
    "iso3",
    "field",
    "kept",
    "kept_source",
    "kept_rank",
    "other",
    "other_source",
    "other_rank",
    "other_citation",
    "status",
    "note",
]


@dataclass
class Curated:
    """Everything curate produces, before it is written."""

    catalog: pd.DataFrame
    votes: pd.DataFrame
    conflicts: pd.DataFrame
    reference: dict[str, pd.DataFrame]
    sources: list[dict] = field(default_factory=list)
    #: The whole-Assembly layer (records, wide votes): see :mod:`unga_brief.data.assembly`.
    assembly_records: pd.DataFrame | None = None
    assembly_votes: pd.DataFrame | None = None


def load_rules(paths: Paths) -> dict:
    p = paths.curation_yml
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MalformedFile(f"{p}: missing") from None
    except yaml.YAMLError as e:
        raise MalformedFile(f"{p}: not valid YAML ({e})") from None


# --- load inputs ------------------------------------------------------------------------------


def read_vote_inputs(src: Path, rules: dict, labels: dict[str, str]) -> pd.DataFrame:
    """Every vote row of every input file, with its text id, rank and basis.

    Refuses (with file and line): an unknown text label, a vote code outside Y/N/A/X, a date
    that does not parse, the same country twice for one text in one file.
    """
    derived = re.compile(rules.get("derived_pattern", "^derived:"))
    frames = []
    for order, spec in enumerate(rules["inputs"]["votes"]):
        name = spec["file"]
        df = read_csv_strict(src / name, VOTE_HEADER, label=name)
        if df.empty:
            continue
        df = df.assign(file=name, line=range(2, len(df) + 2), order=order, body=spec["body"])
        for r in df[~df["symbol"].isin(labels)].head(1).itertuples():
            raise UnknownText(
                f"{name}:{r.line}: text label {r.symbol!r} is not in data/catalog/texts.yml"
            )
        for r in df[~df["vote"].isin(VOTES)].head(1).itertuples():
            raise BadVoteCode(
                f"{name}:{r.line}: vote {r.vote!r} for {r.iso3} on {r.symbol}; expected Y, N, A or X"
            )
        bad = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce").isna()
        if bad.any():
            r = df[bad].iloc[0]
            raise BadDate(f"{name}:{r.line}: date {r.date!r} for {r.symbol} is not YYYY-MM-DD")
        dup = df.duplicated(["symbol", "iso3"], keep=False)
        if dup.any():
            d = df[dup].iloc[:2]
            raise DuplicateVote(
                f"{name}: {d.iloc[0].symbol}: {d.iloc[0].iso3} appears twice (lines {d.iloc[0].line} and {d.iloc[1].line})"
            )
        rank = pd.Series(spec["rank"], index=df.index)
        for lab, rk in (spec.get("rank_by_label") or {}).items():
            rank[df["symbol"] == lab] = rk
        for prefix, rk in (spec.get("rank_by_citation_prefix") or {}).items():
            rank[df["source"].str.startswith(prefix)] = rk
        basis = rank.map(BASIS_BY_RANK)
        basis[df["source"].str.contains(derived)] = "derived"
        frames.append(
            df.assign(text_id=df["symbol"].map(labels), rank=rank.astype(int), basis=basis).rename(
                columns={"symbol": "label", "source": "citation"}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _int_or_na(value: str, where: str):
    if value == "":
        return pd.NA
    try:
        n = int(float(value))
    except ValueError:
        raise MalformedFile(f"{where}: {value!r} is not a whole number") from None
    if n < 0 or n != float(value):
        raise MalformedFile(f"{where}: {value!r} is not a whole number ≥ 0")
    return n


def read_totals_inputs(src: Path, rules: dict, labels: dict[str, str]) -> pd.DataFrame:
    """Every totals row of every totals file, in precedence order."""
    frames = []
    for order, name in enumerate(rules["inputs"]["totals"]):
        df = read_csv_strict(src / name, TOTALS_HEADER, label=name)
        df = df.assign(file=name, line=range(2, len(df) + 2), order=order)
        for r in df.itertuples():
            if r.symbol not in labels:
                raise UnknownText(
                    f"{name}:{r.line}: text label {r.symbol!r} is not in data/catalog/texts.yml"
                )
            if pd.isna(pd.to_datetime(r.date, format="%Y-%m-%d", errors="coerce")):
                raise BadDate(f"{name}:{r.line}: date {r.date!r} for {r.symbol} is not YYYY-MM-DD")
            if r.body not in BODIES:
                raise MalformedFile(f"{name}:{r.line}: body {r.body!r} is not GA or SC")
            if r.kind not in KINDS:
                raise MalformedFile(f"{name}:{r.line}: kind {r.kind!r} not in {sorted(KINDS)}")
        for f in TOTAL_FIELDS:
            df[f] = [_int_or_na(v, f"{name}:{ln}: {f}") for v, ln in zip(df[f], df["line"])]
        dup = df.duplicated("symbol", keep=False)
        if dup.any():
            raise MalformedFile(f"{name}: text {df[dup].iloc[0].symbol} has two totals rows")
        frames.append(
            df.assign(text_id=df["symbol"].map(labels)).rename(
                columns={"symbol": "label", "source": "citation"}
            )
        )
    return pd.concat(frames, ignore_index=True)


# --- process ----------------------------------------------------------------------------------


def official_totals(
    totals: pd.DataFrame, texts_meta: list[dict]
) -> tuple[pd.DataFrame, list[dict]]:
    """One totals row per text: the first file in precedence order wins; others that differ are
    listed as conflicts (never fatal: the kept figures are the highest-ranked source's)."""
    conflicts = []
    kept_rows = []
    for tid, g in totals.sort_values(["order", "line"]).groupby("text_id", sort=False):
        kept = g.iloc[0]
        kept_rows.append(kept)
        for other in g.iloc[1:].itertuples():
            for f in [*TOTAL_FIELDS, "date"]:
                a, b = kept[f], getattr(other, f)
                if pd.isna(a) or pd.isna(b) or a == b:
                    continue
                conflicts.append(
                    {
                        "text_id": tid,
                        "kind": "totals",
                        "iso3": "",
                        "field": f,
                        "kept": str(a),
                        "kept_source": kept["file"],
                        "kept_rank": "",
                        "other": str(b),
                        "other_source": other.file,
                        "other_rank": "",
                        "other_citation": other.citation,
                        "status": "listed",
                        "note": "the first totals file in curation.yml order is kept",
                    }
                )
    known = {t["id"] for t in texts_meta}
    out = pd.DataFrame(kept_rows).reset_index(drop=True)
    missing = sorted(known - set(out["text_id"]))
    if missing:
        raise UnknownText(
            f"texts in data/catalog/texts.yml with no totals in any source: {missing}"
        )
    return out, conflicts


def check_rows_against_texts(rows: pd.DataFrame, totals: pd.DataFrame, reference: dict) -> None:
    """Each row's body and date match its text; each iso3 is a Member State (GA) or a Council
    member in the vote's year (SC)."""
    t = totals.set_index("text_id")
    members = set(reference["member_states"]["iso3"])
    council = reference["council_members"]
    seats = set(zip(council["year"].astype(int), council["iso3"]))
    text_date = rows["text_id"].map(t["date"])
    text_body = rows["text_id"].map(t["body"])
    sc_seat = [(int(d[:4]), i) in seats for d, i in zip(rows["date"], rows["iso3"])]
    bad = (
        (rows["date"] != text_date)
        | (rows["body"] != text_body)
        | ~rows["iso3"].isin(members)
        | ((rows["body"] == "SC") & ~pd.Series(sc_seat, index=rows.index))
    )
    for r in rows[bad].head(1).itertuples():
        text = t.loc[r.text_id]
        if r.date != text["date"]:
            raise BadDate(
                f"{r.file}:{r.line}: date {r.date} for {r.label}, but the text was voted on {text['date']}"
            )
        if r.body != text["body"]:
            raise DataError(
                f"{r.file}:{r.line}: {r.label} is a {text['body']} text, file holds {r.body} votes"
            )
        if r.iso3 not in members:
            raise UnknownCountry(
                f"{r.file}:{r.line}: {r.iso3!r} on {r.label} is not a UN Member State"
            )
        raise UnknownCountry(
            f"{r.file}:{r.line}: {r.iso3} on {r.label} was not on the Security Council in {r.date[:4]}"
        )


def merge_votes(rows: pd.DataFrame, texts_meta: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """Per text and country the highest-ranked source wins (DESIGN §3, sources README).

    Rows of the same rank are merged; if the sources of the highest rank present for a country
    disagree, the build fails unless ``texts.yml`` resolves it (``resolutions: {ISO3: {vote,
    note}}``). Every lower-ranked row that disagrees with the kept vote is listed.
    """
    keys = ["text_id", "iso3"]
    resolutions = {
        (t["id"], iso3): r for t in texts_meta for iso3, r in (t.get("resolutions") or {}).items()
    }
    rows = rows.sort_values(keys + ["rank", "order", "line"], ignore_index=True)
    rows["top_rank"] = rows.groupby(keys)["rank"].transform("min")
    rows["roll_call"] = rows.groupby(keys)["rank"].transform("min") <= ROLL_CALL_MAX_RANK
    top = rows[rows["rank"] == rows["top_rank"]]
    n_votes = top.groupby(keys)["vote"].nunique()
    status = pd.Series("listed", index=n_votes.index)
    chosen = top.groupby(keys)["vote"].first()
    notes = pd.Series("", index=n_votes.index)
    for key in n_votes[n_votes > 1].index:
        g = top[(top["text_id"] == key[0]) & (top["iso3"] == key[1])]
        res = resolutions.get(key)
        if not res:
            desc = "; ".join(f"{r.file}:{r.line} says {r.vote}" for r in g.itertuples())
            raise SourceConflict(
                f"{key[0]}: {key[1]}: sources of rank {g['rank'].iloc[0]} disagree ({desc}); "
                f"resolve it in data/catalog/texts.yml under resolutions"
            )
        if res["vote"] not in set(g["vote"]):
            raise SourceConflict(
                f"{key[0]}: {key[1]}: resolution vote {res['vote']} is none of {sorted(set(g['vote']))}"
            )
        chosen[key] = res["vote"]
        status[key] = "resolved"
        notes[key] = res.get("note", "")
    rows = rows.join(chosen.rename("kept"), on=keys)
    winners = rows[(rows["rank"] == rows["top_rank"]) & (rows["vote"] == rows["kept"])]
    first = winners.groupby(keys, sort=True).first()
    files = winners.groupby(keys, sort=True)["file"].agg(
        lambda f: " + ".join(dict.fromkeys(part for x in f for part in x.split(" + ")))
    )
    kept = pd.DataFrame(
        {
            "vote": first["vote"],
            "basis": first["basis"],
            "source": files,
            "citation": first["citation"],
            "rank": first["rank"].astype(int),
            "roll_call": first["roll_call"],
            "file": first["file"],
        }
    ).reset_index()
    others = rows[rows["vote"] != rows["kept"]].join(
        kept.set_index(keys)[["file", "rank"]].rename(
            columns={"file": "kept_file", "rank": "kept_rank"}
        ),
        on=keys,
    )
    conflicts = [
        {
            "text_id": o.text_id,
            "kind": "vote",
            "iso3": o.iso3,
            "field": "vote",
            "kept": o.kept,
            "kept_source": o.kept_file,
            "kept_rank": str(o.kept_rank),
            "other": o.vote,
            "other_source": o.file,
            "other_rank": str(o.rank),
            "other_citation": o.citation,
            "status": status[(o.text_id, o.iso3)] if o.rank == o.kept_rank else "listed",
            "note": notes[(o.text_id, o.iso3)],
        }
        for o in others.itertuples()
    ]
    return kept.drop(columns=["file"]), conflicts


_RECORD_ID = re.compile(
    r"(?:digitallibrary\.un\.org/record/|UNDL record |UN Digital Library record )(\d+)"
)


def record_ids(rows: pd.DataFrame, texts_meta: list[dict]) -> dict[str, str]:
    """Text id -> the UN Digital Library record id that its rank-1 sources cite.

    A text whose texts.yml entry gives another id, or whose sources cite two, fails the build.
    """
    top = rows[rows["rank"] == 1]
    cited = top["citation"].str.extract(_RECORD_ID)[0]
    found = (
        pd.DataFrame({"text_id": top["text_id"], "rid": cited})
        .dropna()
        .drop_duplicates()
        .sort_values(["text_id", "rid"])
    )
    two = found[found.duplicated("text_id", keep=False)]
    if len(two):
        tid = two["text_id"].iloc[0]
        raise DataError(
            f"{tid}: its UN record copies cite two UNDL records "
            f"({', '.join(two.loc[two['text_id'] == tid, 'rid'])})"
        )
    out = dict(zip(found["text_id"], found["rid"]))
    for m in texts_meta:
        given = str(m.get("undl_record") or "")
        if given and m["id"] in out and out[m["id"]] != given:
            raise DataError(
                f"data/catalog/texts.yml {m['id']}: undl_record {given}, but its sources copy "
                f"UNDL record {out[m['id']]}"
            )
    return out


def build_catalog(
    texts_meta: list[dict],
    totals: pd.DataFrame,
    votes: pd.DataFrame,
    reference: dict,
    records: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The full catalogue: human metadata + official totals + coverage. ``records``: UNDL record
    ids found in the sources, for texts whose texts.yml entry gives none."""
    records = records or {}
    t = totals.set_index("text_id")
    n_members = len(reference["member_states"])
    seats_by_year = reference["council_members"].groupby("year").size()
    rows = []
    for m in texts_meta:
        tid = m["id"]
        tot = t.loc[tid]
        body = tot["body"]
        members = n_members if body == "GA" else int(seats_by_year[int(str(tot["date"])[:4])])
        v = votes[votes["text_id"] == tid]
        counts = v["vote"].value_counts()
        n = len(v)
        # A text with any row from a complete roll call (rank 1-3) is full: if rows are missing,
        # validation then names the shortfall instead of the text silently becoming partial.
        roll_call = bool(v["roll_call"].any()) if n else False
        coverage = "totals" if n == 0 else ("full" if (n == members or roll_call) else "partial")
        official = dict(zip("YNAX", (tot[f] for f in TOTAL_FIELDS)))
        if coverage == "full":
            complete = "YNAX"
        elif coverage == "partial":
            complete = "".join(
                c
                for c in "YNAX"
                if not pd.isna(official[c]) and int(counts.get(c, 0)) == official[c]
            )
        else:
            complete = ""
        mix = v["basis"].value_counts()
        kind = m.get("kind") or tot["kind"]
        adopted = m.get("adopted")
        if adopted is None:
            adopted = kind in ("resolution", "decision")
        rows.append(
            {
                "id": tid,
                "symbol": m.get("symbol") or "",
                "symbol_confirmed": "true" if m.get("symbol") else "false",
                "label": m["labels"][0],
                "body": body,
                "kind": kind,
                "topic": m["topic"],
                "series": m["series"],
                "date": tot["date"],
                "title": tot["title"],
                "short_title": m["short_title"],
                "official_yes": tot["yes"],
                "official_no": tot["no"],
                "official_abstain": tot["abstain"],
                "official_non_voting": tot["non_voting"],
                "members": members,
                "adopted": "true" if adopted else "false",
                "vetoed_by": " ".join(m.get("vetoed_by") or []),
                "majority": m.get("majority") or "",
                "tags": " ".join(m.get("tags") or []),
                "undl_record": m.get("undl_record") or records.get(tid, ""),
                "coverage": coverage,
                "complete_lists": complete,
                "rows": n,
                "basis_mix": " ".join(f"{b}:{mix[b]}" for b in BASES if b in mix),
                "source": tot["file"],
                "source_citation": tot["citation"],
                "note": " ".join(
                    filter(
                        None,
                        [
                            m.get("note"),
                            m.get("outcome_source") and f"Outcome: {m['outcome_source']}",
                            m.get("majority")
                            and f"Majority: {m['majority']} ({m['majority_source']})",
                        ],
                    )
                ),
            }
        )
    cat = pd.DataFrame(rows, columns=catalog_mod.CATALOG_COLUMNS)
    return cat.sort_values(["date", "body", "id"], ignore_index=True)


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
    from unga_brief.data import assembly

    if not rules.get("assembly"):
        return None, None, []
    records, wide, provenance = assembly.build_assembly(
        paths, rules, reference["member_states"], catalog, votes
    )
    assembly.validate_assembly(
        records, wide, reference["member_states"], reference["council_members"]
    )
    assembly.check_against_catalog(records, wide, votes)
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
        yaml.safe_load((paths.sources_yml).read_text(encoding="utf-8"))
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
    from unga_brief.data import changes as changes_mod
    from unga_brief.data.assembly import now

    old = changes_mod.snapshot(paths.data)
    cur, changed = run_curate(paths)
    ch = pd.DataFrame(columns=changes_mod.CHANGE_COLUMNS)
    if changed and len(old["catalog"]):
        ch = changes_mod.diff(old, changes_mod.snapshot(paths.data))
        changes_mod.log_changes(paths.changes_dir, ch, when=when or now(), action="curate")
    return cur, changed, ch
