"""Reading the whole-Assembly layer's inputs: the sessions table, the UNDL copies of every
roll call (``undl_ga_79_80/`` and the like), the records the catalogue already holds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from unga_brief.core.errors import DataError, MalformedFile, UnknownCountry
from unga_brief.core.vocab import TALLY_FIELDS, VOTES

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


def clean_title(title: str) -> str:
    return _TITLE_TAIL.sub("", str(title)).strip()


def clean_symbol(symbol: str) -> str:
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


def meeting_of(symbol: str, body: str, session_field: str = "") -> str:
    if body == "SC":
        return "SC"
    m = _ES.match(symbol or "")
    if m:
        return m.group(1)
    if str(session_field).startswith("ES-"):
        return str(session_field)
    return "regular"


def votes_wide(long: pd.DataFrame, members: list[str]) -> pd.DataFrame:
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
                "symbol": rec["symbol"].map(clean_symbol),
                "title": rec["title"].map(clean_title),
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
                "title": rec["title"].map(clean_title),
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
    return out, votes_wide(v, members)


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
                    "title": k[spec.get("title", "title")].map(clean_title),
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
    return rec, votes_wide(long, members) if len(long) else pd.DataFrame(
        columns=["undl_record", *members]
    )
