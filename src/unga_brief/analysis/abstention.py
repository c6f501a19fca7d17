"""Counting by group: Yes, No, Abstain and non-voting per text and group, and the abstention
rates of DESIGN §4 compared across topics.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from unga_brief.analysis.ballot_frame import (
    ballots,
    coverage_note,
    narrow,
    text_status,
    why_unknown,
)
from unga_brief.analysis.definitions import abstention_rate
from unga_brief.analysis.membership import scope_membership
from unga_brief.analysis.text_selection import select_texts
from unga_brief.core.vocab import (
    VOTE_CODES,
)

# =============================================================================================
# Counting by group
# =============================================================================================


def group_counts(
    ballots_frame: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    blocs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per text and scope (all, UN regional group, bloc): ``members`` and the count of each
    vote ``Y, N, A, X`` (nullable; NA where that list is not complete on the text)."""
    # the rows of scope_membership with each one's vote and lists (as merging them on
    # text_id, iso3 with the frame would: its pairs are unique)
    m = scope_membership(ballots_frame, groups, blocs, carry=("vote", "known_lists"))
    keys = ["text_id", "scope_type", "scope"]
    size = m.groupby(keys, sort=False).agg(
        members=("iso3", "size"), known_lists=("known_lists", "first")
    )
    counts = (
        m.dropna(subset=["vote"])
        .groupby(keys + ["vote"], observed=True, sort=False)
        .size()
        .unstack("vote")
        .reindex(columns=list(VOTE_CODES))
    )
    out = size.join(counts, how="left").reset_index()
    for c in VOTE_CODES:
        vals = out[c].fillna(0).astype("Int64")
        out[c] = vals.where(out["known_lists"].str.contains(c), pd.NA)
    return out


# =============================================================================================
# Abstention comparison
# =============================================================================================


def group_abstention_rates(
    votes: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    *,
    texts: Sequence[str] | None = None,
    topic: str | None = None,
    blocs: Sequence[str] | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Abstention rate per text and group (all, UN regional group, bloc).

    Columns: ``text_id, name, date, topic, scope_type, scope, members, Y, N, A, X,
    present, abstention_rate, n`` (= present), ``non_voting`` (= X), ``coverage_note``. A text
    whose Abstain or Non-voting list is not complete is left out and named in the note.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts, topic=topic)
    b = narrow(b, "group_short", "topic")
    b = b[b["text_id"].isin(ids)]
    st = text_status(b)
    answerable = set(st.loc[st["known_lists"] == VOTE_CODES, "text_id"])
    left = {
        t: f"{why_unknown(st, t)}, so abstentions by group are unknown"
        for t in ids
        if t not in answerable
    }
    gc = group_counts(b[b["text_id"].isin(answerable)], groups, blocs)
    gc = gc.merge(st[["text_id", "name", "date"]], on="text_id").merge(
        b.drop_duplicates("text_id")[["text_id", "topic"]], on="text_id"
    )
    gc["present"] = (gc["Y"] + gc["N"] + gc["A"]).astype("Int64")
    gc["abstention_rate"] = [
        abstention_rate(y, n, a) for y, n, a in zip(gc["Y"], gc["N"], gc["A"], strict=True)
    ]
    gc["n"] = gc["present"]
    gc["non_voting"] = gc["X"]
    gc["coverage_note"] = coverage_note(
        st,
        [t for t in ids if t in answerable],
        left,
        firm_only=firm_only,
        question="abstention rates",
    )
    cols = [
        "text_id",
        "name",
        "date",
        "topic",
        "scope_type",
        "scope",
        "members",
        "Y",
        "N",
        "A",
        "X",
        "present",
        "abstention_rate",
        "n",
        "non_voting",
        "coverage_note",
    ]
    return gc[cols].sort_values(["date", "text_id", "scope_type", "scope"], ignore_index=True)


def abstention_by_topic(
    votes: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    *,
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    blocs: Sequence[str] | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Abstention rate of each group on the Ukraine texts and on the Gaza texts, side by side.

    Pooled over the texts where the group's abstentions are known: rate = Σ A ÷ Σ (Y + N + A).
    Columns: ``scope_type, scope`` then per topic ``{topic}_texts, {topic}_A, {topic}_n``
    (= present), ``{topic}_rate, {topic}_non_voting``, then ``difference`` (Ukraine − Gaza)
    and ``coverage_note``. Defaults: the GA texts of each topic from 2022 on.
    """
    parts, notes = [], []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        ids = select_texts(votes, sel, topic=topic, window=window, what=f"{topic} texts")
        r = group_abstention_rates(
            votes, groups, texts=ids, blocs=blocs, firm_only=firm_only, electorate=electorate
        )
        notes.append(
            f"{topic.capitalize()}: {r['coverage_note'].iloc[0]}"
            if len(r)
            else f"{topic.capitalize()}: no text with abstentions known."
        )
        agg = r.groupby(["scope_type", "scope"], sort=False).agg(
            texts=("text_id", "nunique"),
            A=("A", "sum"),
            n=("present", "sum"),
            non_voting=("X", "sum"),
        )
        agg["rate"] = agg["A"].astype(float) / agg["n"].astype(float).where(agg["n"] > 0)
        parts.append(agg.add_prefix(f"{topic}_"))
    out = parts[0].join(parts[1], how="outer").reset_index()
    out["difference"] = out["ukraine_rate"] - out["gaza_rate"]
    out["coverage_note"] = " ".join(notes)
    order = {"all": 0, "regional group": 1, "bloc": 2}
    return out.sort_values(
        ["scope_type", "scope"],
        key=lambda s: s.map(order) if s.name == "scope_type" else s,
        ignore_index=True,
    )
