"""The whole-Assembly layer: every GA roll call since September 2021, and the Council's adopted
resolutions, with every state's vote (DESIGN §2: context beside the catalogue).

``data/assembly/records.csv``: one row per UN Digital Library voting record ``undl_record, body,
session, meeting, date, symbol, title, yes, no, abstain, non_voting, members, held, text_id,
source, citation``. ``session`` is the regular GA session open on the vote's date (76 = from 14
Sep 2021, …; the opening days are in ``curation.yml``; blank for the Council); ``meeting`` says ``regular``, ``ES-10``
or ``ES-11`` (emergency special sessions) or ``SC``. ``held`` is false for a record that a
source says exists but whose votes no input holds (its totals stay blank). ``text_id`` names the
catalogue text that is the same record, if any.

``data/assembly/votes.csv``: one row per held record, ``undl_record`` then one column per Member
State (ISO3, alphabetical) holding ``Y N A X``; blank where the state does not sit (a Security
Council record lists only that year's 15 members). Wide, so that one changed record is one
changed line, and small (about 0.4 KB a record).

Inputs, highest precedence first: record extracts from UNDL bulk files brought in by
``unga-brief ingest`` (``data/raw/assembly/``), the record copies in the gathered sources (per
``curation.yml`` ``assembly.inputs``), the catalogue's own full record-based texts that no
assembly input holds; in a clone without ``../shared`` the committed layer stands in for the
sources. Two inputs that hold the same record must agree vote for vote.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.core.errors import MalformedFile
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import VOTES
from unga_brief.data.assembly_bulk import raw_meta_files, read_raw_extract
from unga_brief.data.assembly_checks import (
    coverage_by_session,
    finish_records,
    merge_inputs,
    validate_assembly,
)
from unga_brief.data.assembly_inputs import (
    COVERAGE_COLUMNS,
    RECORD_COLUMNS,
    RECORDS_REL,
    VOTES_REL,
    catalog_records,
    known_records,
    read_source_input,
    sessions_table,
)
from unga_brief.data.source_files import sha256_of

# --- building the layer -----------------------------------------------------------------------


def build_assembly(
    paths: Paths,
    rules: dict,
    member_states: pd.DataFrame,
    catalog: pd.DataFrame,
    catalog_votes: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """The layer's two frames and the provenance of its inputs (for sources.yml)."""
    spec = rules.get("assembly") or {}
    sessions = sessions_table(rules)
    members = sorted(member_states["iso3"])
    inputs: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    provenance: list[dict] = []
    for meta_path in raw_meta_files(paths):
        r, w, prov = read_raw_extract(paths, meta_path, members)
        inputs.append((r, w))
        provenance.append(prov)
    if paths.sources.is_dir():
        src = paths.sources
        for s in spec.get("inputs", []):
            r, w = read_source_input(src, s, members)
            inputs.append((r, w))
            for f in [s["records"], *s["votes"]]:
                provenance.append(
                    {
                        "file": f,
                        "role": "whole-Assembly layer",
                        "origin": s.get("origin", ""),
                        "readme": f"{f.split('/')[0]}/README.md",
                        "rank": 1,
                        "records": int(len(r)),
                        "sha256": sha256_of(src / f),
                    }
                )
        known = spec.get("known_records", [])
        k = known_records(src, known)
        for s in known:
            provenance.append(
                {
                    "file": s["file"],
                    "role": "whole-Assembly layer: records known to exist",
                    "readme": f"{s['file'].split('/')[0]}/README.md",
                    "records": int(len(k[k["source"] == s["file"]])) if len(k) else 0,
                    "sha256": sha256_of(src / s["file"]),
                }
            )
    else:
        r, w = committed_assembly(paths, members)
        inputs.append((r[r["held"] == "true"], w))
        k = r[r["held"] != "true"]
    inputs.append(catalog_records(catalog, catalog_votes, members))
    if len(k):
        inputs.append((k, pd.DataFrame(columns=["undl_record", *members])))
    rec, wide = merge_inputs(inputs, members)
    since = str(spec.get("since", "2021-09-01"))
    rec = rec[rec["date"] >= since]
    wide = wide[wide["undl_record"].isin(rec["undl_record"])]
    rec, wide = finish_records(rec, wide, sessions, catalog)
    return rec, wide, provenance


