"""Merging the whole-Assembly inputs and checking them: one row per roll call, totals equal to
the votes, agreement with the catalogue, and the coverage of each session against the number
of roll calls the sources say exist.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from unga_brief.core.errors import DataError, MalformedFile, TotalsMismatch, UnknownCountry
from unga_brief.core.vocab import TALLY_FIELDS, VOTES
from unga_brief.data.assembly_inputs import (
    COVERAGE_COLUMNS,
    RECORD_COLUMNS,
    VOTES_REL,
    meeting_of,
    session_of,
)

# --- merging, checking -----------------------------------------------------------------------


def merge_inputs(inputs: list[tuple[pd.DataFrame, pd.DataFrame]], members: list[str]):
    """First input (precedence order) holding a record wins its metadata; every other input
    holding it must agree vote for vote (else DataError naming the record and the state).
    A symbol or title missing from the winner is taken from the next input that has one."""
    recs, wides = [], []
    for order, (r, w) in enumerate(inputs):
        if len(r):
            recs.append(r.assign(_order=order))
            wides.append(w.assign(_order=order, _source=r["source"].iloc[0]))
    rec = pd.concat(recs, ignore_index=True).sort_values(["_order"], kind="stable")
    wide = pd.concat(wides, ignore_index=True).sort_values(["_order"], kind="stable")
    # every copy of a record agrees
    copies = wide[wide.duplicated("undl_record", keep=False)]
    if len(copies):
        first = copies.drop_duplicates("undl_record").set_index("undl_record")
        ref = first.loc[copies["undl_record"], members].fillna("").to_numpy()
        bad = copies[members].fillna("").to_numpy() != ref
        if bad.any():
            i, j = np.argwhere(bad)[0]
            rid, m = copies["undl_record"].iloc[i], members[j]
            raise DataError(
                f"assembly: record {rid}: {m} is {ref[i, j] or 'blank'} in "
                f"{first.at[rid, '_source']} but {copies[m].iloc[i] or 'blank'} in "
                f"{copies['_source'].iloc[i]} ({int(bad[i].sum())} state(s) differ)"
            )
    held = set(wide["undl_record"])
    for col in ("symbol", "title"):
        fill = rec[rec[col] != ""].drop_duplicates("undl_record").set_index("undl_record")[col]
        rec[col] = rec["undl_record"].map(fill).fillna("")
    srcs = rec.groupby("undl_record", sort=False)["source"].agg(
        lambda s: " + ".join(dict.fromkeys(part for x in s for part in x.split(" + ")))
    )
    # a known-but-not-held row yields to any held copy
    rec = rec.assign(_held=rec["undl_record"].isin(held))
    rec = rec.sort_values(["_held", "_order"], ascending=[False, True], kind="stable")
    rec = rec.drop_duplicates("undl_record").copy()
    rec["source"] = rec["undl_record"].map(srcs)
    rec["held"] = rec["_held"].map({True: "true", False: "false"})
    wide = wide.drop_duplicates("undl_record")[["undl_record", *members]]
    return rec.drop(columns=["_order", "_held"]), wide


def finish_records(
    rec: pd.DataFrame, wide: pd.DataFrame, sessions: pd.DataFrame, catalog: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Session (GA), meeting, the catalogue text each record is, the symbol from the catalogue
    where the copies give none; sorted by date."""
    rec = rec.copy()
    ga = rec["body"] == "GA"
    rec["session"] = ""
    rec.loc[ga, "session"] = session_of(rec.loc[ga, "date"], sessions).astype(str)
    rec["meeting"] = [
        meeting_of(s, b, f) for s, b, f in zip(rec["symbol"], rec["body"], rec["session_field"])
    ]
    by_record = {
        str(r): t for r, t in zip(catalog["undl_record"].astype(str), catalog["id"]) if str(r)
    }
    rec["text_id"] = rec["undl_record"].map(by_record).fillna("")
    sym = dict(zip(catalog["id"], catalog["symbol"]))
    rec["symbol"] = [s or sym.get(t, "") for s, t in zip(rec["symbol"], rec["text_id"])]
    rec["members"] = rec["members"].astype(str).str.replace(r"\.0$", "", regex=True)
    for col in TALLY_FIELDS.values():
        rec[col] = rec[col].astype(str).str.replace(r"\.0$", "", regex=True).replace("<NA>", "")
    rec = rec.sort_values(["date", "body", "undl_record"], ignore_index=True)
    wide = wide.set_index("undl_record").loc[rec["undl_record"][rec["held"] == "true"]].copy()
    return rec[RECORD_COLUMNS], wide.reset_index()


