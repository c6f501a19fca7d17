"""Validation of the curated data (DESIGN §3). Every failure names the text and the difference.

Checks: column types and codes (pandera schemas); every full text's country rows equal its
official totals; a partial text's rows do not exceed them; every iso3 a Member State (or a
Council member that year); no duplicate country per text; dates parse; every vote's text is in
the catalogue; vetoes agree with the rows; no unresolved conflict between top-rank sources.
"""

from __future__ import annotations

import functools

import pandas as pd

from unga_brief.core.errors import (
    BadVoteCode,
    DataError,
    DuplicateVote,
    MalformedFile,
    SourceConflict,
    TotalsMismatch,
    UnknownCountry,
    UnknownText,
)
from unga_brief.core.paths import Paths
from unga_brief.data.catalog import CATALOG_COLUMNS, load_catalog, text_label

VOTE_NAMES = {"Y": "Yes", "N": "No", "A": "Abstain", "X": "Non-voting"}
OFFICIAL = {
    "Y": "official_yes",
    "N": "official_no",
    "A": "official_abstain",
    "X": "official_non_voting",
}


@functools.cache
def schemas():
    """The pandera schemas of the votes and the catalogue (pandera is imported only when data
    is validated: notebooks that only read the data do not pay for it)."""
    import pandera.pandas as pa

    VOTES_SCHEMA = pa.DataFrameSchema(
        {
            "text_id": pa.Column(str, nullable=False),
            "iso3": pa.Column(str, pa.Check.str_matches(r"^[A-Z]{3}$"), nullable=False),
            "vote": pa.Column(str, pa.Check.isin(["Y", "N", "A", "X"]), nullable=False),
            "basis": pa.Column(
                str, pa.Check.isin(["record", "list", "derived", "named"]), nullable=False
            ),
            "rank": pa.Column(int, pa.Check.isin([1, 2, 3, 4, 5]), nullable=False),
            "source": pa.Column(str, nullable=False),
            "citation": pa.Column(str, nullable=True),
        },
        strict=True,
        coerce=True,
    )

    CATALOG_SCHEMA = pa.DataFrameSchema(
        {
            "id": pa.Column(str, unique=True),
            "body": pa.Column(str, pa.Check.isin(["GA", "SC"])),
            "kind": pa.Column(
                str, pa.Check.isin(["resolution", "decision", "amendment", "draft", "motion"])
            ),
            "topic": pa.Column(str, pa.Check.isin(["ukraine", "gaza"])),
            "date": pa.Column("datetime64[ns]", coerce=True),
            "coverage": pa.Column(str, pa.Check.isin(["full", "partial", "totals"]), coerce=True),
            **{
                c: pa.Column("Int64", pa.Check.ge(0), nullable=True, coerce=True)
                for c in ("official_yes", "official_no", "official_abstain", "official_non_voting")
            },
        },
        strict=False,
    )
    return pa, VOTES_SCHEMA, CATALOG_SCHEMA


def _schema_error(what: str, e: Exception) -> DataError:
    errs = getattr(e, "schema_errors", None)
    if errs:  # SchemaErrors (lazy validation): report the first
        e = errs[0]
    fc = getattr(e, "failure_cases", None)
    sample = ""
    if fc is not None and len(fc):
        sample = f": {fc['failure_case'].astype(str).head(3).tolist()}"
    check = str(getattr(e, "check", "") or "")
    col = getattr(e, "schema", None)
    colname = getattr(col, "name", "") if col is not None else ""
    if "isin" in check and colname == "vote":
        return BadVoteCode(f"{what}: vote codes outside Y, N, A, X{sample}")
    return DataError(f"{what}: column {colname!r} fails {check or 'its type'}{sample}")


