"""Merging the sources into one vote per state and text: the official totals, the rank of each
source (a UN record outranks a list, a list a derivation, a derivation a news report), the
conflicts kept, the record each text cites, and the catalogue built from it all.
"""

from __future__ import annotations

import re

import pandas as pd

from unga_brief.core.errors import (
    BadDate,
    DataError,
    SourceConflict,
    UnknownCountry,
    UnknownText,
)
from unga_brief.core.vocab import BASES, TOTAL_FIELDS
from unga_brief.data import catalog as catalog_mod

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


CITED_RECORD = re.compile(
    r"(?:digitallibrary\.un\.org/record/|UNDL record |UN Digital Library record )(\d+)"
)


def record_ids(rows: pd.DataFrame, texts_meta: list[dict]) -> dict[str, str]:
    """Text id -> the UN Digital Library record id that its rank-1 sources cite.

    A text whose texts.yml entry gives another id, or whose sources cite two, fails the build.
    """
    top = rows[rows["rank"] == 1]
    cited = top["citation"].str.extract(CITED_RECORD)[0]
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
