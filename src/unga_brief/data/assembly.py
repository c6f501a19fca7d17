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

import datetime as dt
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from unga_brief.core.errors import DataError, MalformedFile, TotalsMismatch, UnknownCountry
from unga_brief.core.paths import Paths, write_atomic
from unga_brief.core.vocab import TALLY_FIELDS, VOTES
from unga_brief.data.source_files import sha256_of

RECORD_COLUMNS = [
    "undl_record",
    "body",
    "session",
    "meeting",
    "date",
    "symbol",
    "title",
    "yes",
    "no",
    "abstain",
    "non_voting",
    "members",
    "held",
    "text_id",
    "source",
    "citation",
]
#: Where the layer lives under data/, and where ingested bulk extracts are kept.
RECORDS_REL = "assembly/records.csv"
VOTES_REL = "assembly/votes.csv"
RAW_SUBDIR = "assembly"
META_SUFFIX = ".meta.yml"
_PLACEHOLDER = re.compile(r"/x+$", re.IGNORECASE)
_TITLE_TAIL = re.compile(
    r"\s*:\s*(resolution|decision)s?\s*/\s*adopted by the General Assembly\s*$"
)
_ES = re.compile(r"^A/(?:RES|DEC)/(ES-\d+)/")
COVERAGE_COLUMNS = [
    "session",
    "body",
    "from",
    "to",
    "records held",
    "regular",
    "emergency special",
    "expected",
    "expected source",
    "missing",
    "missing records",
]


# --- reading the inputs -----------------------------------------------------------------------


def _clean_title(title: str) -> str:
    return _TITLE_TAIL.sub("", str(title)).strip()


def _clean_symbol(symbol: str) -> str:
    """The symbol as the source gives it, blank where it is a placeholder (``A/RES/79/xxx``)."""
    s = str(symbol or "").strip()
    return "" if _PLACEHOLDER.search(s) else s


def sessions_table(rules: dict) -> pd.DataFrame:
    """The GA sessions of the layer from ``curation.yml``: number, opening day, expected count."""
    spec = (rules.get("assembly") or {}).get("sessions") or {}
    if not spec:
        raise MalformedFile("curation.yml: assembly.sessions is missing")
    rows = []
    for n, s in sorted(spec.items()):
        rows.append(
            {
                "session": int(n),
                "opened": str(s["opened"]),
                "expected": s.get("records"),
                "expected_source": s.get("source", ""),
            }
        )
    return pd.DataFrame(rows)


def session_of(dates: pd.Series, sessions: pd.DataFrame) -> pd.Series:
    """The regular GA session open on each date (the last one opened on or before it)."""
    opened = sessions.sort_values("opened")
    idx = opened["opened"].searchsorted(dates.astype(str), side="right") - 1
    if (idx < 0).any():
        d = dates[idx < 0].iloc[0]
        raise DataError(f"assembly: date {d} is before the first session in curation.yml")
    return pd.Series(opened["session"].to_numpy()[idx], index=dates.index)


def _meeting(symbol: str, body: str, session_field: str = "") -> str:
    if body == "SC":
        return "SC"
    m = _ES.match(symbol or "")
    if m:
        return m.group(1)
    if str(session_field).startswith("ES-"):
        return str(session_field)
    return "regular"