def validate_frames(
    catalog: pd.DataFrame,
    votes: pd.DataFrame,
    reference: dict,
    conflicts: pd.DataFrame | None = None,
) -> None:
    """Raise the first failure found (one clear line); return None when the data is valid."""
    cat = catalog.copy()
    for c in ("official_yes", "official_no", "official_abstain", "official_non_voting"):
        cat[c] = pd.to_numeric(
            cat[c].replace("", None) if cat[c].dtype == object else cat[c]
        ).astype("Int64")
    pa, VOTES_SCHEMA, CATALOG_SCHEMA = schemas()
    try:
        cat = CATALOG_SCHEMA.validate(cat)
        VOTES_SCHEMA.validate(
            votes[["text_id", "iso3", "vote", "basis", "rank", "source", "citation"]]
        )
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as e:
        raise _schema_error("curated data", e) from None

    unknown = sorted(set(votes["text_id"]) - set(cat["id"]))
    if unknown:
        raise UnknownText(f"votes reference texts missing from the catalogue: {', '.join(unknown)}")
    dup = votes.duplicated(["text_id", "iso3"], keep=False)
    if dup.any():
        d = votes[dup].iloc[0]
        raise DuplicateVote(f"{d['text_id']}: {d['iso3']} appears more than once")

    members = set(reference["member_states"]["iso3"])
    council = reference["council_members"]
    by_text = cat.set_index("id")
    ga_ids = set(cat.loc[cat["body"] == "GA", "id"])
    ga = votes[votes["text_id"].isin(ga_ids)]
    bad = ga[~ga["iso3"].isin(members)]
    if not bad.empty:
        r = bad.iloc[0]
        raise UnknownCountry(
            f"{text_label(by_text.loc[r['text_id']])}: {r['iso3']} is not a UN Member State"
        )
    sc = votes[~votes["text_id"].isin(ga_ids)]
    if not sc.empty:
        years = sc["text_id"].map(lambda t: by_text.loc[t, "date"].year)
        seats = set(zip(council["year"].astype(int), council["iso3"]))
        ok = [(y, i) in seats for y, i in zip(years, sc["iso3"])]
        bad = sc[[not o for o in ok]]
        if not bad.empty:
            r = bad.iloc[0]
            raise UnknownCountry(
                f"{r['text_id']}: {r['iso3']} was not on the Security Council that year"
            )

    counts = votes.groupby(["text_id", "vote"]).size().unstack(fill_value=0)
    for tid, t in by_text.iterrows():
        name = text_label(t.to_dict() | {"id": tid})
        c = counts.loc[tid] if tid in counts.index else pd.Series(dtype=int)
        n = int(c.sum()) if len(c) else 0
        size = int(t["members"])  # every Member State, or the Council that year (curate)
        if t["coverage"] == "full":
            for code, col in OFFICIAL.items():
                off = t[col]
                got = int(c.get(code, 0))
                if pd.isna(off):
                    raise TotalsMismatch(
                        f"{name}: full coverage but the official {VOTE_NAMES[code]} total is unknown"
                    )
                if got != off:
                    diff = int(off) - got
                    raise TotalsMismatch(
                        f"{name}: rows give {got} {VOTE_NAMES[code]}, official {int(off)} "
                        f"({'missing' if diff > 0 else 'extra'}: {abs(diff)} {'country' if abs(diff) == 1 else 'countries'})"
                    )
            if n != size:
                raise TotalsMismatch(f"{name}: full coverage needs {size} country rows, has {n}")
        else:
            if t["coverage"] == "totals" and n:
                raise DataError(f"{name}: marked totals-only but has {n} country rows")
            for code, col in OFFICIAL.items():
                off = t[col]
                got = int(c.get(code, 0))
                if not pd.isna(off) and got > off:
                    raise TotalsMismatch(
                        f"{name}: partial rows give {got} {VOTE_NAMES[code]}, more than the official {int(off)}"
                    )
        official = [t[c] for c in OFFICIAL.values()]
        if all(not pd.isna(o) for o in official) and sum(int(o) for o in official) != size:
            raise TotalsMismatch(
                f"{name}: official totals add up to {sum(int(o) for o in official)}, not {size}"
            )
        for p5 in str(t.get("vetoed_by", "") or "").split():
            row = votes[(votes["text_id"] == tid) & (votes["iso3"] == p5)]
            if not row.empty and row["vote"].iloc[0] != "N":
                raise DataError(
                    f"{name}: vetoed_by {p5}, but its recorded vote is {row['vote'].iloc[0]}"
                )
    if conflicts is not None and len(conflicts):
        fatal = conflicts[conflicts["status"] == "fatal"]
        if len(fatal):
            r = fatal.iloc[0]
            raise SourceConflict(
                f"{r['text_id']}: {r['iso3']}: unresolved conflict between top-rank sources"
            )


