"""Who may vote on each text: the member states on its date, the Council's members for a Council text (DESIGN §4)."""

from __future__ import annotations

import pandas as pd

from unga_brief.core.errors import DataError

# =============================================================================================
# Who may vote, who belongs to which group
# =============================================================================================


def electorate(catalog: pd.DataFrame, members: pd.DataFrame, council: pd.DataFrame) -> pd.DataFrame:
    """``text_id, iso3``: every Member State for a GA text; the Council of that year for an SC
    text (from the reference tables)."""
    rows = []
    ms = members["iso3"].tolist()
    by_year = council.groupby(council["year"].astype(int))["iso3"].apply(list).to_dict()
    for t in catalog[["id", "body", "date"]].itertuples(index=False):
        if t.body == "GA":
            rows += [(t.id, i) for i in ms]
        else:
            year = pd.Timestamp(t.date).year
            if year not in by_year:
                raise DataError(f"{t.id}: no Security Council membership for {year}")
            rows += [(t.id, i) for i in by_year[year]]
    return pd.DataFrame(rows, columns=["text_id", "iso3"])


def electorate_from_votes(votes: pd.DataFrame) -> pd.DataFrame:
    """``text_id, iso3`` derived from the rows themselves: for GA texts, every state with a row
    on any full GA text; for an SC text, its own rows if it is full, else the rows of the full
    SC texts of the same year (the Council changes on 1 January)."""
    texts = votes.drop_duplicates("text_id")[["text_id", "body", "coverage", "date"]]
    full = votes[votes["coverage"].astype(str) == "full"]
    ga_states = sorted(set(full.loc[full["body"].astype(str) == "GA", "iso3"]))
    sc_full = full[full["body"].astype(str) == "SC"]
    sc_year = (
        sc_full.assign(year=sc_full["date"].dt.year)
        .groupby("year")["iso3"]
        .apply(lambda s: sorted(set(s)))
    )
    sc_own = sc_full.groupby("text_id")["iso3"].apply(list)
    rows = []
    for t in texts.itertuples(index=False):
        if str(t.body) == "GA":
            if not ga_states:
                raise DataError(
                    f"{t.text_id}: cannot tell who may vote (no full GA text); pass an electorate"
                )
            rows += [(t.text_id, i) for i in ga_states]
        elif t.text_id in sc_own.index:
            rows += [(t.text_id, i) for i in sc_own[t.text_id]]
        else:
            year = pd.Timestamp(t.date).year
            if year not in sc_year.index:
                raise DataError(
                    f"{t.text_id}: cannot tell the Council of {year} (no full SC text "
                    "that year); pass an electorate"
                )
            rows += [(t.text_id, i) for i in sc_year[year]]
    return pd.DataFrame(rows, columns=["text_id", "iso3"])
