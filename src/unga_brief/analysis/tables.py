"""Vote tables: how the world voted, text by text (DESIGN §1, question 1).

* :func:`vote_counts` — per text, Yes/No/Abstain/Non-voting counts and shares overall, by UN
  regional group and by bloc (membership on the vote's date), each with its n. On a partial
  text only the complete lists are counted and the others are unknown (NA, never zero); a text
  known only in its official totals appears in the overall row only.
* :func:`vote_table` — the wide country × text table of votes for a topic.
* :func:`count_trend` — each count across the texts of a series, ordered by date, with the
  change from the previous text.

Definitions (known vote, membership, share) are in :mod:`unga_brief.analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from unga_brief.analysis.abstention import group_counts
from unga_brief.analysis.ballot_frame import ballots, text_status
from unga_brief.analysis.text_selection import order_texts, select_texts
from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import OFFICIAL_COLUMNS, VOTE_CODES
from unga_brief.data.catalog import text_label

_TEXT_INFO = ["text_id", "name", "date", "body", "kind", "topic", "series", "short_title"]


def vote_counts(
    votes: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    groups: pd.DataFrame | None = None,
    *,
    blocs: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Counts of Y, N, A, X per text and scope, with shares and n.

    Scopes: ``all`` (every state entitled to vote), each ``regional group``, each ``bloc``
    (only for texts from 2022 on, and only when ``groups`` is given). With a ``catalog`` the
    overall row takes the official totals (``count_source`` = "official totals"; blank totals
    stay unknown) and the texts known only in totals are added (overall row only); without it,
    the overall row counts the country rows.

    Columns: ``text_id, name, date, body, kind, topic, series, short_title, scope_type, scope,
    members`` (n: states of the scope entitled to vote), ``Y, N, A, X`` (nullable; NA =
    unknown), ``share_Y, share_N, share_A, share_X`` (count ÷ n), ``n``, ``count_source,
    coverage, known_lists, coverage_note``.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    cat = catalog.rename(columns={"id": "text_id"}) if catalog is not None else None
    ids = select_texts(b, texts, catalog=catalog) if texts is not None else None
    if ids is not None:
        b = b[b["text_id"].isin(ids)]
    st = text_status(b)
    gc = group_counts(b, groups, blocs)
    gc["count_source"] = "country rows"
    info = b.drop_duplicates("text_id")[
        ["text_id", "date", "body", "kind", "topic", "series", "short_title", "coverage"]
    ].merge(st[["text_id", "name", "status"]], on="text_id")
    gc = gc.merge(info, on="text_id", how="left")
    gc["coverage_note"] = gc["status"]
    if cat is not None:
        extra = cat[~cat["text_id"].isin(b["text_id"])]
        if ids is not None:
            extra = extra[extra["text_id"].isin(ids)]
        if len(extra):
            extra = extra.assign(name=[text_label(r) for r in extra.to_dict("records")])
            totals = extra[
                [
                    "text_id",
                    "name",
                    "date",
                    "body",
                    "kind",
                    "topic",
                    "series",
                    "short_title",
                    "coverage",
                ]
            ].copy()
            totals["scope_type"], totals["scope"] = "all", "All members"
            totals["members"] = extra["members"].astype("Int64").to_numpy()
            totals["known_lists"] = ""
            totals["coverage_note"] = [
                f"{n} (official totals only; no country rows)" for n in totals["name"]
            ]
            gc = pd.concat([gc, totals], ignore_index=True)
        off = cat.set_index("text_id")
        is_all = gc["scope_type"] == "all"
        for c in VOTE_CODES:
            gc[c] = gc[c].astype("Int64")
            gc.loc[is_all, c] = (
                gc.loc[is_all, "text_id"].map(off[OFFICIAL_COLUMNS[c]]).astype("Int64").to_numpy()
            )
        gc.loc[is_all, "members"] = (
            gc.loc[is_all, "text_id"].map(off["members"]).astype("Int64").to_numpy()
        )
        gc.loc[is_all, "count_source"] = "official totals"
        gc.loc[is_all, "known_lists"] = [
            "".join(c for c in VOTE_CODES if pd.notna(off.loc[t, OFFICIAL_COLUMNS[c]]))
            for t in gc.loc[is_all, "text_id"]
        ]
    gc["members"] = gc["members"].astype("Int64")
    for c in VOTE_CODES:
        gc[c] = gc[c].astype("Int64")
        gc[f"share_{c}"] = gc[c].astype("Float64") / gc["members"].astype("Float64")
    gc["n"] = gc["members"]
    gc["coverage"] = gc["coverage"].astype(str)
    cols = (
        _TEXT_INFO
        + ["scope_type", "scope", "members"]
        + list(VOTE_CODES)
        + [f"share_{c}" for c in VOTE_CODES]
        + ["n", "count_source", "coverage", "known_lists", "coverage_note"]
    )
    order = {"all": 0, "regional group": 1, "bloc": 2}
    gc = gc[cols].assign(_o=gc["scope_type"].map(order), _k=gc["name"])
    return gc.sort_values(["date", "_k", "_o", "scope"], ignore_index=True).drop(
        columns=["_o", "_k"]
    )


def vote_table(
    votes: pd.DataFrame,
    *,
    topic: str | None = None,
    texts: Sequence[str] | None = None,
    body: str = "GA",
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
    unknown: object = "?",
) -> pd.DataFrame:
    """Wide table: one row per state, one column per text (text id, ordered by date then
    symbol), the vote letter in each cell, ``unknown`` (default "?") where the vote is not
    known, blank where the state was not entitled to vote (Security Council).

    Default texts: every ``body`` text of ``topic`` in the frame. Leading columns ``iso3,
    display_name, group_short``; last column ``coverage_note`` names the texts on which that
    state's vote is unknown.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    if texts is None:
        t = b.drop_duplicates("text_id")
        if topic is not None:
            if topic not in set(t["topic"].astype(str)):
                raise ParameterError(f"unknown topic {topic!r}")
            t = t[t["topic"].astype(str) == topic]
        if body is not None:
            t = t[t["body"].astype(str) == body]
        ids = order_texts(t)["text_id"].tolist()
    else:
        ids = select_texts(b, texts)
    if not ids:
        raise ParameterError(f"no texts for topic {topic!r} and body {body!r}")
    b = b[b["text_id"].isin(ids)]
    names = text_status(b).set_index("text_id")["name"]
    cell = b["vote"].astype(object).where(b["vote"].notna(), unknown)
    w = (
        b.assign(cell=cell)
        .pivot(index="iso3", columns="text_id", values="cell")
        .reindex(columns=ids)
    )
    w = w.astype(object).where(w.notna(), "")
    attrs = b.drop_duplicates("iso3").set_index("iso3")[["display_name", "group_short"]]
    unk = b[b["vote"].isna()].groupby("iso3")["text_id"].apply(lambda s: [names[t] for t in s])
    note = pd.Series(
        {i: ("Vote unknown on: " + "; ".join(unk[i])) if i in unk.index else "" for i in w.index}
    )
    if firm_only:
        note = note + " (firm votes only: derived and news-named rows set aside)"
    out = attrs.join(w).assign(coverage_note=note).reset_index()
    out.columns.name = None
    return out


