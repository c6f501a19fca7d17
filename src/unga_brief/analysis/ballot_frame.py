"""The central frame: one row per text and per state entitled to vote on it, with the vote where
it is known and ``NA`` where it is not (the known-vote model of DESIGN §4).

Every frame-level function takes the tidy votes of :func:`unga_brief.data.votes.tidy_votes` and a
``firm_only`` flag. With ``firm_only=True`` the derived and news-named rows are dropped *and*
the vote lists they belonged to stop counting as complete, so that a finding can be checked on
``record`` + ``list`` votes alone. (Filtering the frame beforehand with
:func:`unga_brief.data.votes.firm_only` loses that bookkeeping: pass the whole frame and the flag.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from unga_brief.core.errors import DataError, ParameterError
from unga_brief.core.vocab import (
    FIRM_BASES,
    VOTE_CODES,
    VOTE_WORDS,
)
from unga_brief.data.catalog import text_label
from unga_brief.data.electorate import electorate_from_votes
from unga_brief.data.votes import TEXT_COLUMNS

_TEXT_COLUMNS = ["text_id", *TEXT_COLUMNS[1:]]  # as tidy_votes names them
_MEMBER_COLUMNS = ["un_name", "display_name", "un_regional_group", "group_short"]


# =============================================================================================
# Known votes
# =============================================================================================


def _expand(lists: set[str]) -> set[str]:
    """Three complete lists make the fourth complete too (every state left has that vote)."""
    return set(VOTE_CODES) if len(lists) >= 3 else lists


def _lists_str(lists: Iterable[str]) -> str:
    return "".join(c for c in VOTE_CODES if c in set(lists))


def ballots(
    votes: pd.DataFrame, *, electorate: pd.DataFrame | None = None, firm_only: bool = False
) -> pd.DataFrame:
    """One row per (text, state entitled to vote on it) with the vote where it is known.

    Columns: the text columns of ``tidy_votes`` (``coverage`` and ``complete_lists`` as
    catalogued), ``iso3``, ``vote`` (categorical Y/N/A/X, NA = unknown), ``basis`` (record,
    list, derived, named, ``inferred`` = the only vote left by the complete lists, or
    ``unknown``), ``possible`` (the votes still possible: one letter when known),
    ``known_lists`` (the lists complete in this frame, after ``firm_only``), ``source`` and the
    member columns. ``electorate`` (``text_id, iso3``) defaults to
    :func:`electorate_from_votes`.

    A frame that already is a ballots frame (:func:`is_ballots`) is returned as it is, so that
    a run computes it once and hands it to every measure (``votes=`` accepts either).
    """
    if is_ballots(votes):
        if bool(votes["firm_only"].iloc[0]) != firm_only:
            raise ParameterError(
                f"a ballots frame built with firm_only={not firm_only} was passed for firm_only={firm_only}"
            )
        return votes
    require_columns(votes, ["text_id", "iso3", "vote", "basis"] + _TEXT_COLUMNS[1:])
    texts = votes.drop_duplicates("text_id")[_TEXT_COLUMNS].reset_index(drop=True)
    el = electorate_from_votes(votes) if electorate is None else electorate
    el = el[el["text_id"].isin(texts["text_id"])][
        ["text_id", "iso3"] + [c for c in _MEMBER_COLUMNS if c in el.columns]
    ]
    complete = {}
    for t in texts.itertuples(index=False):
        cl = set(VOTE_CODES) if str(t.coverage) == "full" else set(str(t.complete_lists or ""))
        complete[t.text_id] = cl & set(VOTE_CODES)
    rows = votes.assign(vote=votes["vote"].astype(str), basis=votes["basis"].astype(str))
    dropped = pd.Series(0, index=texts["text_id"], name="firm_dropped")
    if firm_only:
        keep = rows["basis"].isin(FIRM_BASES)
        gone = rows[~keep]
        for (tid, v), _n in gone.groupby(["text_id", "vote"]).size().items():
            complete[tid].discard(v)
        dropped = (
            gone.groupby("text_id")
            .size()
            .reindex(texts["text_id"], fill_value=0)
            .rename("firm_dropped")
        )
        rows = rows[keep]
    grid = el[["text_id", "iso3"]].merge(
        rows[["text_id", "iso3", "vote", "basis"] + (["source"] if "source" in rows else [])],
        on=["text_id", "iso3"],
        how="outer",
        indicator=True,
    )
    stray = grid[grid["_merge"] == "right_only"]
    if len(stray):
        r = stray.iloc[0]
        raise DataError(
            f"{r['text_id']}: a vote for {r['iso3']}, who is not entitled to vote on it "
            f"({len(stray)} such row(s))"
        )
    grid = grid.drop(columns="_merge")
    grid["known_lists"] = grid["text_id"].map(
        {k: _lists_str(_expand(v)) for k, v in complete.items()}
    )
    missing = grid["vote"].isna()
    possible = grid["text_id"].map(
        {k: "".join(c for c in VOTE_CODES if c not in v) for k, v in complete.items()}
    )
    if (missing & (possible == "")).any():
        r = grid[missing & (possible == "")].iloc[0]
        raise DataError(f"{r['text_id']}: every list is complete but {r['iso3']} has no vote")
    inferred = missing & (possible.str.len() == 1)
    grid.loc[inferred, "vote"] = possible[inferred]
    grid.loc[inferred, "basis"] = "inferred"
    grid.loc[grid["vote"].isna(), "basis"] = "unknown"
    grid["possible"] = np.where(grid["vote"].isna(), possible, grid["vote"].fillna(""))
    grid["firm_dropped"] = grid["text_id"].map(dropped).fillna(0).astype(int)
    out = grid.merge(texts, on="text_id", how="left")
    attrs = _member_lookup(votes, el)
    out = out.merge(attrs, on="iso3", how="left")
    out["vote"] = pd.Categorical(out["vote"], categories=list(VOTE_CODES))
    out["firm_only"] = firm_only
    return out.sort_values(["date", "text_id", "iso3"], ignore_index=True)


def is_ballots(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` is a :func:`ballots` frame (rather than tidy votes)."""
    return "known_lists" in frame.columns and "firm_only" in frame.columns and len(frame) > 0