def _wide(long: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """Long ``undl_record, iso3, vote`` -> one row per record, one column per Member State."""
    w = long.pivot(index="undl_record", columns="iso3", values="vote")
    return w.reindex(columns=members).fillna("").reset_index()


def _read(src: Path, rel: str, need: list[str]) -> pd.DataFrame:
    """A source CSV as strings, refused (naming it) when missing or lacking a column."""
    try:
        df = pd.read_csv(src / rel, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MalformedFile(f"{rel}: file not found") from None
    except pd.errors.ParserError as e:
        raise MalformedFile(f"{rel}: cannot be parsed ({e})") from None
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise MalformedFile(f"{rel}: missing column(s) {', '.join(missing)}")
    return df


def read_source_input(
    src: Path, spec: dict, members: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One assembly input of the gathered sources (``records`` + ``votes`` files)."""
    layout = spec.get("layout")
    rec = _read(
        src, spec["records"], ["undl_record", "date", "title", *TALLY_FIELDS.values(), "total"]
    )
    frames = []
    for vf in spec["votes"]:
        frames.append(_read(src, vf, ["undl_record", "iso3", "vote", "source"]))
    frames = [f[["undl_record", "iso3", "vote", "source"]] for f in frames]
    v = pd.concat(frames, ignore_index=True)
    bad = sorted(set(v["iso3"]) - set(members))
    if bad:
        raise UnknownCountry(f"{spec['votes']}: not Member States: {bad}")
    bad = v[~v["vote"].isin(VOTES)]
    if len(bad):
        r = bad.iloc[0]
        raise MalformedFile(
            f"{spec['votes']}: vote {r['vote']!r} for {r['iso3']} in record {r['undl_record']}"
        )
    dup = v.duplicated(["undl_record", "iso3"])
    if dup.any():
        r = v[dup].iloc[0]
        raise MalformedFile(
            f"{spec['votes']}: record {r['undl_record']}: {r['iso3']} appears twice"
        )
    if layout == "undl_assembly":
        out = pd.DataFrame(
            {
                "undl_record": rec["undl_record"],
                "body": rec["body"],
                "date": rec["date"],
                "symbol": rec["symbol"].map(_clean_symbol),
                "title": rec["title"].map(_clean_title),
                "session_field": "",
                "members": rec["total"],
            }
        )
    elif layout == "undl_ga_79_80":
        out = pd.DataFrame(
            {
                "undl_record": rec["undl_record"],
                "body": "GA",
                "date": rec["date"],
                "symbol": "",
                "title": rec["title"].map(_clean_title),
                "session_field": rec["session"],
                "members": rec["total"],
            }
        )
    else:
        raise MalformedFile(
            f"curation.yml assembly input {spec['records']}: unknown layout {layout!r}"
        )
    for col in TALLY_FIELDS.values():
        out[col] = rec[col]
    first_source = v.drop_duplicates("undl_record").set_index("undl_record")["source"]
    out["citation"] = out["undl_record"].map(first_source).fillna("")
    out["source"] = spec["records"]
    return out, _wide(v, members)


def known_records(src: Path, specs: list[dict]) -> pd.DataFrame:
    """Records a source says exist (e.g. those a copy lacks), as not-held rows."""
    frames = []
    for spec in specs:
        k = _read(src, spec["file"], ["undl_record", "date", spec.get("title", "title")])
        frames.append(
            pd.DataFrame(
                {
                    "undl_record": k["undl_record"],
                    "body": spec.get("body", "GA"),
                    "date": k["date"],
                    "symbol": "",
                    "title": k[spec.get("title", "title")].map(_clean_title),
                    "session_field": k.get("session", ""),
                    "members": "",
                    **{c: "" for c in TALLY_FIELDS.values()},
                    "citation": k.get("source", ""),
                    "source": spec["file"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def catalog_records(catalog: pd.DataFrame, votes: pd.DataFrame, members: list[str]):
    """The catalogue's full, record-based texts with a UNDL record id (adopted GA texts and
    Council resolutions), in the layer's shape."""
    cat = catalog[
        (catalog["coverage"] == "full")
        & (catalog["undl_record"].astype(str) != "")
        & (catalog["kind"].isin(["resolution", "decision"]))
        & (catalog["adopted"].astype(str) == "true")
    ]
    basis = votes.groupby("text_id")["basis"].agg(lambda b: set(b) == {"record"})
    cat = cat[cat["id"].map(basis).fillna(False).astype(bool)]
    v = votes[votes["text_id"].isin(cat["id"])]
    rid = dict(zip(cat["id"], cat["undl_record"].astype(str)))
    long = pd.DataFrame(
        {"undl_record": v["text_id"].map(rid), "iso3": v["iso3"], "vote": v["vote"]}
    )
    rec = pd.DataFrame(
        {
            "undl_record": cat["undl_record"].astype(str),
            "body": cat["body"],
            "date": cat["date"].astype(str).str.slice(0, 10),
            "symbol": cat["symbol"],
            "title": cat["title"],
            "session_field": "",
            "members": cat["members"].astype(str),
            **{col: cat[f"official_{col}"].astype(str) for col in TALLY_FIELDS.values()},
            "citation": cat["source_citation"],
            "source": "data/votes (catalogue)",
        }
    )
    return rec, _wide(long, members) if len(long) else pd.DataFrame(
        columns=["undl_record", *members]
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
        _meeting(s, b, f) for s, b, f in zip(rec["symbol"], rec["body"], rec["session_field"])
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
    for r in cv.itertuples():
        v = cells.at[rid[r.text_id], r.iso3]
        if v != r.vote:
            raise DataError(
                f"assembly: record {rid[r.text_id]} gives {r.iso3} {v or 'blank'}, the catalogue "
                f"text {r.text_id} {r.vote} (both UN record copies)"
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
    out = meta.merge(long, on="undl_record", how="inner", validate="one_to_many")
    out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
    out["session"] = pd.to_numeric(out["session"].replace("", None)).astype("Int64")
    out["vote"] = pd.Categorical(out["vote"], categories=list(VOTES))
    for c in ("body", "meeting"):
        out[c] = out[c].astype("category")
    return out.sort_values(["date", "undl_record", "iso3"], ignore_index=True)


def assembly_coverage(paths: Paths | None = None) -> pd.DataFrame:
    """The coverage table of the committed layer (for `validate` and the methodology page)."""
    from unga_brief.data.curate import load_rules

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


# --- ingest: a UNDL bulk CSV fills the layer ----------------------------------------------------


def raw_meta_files(paths: Paths) -> list[Path]:
    d = paths.raw_dir / RAW_SUBDIR
    return sorted(d.glob(f"*{META_SUFFIX}")) if d.is_dir() else []


def read_raw_extract(
    paths: Paths, meta_path: Path, members: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """One stored extract of a UNDL bulk file (records + wide votes), checked against its meta."""
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
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
    from unga_brief.data.curate import load_rules
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
            "symbol": t["symbol"].fillna("").map(_clean_symbol),
            "title": t["title"].fillna("").map(_clean_title),
            "session_field": t["undl_record"].astype(str).map(session_field).fillna(""),
            "members": t["members"].astype("Int64").astype(str).replace("<NA>", ""),
            **{
                c: t[c].astype("Int64").astype(str).replace("<NA>", "")
                for c in TALLY_FIELDS.values()
            },
        }
    )
    wide = _wide(v[["undl_record", "iso3", "vote"]], members)
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


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