def validate_assembly(
    records: pd.DataFrame,
    votes: pd.DataFrame,
    member_states: pd.DataFrame,
    council: pd.DataFrame,
) -> None:
    """Each held record's cells equal its own totals; a GA record has all 193 Member States; a
    Council record exactly that year's 15 members (a year the reference does not list must show
    one set of 15, the five permanent members among them); ids unique; dates parse."""
    members = sorted(member_states["iso3"])
    if list(votes.columns) != ["undl_record", *members]:
        raise MalformedFile(
            f"data/{VOTES_REL}: columns must be undl_record then the 193 ISO3 codes"
        )
    for what, df in (("records", records), ("votes", votes)):
        d = df["undl_record"][df["undl_record"].duplicated()]
        if len(d):
            raise DataError(f"assembly {what}: record {d.iloc[0]} appears twice")
    bad = pd.to_datetime(records["date"], format="%Y-%m-%d", errors="coerce").isna()
    if bad.any():
        r = records[bad].iloc[0]
        raise DataError(
            f"assembly: record {r['undl_record']}: date {r['date']!r} is not YYYY-MM-DD"
        )
    held = records[records["held"] == "true"]
    missing = sorted(set(held["undl_record"]) ^ set(votes["undl_record"]))
    if missing:
        raise DataError(f"assembly: records and votes do not hold the same records: {missing[:3]}")
    cells = votes.set_index("undl_record")[members]
    stray = ~cells.isin([*VOTES, ""])
    if stray.any().any():
        rid = stray.any(axis=1).idxmax()
        raise DataError(f"assembly: record {rid}: a vote outside Y, N, A, X")
    by = held.set_index("undl_record").loc[cells.index]
    permanent = set(council.loc[council["permanent"].astype(str) == "True", "iso3"])
    seats = council.groupby(council["year"].astype(int))["iso3"].agg(frozenset).to_dict()
    sc_sets: dict[int, set] = {}
    for code, col in TALLY_FIELDS.items():
        got = (cells == code).sum(axis=1)
        want = pd.to_numeric(by[col].replace("", None))
        bad = want.isna() | (want != got)
        if bad.any():
            rid = bad.idxmax()
            r = by.loc[rid]
            raise TotalsMismatch(
                f"assembly: record {rid} ({r['symbol'] or r['date']}): cells give {got[rid]} "
                f"{col.replace('_', '-')}, its totals say {r[col] or 'nothing'}"
            )
    sitting = (cells != "").sum(axis=1)
    bad = (by["body"] == "GA") & (sitting != len(members))
    if bad.any():
        rid = bad.idxmax()
        raise DataError(
            f"assembly: GA record {rid}: {sitting[rid]} states, expected all {len(members)}"
        )
    bad = by["members"] != sitting.astype(str)
    if bad.any():
        rid = bad.idxmax()
        raise DataError(
            f"assembly: record {rid}: {sitting[rid]} states sit, its totals say {by.at[rid, 'members']}"
        )
    for rid, row in cells[by["body"] == "SC"].iterrows():
        r = by.loc[rid]
        sat = frozenset(row.index[row != ""])
        year = int(r["date"][:4])
        if year not in seats:
            sc_sets.setdefault(year, set()).add(sat)
        elif sat != seats[year]:
            odd = sorted(sat ^ seats[year])
            raise UnknownCountry(
                f"assembly: SC record {rid} ({r['symbol']}): members differ from the "
                f"Council of {year} ({', '.join(odd)})"
            )
    for year, sets in sc_sets.items():
        if len(sets) != 1 or len(next(iter(sets))) != 15 or not permanent <= next(iter(sets)):
            raise DataError(
                f"assembly: Council records of {year} do not show one set of 15 members with the "
                "five permanent ones"
            )