def _member_lookup(votes: pd.DataFrame, el: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in _MEMBER_COLUMNS if c in votes.columns]
    parts = []
    if all(c in el.columns for c in cols):
        parts.append(el[["iso3"] + cols])
    parts.append(votes[["iso3"] + cols])
    lk = pd.concat(parts, ignore_index=True)
    for c in cols:
        lk[c] = lk[c].astype(object)
    return lk.dropna(subset=cols[:1] if cols else None).drop_duplicates("iso3")


#: The columns :func:`text_status` reads.
STATUS_COLUMNS = (
    "text_id",
    "iso3",
    "vote",
    "symbol",
    "label",
    "date",
    "coverage",
    "known_lists",
    "firm_dropped",
)


def narrow(ballots_frame: pd.DataFrame, *extra: str) -> pd.DataFrame:
    """The frame with only the :data:`STATUS_COLUMNS` and ``extra`` (in its own column order):
    rows selected from it afterwards take a few columns, not every text and member column.
    (Not a ballots frame any more: narrow after :func:`ballots`, for a measure's own use.)"""
    keep = set(STATUS_COLUMNS) | set(extra)
    return ballots_frame[[c for c in ballots_frame.columns if c in keep]]


def text_status(ballots_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per text of a :func:`ballots` frame: ``text_id, name, date, coverage,
    known_lists, electorate, unknown, firm_dropped, status`` (a phrase for coverage notes)."""
    b = ballots_frame
    # The text columns are the same on every row of a text: its first row carries them; the
    # two counts come from one factorization of the text ids (no per-text Python aggregation).
    codes, uniques = pd.factorize(b["text_id"])  # in order of first appearance
    if (codes < 0).any():  # a row without a text id (not a ballots frame): as groupby does
        b, codes = b[codes >= 0], codes[codes >= 0]
    _, first = np.unique(codes, return_index=True)
    st = b.iloc[np.sort(first)][
        ["text_id", "symbol", "label", "date", "coverage", "known_lists", "firm_dropped"]
    ].reset_index(drop=True)
    size = np.bincount(codes, minlength=len(uniques))
    known = np.bincount(codes, weights=b["vote"].notna().to_numpy(), minlength=len(uniques))
    st["electorate"] = size
    st["unknown"] = size - known.astype(np.int64)
    records = st.to_dict("records")
    st["name"] = [text_label(r) for r in records]
    st["coverage"] = st["coverage"].astype(str)
    st["status"] = [
        _status_phrase({**r, "name": n, "coverage": c})
        for r, n, c in zip(records, st["name"], st["coverage"], strict=True)
    ]
    return st[
        [
            "text_id",
            "name",
            "date",
            "coverage",
            "known_lists",
            "electorate",
            "unknown",
            "firm_dropped",
            "status",
        ]
    ]


def _status_phrase(r: dict) -> str:
    bits = []
    kl = r["known_lists"]
    if kl == VOTE_CODES and r["unknown"] == 0:
        bits.append("full")
    else:
        lists = ", ".join(VOTE_WORDS[c] for c in kl)
        bits.append(
            f"{r['coverage'] if not r['firm_dropped'] else 'reduced'}: "
            + (f"complete lists {lists}" if kl else "no vote list complete")
            + f"; {r['unknown']} of {r['electorate']} votes unknown"
        )
    if r["firm_dropped"]:
        bits.append(f"{r['firm_dropped']} derived or news-named rows set aside")
    return f"{r['name']} ({'; '.join(bits)})"


def coverage_note(
    status: pd.DataFrame,
    used: Iterable[str],
    left_out: dict[str, str] | None = None,
    *,
    firm_only: bool = False,
    question: str = "",
) -> str:
    """One sentence or three: which texts were used with some votes unknown, which were left
    out and why, and whether only firm (record + list) votes were used."""
    used = list(dict.fromkeys(used))
    left_out = dict(left_out or {})
    # one record per text, read as plain values (not .loc lookups per text and column)
    cols = ["text_id", "name", "known_lists", "electorate", "unknown", "status"]
    st = {r["text_id"]: r for r in status[cols].to_dict("records")}
    for t in used:
        if t in st and st[t]["unknown"] == st[t]["electorate"] and t not in left_out:
            left_out[t] = why_unknown(status, t) + ", no vote known"
    used = [t for t in used if t not in left_out]
    partial = [
        st[t]["status"]
        for t in used
        if t in st and (st[t]["known_lists"] != VOTE_CODES or st[t]["unknown"] > 0)
    ]
    parts = []
    if partial:
        parts.append(f"Used with the unknown votes left out: {'; '.join(partial)}.")
    if left_out:
        what = f" of {question}" if question else ""
        parts.append(
            f"Left out{what}: "
            + "; ".join(f"{st[t]['name'] if t in st else t} — {why}" for t, why in left_out.items())
            + "."
        )
    if not partial:
        parts.insert(0, f"All {len(used)} texts used have every vote known.")
    if firm_only:
        parts.append("Firm votes only (record + list): derived and news-named rows set aside.")
    return " ".join(parts)


def require_columns(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(
            f"votes frame lacks columns {missing}; pass unga_brief.data.votes.tidy_votes()"
        )


def why_unknown(st: pd.DataFrame, tid: str) -> str:
    r = st.set_index("text_id").loc[tid]
    kl = r["known_lists"]
    why = (
        f"only the {', '.join(VOTE_WORDS[c] for c in kl)} list(s) complete"
        if kl
        else "no vote list complete"
    )
    if r["firm_dropped"]:
        return (
            f"{r['coverage']}, but {r['firm_dropped']} derived or news-named rows set aside: {why}"
        )
    return f"{r['coverage']}: {why}"