def count_trend(counts: pd.DataFrame, series: str, *, scope: str = "All members") -> pd.DataFrame:
    """Each count across the texts of ``series`` (from :func:`vote_counts`), ordered by date
    then symbol, with the change from the previous text (``change_Y`` …; NA where either count
    is unknown).

    Columns: ``series, text_id, name, date, members, Y, N, A, X, share_Y … share_X, n,
    change_Y, change_N, change_A, change_X, coverage_note``.
    """
    c = counts[(counts["series"].astype(str) == series) & (counts["scope"] == scope)]
    if c.empty:
        raise ParameterError(f"no texts of series {series!r} with scope {scope!r} in the counts")
    c = order_texts(c)
    out = c[
        ["series", "text_id", "name", "date", "members"]
        + list(VOTE_CODES)
        + [f"share_{v}" for v in VOTE_CODES]
        + ["n", "coverage_note"]
    ].reset_index(drop=True)
    for v in VOTE_CODES:
        out[f"change_{v}"] = out[v] - out[v].shift(1)
    return out[[x for x in out.columns if x != "coverage_note"] + ["coverage_note"]]


def series_in(counts: pd.DataFrame, series) -> list[str]:
    """The series of ``series`` that have texts in ``counts`` (in the order given)."""
    held = set(counts["series"].astype(str))
    return [s for s in series if s in held]


def group_table(counts: pd.DataFrame, texts: Sequence[str]) -> pd.DataFrame:
    """Compact table from :func:`vote_counts`: one row per scope (all members, each UN regional
    group, each bloc), one column per text (short symbol), cells "Y–N–A–X" (``?`` where a list
    is not complete), plus ``n``: the scope's members on the latest text."""
    c = counts[counts["text_id"].isin(list(texts))].copy()
    if c.empty:
        return pd.DataFrame(columns=["scope"])

    def cell(r) -> str:
        return "–".join("?" if pd.isna(r[k]) else str(int(r[k])) for k in ("Y", "N", "A", "X"))

    c["cell"] = [cell(r) for _, r in c.iterrows()]
    c["col"] = (
        c["name"]
        .str.replace("A/RES/", "", regex=False)
        .str.replace(" [symbol unconfirmed]", "*", regex=False)
    )
    order_cols = list(dict.fromkeys(c.sort_values(["date", "text_id"])["col"]))
    wide = c.pivot_table(
        index=["scope_type", "scope"], columns="col", values="cell", aggfunc="first"
    )
    wide = wide.reindex(columns=order_cols)
    n = c.sort_values("date").groupby(["scope_type", "scope"])["members"].last()
    wide.insert(0, "n", n)
    rank = {"all": 0, "regional group": 1, "bloc": 2}
    wide = wide.reset_index()
    wide = (
        wide.assign(_r=wide["scope_type"].map(rank))
        .sort_values(["_r", "scope"])
        .drop(columns=["_r", "scope_type"])
    )
    return wide.reset_index(drop=True).fillna("")