def check_against_catalog(
    records: pd.DataFrame, votes: pd.DataFrame, catalog_votes: pd.DataFrame
) -> None:
    """A catalogue text that is the same UNDL record agrees with it on every record-based row."""
    linked = records[(records["text_id"] != "") & (records["held"] == "true")]
    if linked.empty:
        return
    cells = votes.set_index("undl_record")
    cv = catalog_votes[
        catalog_votes["text_id"].isin(linked["text_id"]) & (catalog_votes["basis"] == "record")
    ]
    rid = dict(zip(linked["text_id"], linked["undl_record"]))
    # Each catalogue vote against its record's cell, in one lookup (a state absent from the
    # record counts as blank); the first row that differs is named.
    record = cv["text_id"].map(rid)
    rows = cells.index.get_indexer(record)
    cols = cells.columns.get_indexer(cv["iso3"])
    grid = cells.astype(object).where(cells.notna(), "").to_numpy()
    found = np.where((rows >= 0) & (cols >= 0), grid[rows, cols], "")
    differ = np.flatnonzero(found != cv["vote"].astype(object).to_numpy())
    if len(differ):
        i = differ[0]
        r = cv.iloc[i]
        raise DataError(
            f"assembly: record {record.iloc[i]} gives {r['iso3']} {found[i] or 'blank'}, the "
            f"catalogue text {r['text_id']} {r['vote']} (both UN record copies)"
        )


# --- coverage ---------------------------------------------------------------------------------


def coverage_by_session(records: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Per GA session: records held (regular and emergency special), the number the sources say
    exist (regular sessions, UNDL bulk file), and the missing ones by UNDL record id; per
    calendar year for the Council: resolutions held and the numbers missing from the run."""
    rows = []
    ga = records[records["body"] == "GA"]
    s_by = sessions.set_index("session")
    for s, g in ga.groupby(ga["session"].astype(int)):
        held = g[g["held"] == "true"]
        reg = held[held["meeting"] == "regular"]
        es = held[held["meeting"] != "regular"]
        named = sorted(g.loc[g["held"] != "true", "undl_record"])
        exp = s_by.at[s, "expected"] if s in s_by.index else None
        exp = None if exp is None or pd.isna(exp) else int(exp)
        short = max(exp - len(reg), 0) if exp is not None else None
        unnamed = (short - len(named)) if short is not None else 0
        missing = ", ".join(named) + (
            f"{', ' if named else ''}{unnamed} not identified" if unnamed > 0 else ""
        )
        rows.append(
            {
                "session": str(s),
                "body": "GA",
                "from": g["date"].min(),
                "to": g["date"].max(),
                "records held": len(held),
                "regular": len(reg),
                "emergency special": len(es),
                "expected": "" if exp is None else str(exp),
                "expected source": s_by.at[s, "expected_source"] if s in s_by.index else "",
                "missing": "" if short is None else str(short),
                "missing records": missing or "-",
            }
        )
    sc = records[(records["body"] == "SC") & (records["held"] == "true")]
    if len(sc):
        sc = sc.assign(_n=sc["symbol"].str.extract(r"^S/RES/(\d+)")[0].astype("Int64"))
        numbered = sc.dropna(subset=["_n"]).sort_values("_n")
        have = set(numbered["_n"].astype(int))
        # a number missing from the run belongs to the year of the last number held before it
        gap_year: dict[str, list[int]] = {}
        for n in range(min(have), max(have) + 1):
            if n not in have:
                year = numbered.loc[numbered["_n"] < n, "date"].iloc[-1][:4]
                gap_year.setdefault(year, []).append(n)
        for year, g in sc.groupby(sc["date"].str.slice(0, 4)):
            gap = gap_year.get(year, [])
            rows.append(
                {
                    "session": year,
                    "body": "SC",
                    "from": g["date"].min(),
                    "to": g["date"].max(),
                    "records held": len(g),
                    "regular": len(g),
                    "emergency special": 0,
                    "expected": str(len(g) + len(gap)),
                    "expected source": "resolution numbers run without a gap",
                    "missing": str(len(gap)),
                    "missing records": ", ".join(f"S/RES/{n}" for n in gap) or "-",
                }
            )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