def committed_assembly(paths: Paths, members: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The committed layer as an input (a clone without ../shared)."""
    rp, vp = paths.data / RECORDS_REL, paths.data / VOTES_REL
    if not rp.exists() or not vp.exists():
        return (
            pd.DataFrame(columns=[*RECORD_COLUMNS, "session_field"]),
            pd.DataFrame(columns=["undl_record", *members]),
        )
    rec = pd.read_csv(rp, dtype=str, keep_default_na=False)
    rec = rec.assign(session_field=rec["meeting"].where(rec["meeting"].str.startswith("ES-"), ""))
    wide = pd.read_csv(vp, dtype=str, keep_default_na=False)
    return rec.drop(columns=["session", "meeting", "text_id"]), wide


def load_assembly(paths: Paths | None = None, *, wide: bool = False) -> pd.DataFrame:
    """The whole-Assembly layer for analysis.

    Long (default): one row per record and sitting state ``undl_record, body, session, meeting,
    date, symbol, title, text_id, iso3, vote`` (``vote`` categorical Y N A X; ``date`` a
    datetime). ``wide=True``: the records joined to their vote columns (one row per record).
    Records known to exist but not held have no rows in the long form.
    """
    paths = paths or Paths.default()
    rp, vp = paths.data / RECORDS_REL, paths.data / VOTES_REL
    try:
        rec = pd.read_csv(rp, dtype=str, keep_default_na=False)
        votes = pd.read_csv(vp, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise MalformedFile(f"{e.filename}: missing; run `unga-brief curate`") from None
    meta = rec[rec["held"] == "true"][
        ["undl_record", "body", "session", "meeting", "date", "symbol", "title", "text_id"]
    ]
    if wide:
        out = meta.merge(votes, on="undl_record", how="left", validate="one_to_one")
        out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
        return out
    long = votes.melt(id_vars="undl_record", var_name="iso3", value_name="vote")
    long = long[long["vote"] != ""]
    # date and session parsed once per record (the merge copies them to every state's row)
    meta = meta.assign(
        date=pd.to_datetime(meta["date"], format="%Y-%m-%d"),
        session=pd.to_numeric(meta["session"].replace("", None)).astype("Int64"),
    )
    out = meta.merge(long, on="undl_record", how="inner", validate="one_to_many")
    out["vote"] = pd.Categorical(out["vote"], categories=list(VOTES))
    for c in ("body", "meeting"):
        out[c] = out[c].astype("category")
    return out.sort_values(["date", "undl_record", "iso3"], ignore_index=True)


def assembly_coverage(paths: Paths | None = None) -> pd.DataFrame:
    """The coverage table of the committed layer (for `validate` and the methodology page)."""
    from unga_brief.data.curate_inputs import load_rules

    paths = paths or Paths.default()
    if not (paths.data / RECORDS_REL).exists():  # a project without the layer: nothing held
        return pd.DataFrame(columns=COVERAGE_COLUMNS)
    rec = pd.read_csv(paths.data / RECORDS_REL, dtype=str, keep_default_na=False)
    return coverage_by_session(rec, sessions_table(load_rules(paths)))


def validate_committed(paths: Paths, member_states: pd.DataFrame, council: pd.DataFrame) -> None:
    """Validate data/assembly/ if present (a project before this layer has none)."""
    rp, vp = paths.data / RECORDS_REL, paths.data / VOTES_REL
    if not rp.exists() and not vp.exists():
        return
    try:
        rec = pd.read_csv(rp, dtype=str, keep_default_na=False)
        votes = pd.read_csv(vp, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise MalformedFile(f"{e.filename}: missing; run `unga-brief curate`") from None
    if list(rec.columns) != RECORD_COLUMNS:
        raise MalformedFile(f"{rp}: header {list(rec.columns)}, expected {RECORD_COLUMNS}")
    validate_assembly(rec, votes, member_states, council)


def output_files(records: pd.DataFrame, votes: pd.DataFrame) -> dict[str, bytes]:
    def b(df):
        return df.to_csv(index=False, lineterminator="\n").encode("utf-8")

    return {RECORDS_REL: b(records), VOTES_REL: b(votes)}