def load_votes_raw(paths: Paths) -> pd.DataFrame:
    """The curated long vote files (GA and SC), as strings."""
    frames = []
    for body in ("ga", "sc"):
        p = paths.votes_dir / f"{body}.csv"
        try:
            df = pd.read_csv(p, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise MalformedFile(f"{p}: missing; run `unga-brief curate`") from None
        except pd.errors.ParserError as e:
            raise MalformedFile(f"{p}: cannot be parsed ({e})") from None
        want = ["text_id", "iso3", "vote", "basis", "rank", "source", "citation"]
        if list(df.columns) != want:
            raise MalformedFile(f"{p}: header {list(df.columns)}, expected {want}")
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def validate_data(paths: Paths) -> pd.DataFrame:
    """Validate what is committed under data/; return the coverage table."""
    from unga_brief.data.members import load_council, load_members

    catalog = load_catalog(paths)
    votes = load_votes_raw(paths)
    reference = {"member_states": load_members(paths), "council_members": load_council(paths)}
    conflicts = (
        pd.read_csv(paths.conflicts_csv, dtype=str, keep_default_na=False)
        if paths.conflicts_csv.exists()
        else None
    )
    validate_frames(catalog, votes, reference, conflicts)
    from unga_brief.data.assembly import validate_committed

    validate_committed(paths, reference["member_states"], reference["council_members"])
    return coverage_by_text(catalog)


def basis_counts(table: pd.DataFrame) -> pd.Series:
    """Country rows by basis (record, list, derived, named) over the texts of a coverage table."""
    parts = table["basis"].str.split().explode()
    parts = parts[parts.str.contains(":", na=False)].str.split(":", expand=True)
    n = parts[1].astype(int).groupby(parts[0]).sum() if len(parts) else pd.Series(dtype=int)
    return n.reindex(["record", "list", "derived", "named"], fill_value=0)


def assembly_coverage(paths: Paths) -> pd.DataFrame:
    """The whole-Assembly layer's coverage by GA session (and Council year): records held vs
    the number the sources say exist, the missing ones by UNDL record id. Empty when the
    project has no whole-Assembly layer."""
    from unga_brief.data.assembly import assembly_coverage as coverage
    from unga_brief.data.assembly_inputs import RECORDS_REL

    if not (paths.data / RECORDS_REL).exists():
        return pd.DataFrame()
    return coverage(paths)


def coverage_by_text(catalog: pd.DataFrame) -> pd.DataFrame:
    """Text, date, official Y-N-A-X, rows, basis mix, coverage: one row per text."""

    def fmt(v):
        return "?" if pd.isna(v) else str(int(v))

    out = pd.DataFrame(
        {
            "text": [text_label(r) for _, r in catalog.iterrows()],
            "id": catalog["id"],
            "body": catalog["body"],
            "topic": catalog["topic"],
            "date": pd.to_datetime(catalog["date"]).dt.strftime("%Y-%m-%d"),
            "official Y-N-A-X": [
                "-".join(fmt(r[c]) for c in OFFICIAL.values()) for _, r in catalog.iterrows()
            ],
            "rows": catalog["rows"].astype(int),
            "basis": catalog["basis_mix"].replace("", "-"),
            "coverage": catalog["coverage"].astype(str),
            "complete lists": catalog["complete_lists"].replace("", "-"),
        }
    )
    return out


__all__ = [
    "validate_frames",
    "validate_data",
    "coverage_by_text",
    "assembly_coverage",
    "basis_counts",
    "load_votes_raw",
    "CATALOG_COLUMNS",
]
