"""Every definition of DESIGN §4 in one place, and the abstention comparison built on them.

The docstrings of the definition functions (``abstention_rate``, ``coincidence_votes_only``,
``coincidence_2017``, ``coincidence_2021``, ``agreement_index``, ``switch_kind``,
``vote_profile``, ``is_hedger``, ``is_reverse_hedger``, ``us_isolation_count``,
``group_membership_rule``, ``known_vote_rule``) are quoted verbatim in the briefing's
methodology section: :func:`definitions` returns them as a table.

Every frame-level function takes the tidy votes of :func:`unga_brief.data.votes.tidy_votes` and a
``firm_only`` flag. With ``firm_only=True`` the derived and news-named rows are dropped *and*
the vote lists they belonged to stop counting as complete, so that a finding can be checked on
``record`` + ``list`` votes alone. (Filtering the frame beforehand with
:func:`unga_brief.data.votes.firm_only` loses that bookkeeping: pass the whole frame and the flag.)

The central frame is :func:`ballots`: one row per text and per state entitled to vote on it,
with the vote where it is known and ``NA`` where it is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from unga_brief.core.errors import DataError, ParameterError, UnknownText
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import (
    COINCIDENCE_METHODS,
    FIRM_BASES,
    SET_KINDS,
    TOPICS,
    VOTE_CODES,
    VOTE_SCORE,
    VOTE_WORDS,
)
from unga_brief.data.catalog import text_label
from unga_brief.data.votes import TEXT_COLUMNS

_TEXT_COLUMNS = ["text_id", *TEXT_COLUMNS[1:]]  # as tidy_votes names them
_MEMBER_COLUMNS = ["un_name", "display_name", "un_regional_group", "group_short"]


# =============================================================================================
# Definitions (quoted verbatim in the methodology section)
# =============================================================================================


def known_vote_rule() -> str:
    """A state's vote on a text is known when the record names it, or when every other vote
    list of that text is complete so that only one vote is left for it. A count of Yes, No,
    Abstain or Non-voting is given only where that list is complete; otherwise it is unknown,
    never zero. A text known only in its official totals takes part in totals only."""
    return known_vote_rule.__doc__ or ""


def group_membership_rule() -> str:
    """A state counts in a group (UN regional group or bloc) on a text when it belongs to the
    group on the date of the vote. Suspended members still count as members. Saudi Arabia is
    not counted in BRICS, because its status is unclear. Bloc memberships before 2022 are not
    dated in the reference, so bloc figures start in 2022."""
    return group_membership_rule.__doc__ or ""


def abstention_rate(yes: float, no: float, abstain: float) -> float:
    """The abstention rate of a group on a text is its Abstain votes divided by the votes of
    its members present (Yes + No + Abstain). Non-voting is reported separately, never
    silently dropped. A text where the group's abstentions or non-voting are not known takes
    no part."""
    present = yes + no + abstain
    return float(abstain) / present if present else float("nan")


class Tally(NamedTuple):
    """How the votes of two states compare over a set of texts (both votes known)."""

    identical: int  # both Yes or both No
    both_abstain: int  # both Abstain
    opposite: int  # one Yes, the other No
    partial: int  # exactly one of the two abstained, the other voted Yes or No
    absent_vs_vote: int  # one non-voting, the other Yes or No
    absent_vs_abstain: int  # one non-voting, the other Abstain or non-voting
    unknown: int  # texts left out because either vote is unknown


def pair_tally(a: Iterable, b: Iterable) -> Tally:
    """Compare two aligned sequences of votes (Y, N, A, X; None/NA = unknown)."""
    counts = dict.fromkeys(Tally._fields, 0)
    for x, y in zip(_as_list(a), _as_list(b), strict=True):
        counts[pair_outcome(x, y)] += 1
    return Tally(**counts)


def pair_outcome(x, y) -> str:
    if (
        not isinstance(x, str)
        or not isinstance(y, str)
        or x not in VOTE_CODES
        or y not in VOTE_CODES
    ):
        return "unknown"
    if x == "X" or y == "X":
        other = y if x == "X" else x
        return "absent_vs_vote" if other in "YN" else "absent_vs_abstain"
    if x == y:
        return "both_abstain" if x == "A" else "identical"
    if "A" in (x, y):
        return "partial"
    return "opposite"


def _as_list(s) -> list:
    return [None if (v is None or (not isinstance(v, str) and pd.isna(v))) else str(v) for v in s]


def coincidence_from_counts(same: int, opposite: int, partial: int = 0) -> float:
    """(same + 0.5 × partial) ÷ (same + opposite + partial); NaN when nothing is counted."""
    n = same + opposite + partial
    return (same + 0.5 * partial) / n if n else float("nan")


def method_counts(t: Tally, method: str) -> dict:
    if method == "votes_only":
        same, opposite, partial = t.identical, t.opposite, 0
        excluded = t.both_abstain + t.partial + t.absent_vs_vote + t.absent_vs_abstain
    elif method == "state_2017":
        same, opposite, partial = t.identical + t.both_abstain, t.opposite, t.partial
        excluded = t.absent_vs_vote + t.absent_vs_abstain
    elif method == "state_2021":
        same = t.identical + t.both_abstain + t.absent_vs_abstain
        opposite, partial, excluded = t.opposite, t.partial + t.absent_vs_vote, 0
    else:
        raise ParameterError(
            f"unknown coincidence method {method!r}; known: {', '.join(COINCIDENCE_METHODS)}"
        )
    n = same + opposite + partial
    return {
        "method": method,
        "coincidence": coincidence_from_counts(same, opposite, partial),
        "n": n,
        "same": same,
        "opposite": opposite,
        "partial": partial,
        "excluded": excluded,
        "unknown": t.unknown,
    }


def coincidence_votes_only(a: Iterable, b: Iterable) -> pd.Series:
    """Coincidence, "votes only" method (State Department reports until 2016): identical Yes
    or No votes divided by identical plus opposite votes. Any text where either state
    abstained or did not vote is excluded. A text where either state's vote is unknown is
    left out. The figure is shown with its n, the number of texts counted."""
    return pd.Series(method_counts(pair_tally(a, b), "votes_only"))


def coincidence_2017(a: Iterable, b: Iterable) -> pd.Series:
    """Coincidence, 2017 method (State Department reports 2017–2020): (same + 0.5 × partial)
    divided by (same + opposite + partial). Same means both voted Yes, both No, or both
    abstained; partial means exactly one of the two abstained while the other voted Yes or
    No. Texts where either state did not vote are excluded. A text where either state's vote
    is unknown is left out. The figure is shown with its n, the number of texts counted."""
    return pd.Series(method_counts(pair_tally(a, b), "state_2017"))


def coincidence_2021(a: Iterable, b: Iterable) -> pd.Series:
    """Coincidence, 2021 method (State Department reports from 2021): as the 2017 method, but
    not voting is scored like an abstention (0.5 against a Yes or No, same against an
    abstention or another non-vote), and the total is divided by all texts on which both
    states' votes are known. A text where either state's vote is unknown is left out. The
    figure is shown with its n, the number of texts counted."""
    return pd.Series(method_counts(pair_tally(a, b), "state_2021"))


COINCIDENCE_FUNCTIONS = {
    "votes_only": coincidence_votes_only,
    "state_2017": coincidence_2017,
    "state_2021": coincidence_2021,
}


def agreement_index(a: Iterable, b: Iterable) -> pd.Series:
    """Agreement index between two states: each vote is scored Yes = 1, Abstain = 0.5, No = 0,
    and 1 − |a − b| is averaged over the texts where both voted (non-voting and unknown votes
    are left out). 1 means they always voted alike, 0 that they always voted opposite ways.
    The figure is shown with its n, the number of texts counted."""
    scores = agreement_scores(
        pd.Series(_as_list(a), dtype=object), pd.Series(_as_list(b), dtype=object)
    )
    n = int(scores.notna().sum())
    return pd.Series({"agreement": float(scores.mean()) if n else float("nan"), "n": n})


def agreement_scores(a: pd.Series, b: pd.Series) -> pd.Series:
    """Per aligned pair of votes, 1 − |score(a) − score(b)| (Yes = 1, Abstain = 0.5, No = 0);
    NaN where either did not vote or is unknown: the rule of :func:`agreement_index`, vectorised."""
    sa = a.astype(object).map(VOTE_SCORE).astype(float)
    sb = b.astype(object).map(VOTE_SCORE).astype(float)
    return 1 - (sa - sb).abs()


def switch_kind(previous: str | None, current: str | None) -> str | None:
    """Switch: a state's vote on a text differs from its vote on the previous text of the same
    series (texts ordered by date, then by symbol). A change between Yes, No and Abstain is a
    "vote change"; a change from one of them to non-voting is "to non-voting", and back is
    "from non-voting". Texts of different series are never compared, and a pair where either
    vote is unknown is not counted."""
    p, c = _as_list([previous, current])
    if p is None or c is None or p == c:
        return None
    if c == "X":
        return "to non-voting"
    if p == "X":
        return "from non-voting"
    return "vote change"


def vote_profile(yes: int, no: int, abstain: int) -> str:
    """A state's profile on a topic is the vote it cast on more than half of the texts of the
    topic where it voted and its vote is known (Yes, No or Abstain): "mostly Yes", "mostly No"
    or "mostly Abstain"; otherwise "mixed", or "no known vote". Non-voting is counted
    separately and is not part of the majority."""
    present = yes + no + abstain
    if present == 0:
        return "no known vote"
    for word, count in (("Yes", yes), ("No", no), ("Abstain", abstain)):
        if 2 * count > present:
            return f"mostly {word}"
    return "mixed"


def is_hedger(ukraine_abstain: int, ukraine_present: int, gaza_yes: int, gaza_present: int) -> bool:
    """Hedger: a state that abstained on more than half of the Ukraine texts in the window
    while voting Yes on more than half of the Gaza texts. Majorities are taken over the texts
    where the state's vote is known and it voted (Yes, No or Abstain); non-voting is counted
    separately."""
    return bool(2 * ukraine_abstain > ukraine_present > 0 and 2 * gaza_yes > gaza_present > 0)


def is_reverse_hedger(
    ukraine_yes: int, ukraine_present: int, gaza_abstain: int, gaza_present: int
) -> bool:
    """Reverse group: a state that voted Yes on more than half of the Ukraine texts in the
    window while abstaining on more than half of the Gaza texts, with majorities taken as for
    hedgers."""
    return bool(2 * ukraine_yes > ukraine_present > 0 and 2 * gaza_abstain > gaza_present > 0)


def us_isolation_count(us_vote: str, others: Iterable) -> int:
    """US isolation on a text: the number of other states that voted as the United States did
    (Yes, No, Abstain or Non-voting alike). It is exact only where the list of the US vote is
    complete; otherwise it is a lower bound and is shown as such."""
    return sum(1 for v in _as_list(others) if v is not None and v == us_vote)


def share_rule() -> str:
    """A share is a count divided by the number of states of the group entitled to vote on the
    text (n, shown beside it); it is unknown wherever the count is unknown."""
    return share_rule.__doc__ or ""


_DEFINITIONS = [
    ("Known vote", known_vote_rule),
    ("Group membership", group_membership_rule),
    ("Share", share_rule),
    ("Abstention rate", abstention_rate),
    ("Coincidence (votes only, until 2016)", coincidence_votes_only),
    ("Coincidence (2017–2020 method)", coincidence_2017),
    ("Coincidence (2021 method)", coincidence_2021),
    ("Agreement index", agreement_index),
    ("US isolation", us_isolation_count),
    ("Switch", switch_kind),
    ("Profile", vote_profile),
    ("Hedger", is_hedger),
    ("Reverse group", is_reverse_hedger),
]


def definitions() -> pd.DataFrame:
    """The definitions as the methodology section quotes them: ``term, definition, function``."""
    from unga_brief.analysis import agreement, baselines, movement, thresholds, weights

    extra = [
        ("Majority rule", thresholds.majority_rule),
        ("Pivot", thresholds.pivot_size),
        *weights.DEFINITIONS,
        *baselines.DEFINITIONS,
        *agreement.DEFINITIONS,
        *movement.DEFINITIONS,
    ]
    # the first paragraph of each docstring is the definition (the rest documents columns)
    rows = [
        (term, " ".join((fn.__doc__ or "").split("\n\n")[0].split()), fn.__name__)
        for term, fn in [*_DEFINITIONS, *extra]
    ]
    return pd.DataFrame(rows, columns=["term", "definition", "function"])


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


def bloc_membership(
    groups: pd.DataFrame, texts: pd.DataFrame, blocs: Sequence[str]
) -> pd.DataFrame:
    """``text_id, group, iso3``: who belongs to each bloc on each text's date (``texts`` has
    ``text_id`` or ``id``, and ``date``), vectorised. A membership counts from its ``since`` to
    its ``until`` (either blank = open). Where ``groups`` carries ``dated_from`` (the day from
    which the reference dates memberships), texts before it get no bloc rows (DESIGN §4)."""
    blocs = list(blocs)
    unknown = sorted(set(blocs) - set(groups["group"]))
    if unknown:
        raise ParameterError(
            f"unknown group(s) {', '.join(unknown)}; known: {', '.join(sorted(set(groups['group'])))}"
        )
    t = texts.rename(columns={"id": "text_id"})[["text_id", "date"]].drop_duplicates("text_id")
    t = t.assign(_d=pd.to_datetime(t["date"]).dt.strftime("%Y-%m-%d"))
    cols = ["group", "iso3", "since", "until"] + (["dated_from"] if "dated_from" in groups else [])
    g = groups[groups["group"].isin(blocs)][cols].copy()
    for c in cols[2:]:
        g[c] = g[c].fillna("").astype(str)
    m = t.merge(g, how="cross")
    ok = ((m["since"] == "") | (m["since"] <= m["_d"])) & (
        (m["until"] == "") | (m["until"] >= m["_d"])
    )
    if "dated_from" in m:
        ok &= (m["dated_from"] == "") | (m["dated_from"] <= m["_d"])
    return (
        m.loc[ok, ["text_id", "group", "iso3"]]
        .drop_duplicates()
        .sort_values(["text_id", "group", "iso3"], ignore_index=True)
    )


def undated_texts(groups: pd.DataFrame | None, texts: pd.DataFrame) -> list[str]:
    """The texts dated before the reference dates group memberships (no bloc figures)."""
    if groups is None or "dated_from" not in groups or groups.empty:
        return []
    start = pd.Timestamp(str(groups["dated_from"].iloc[0]))
    t = texts.rename(columns={"id": "text_id"}).drop_duplicates("text_id")
    return sorted(t.loc[pd.to_datetime(t["date"]) < start, "text_id"])


def scope_membership(
    ballots_frame: pd.DataFrame, groups: pd.DataFrame | None, blocs: Sequence[str] | None = None
) -> pd.DataFrame:
    """``text_id, scope_type, scope, iso3``: all states, each UN regional group, and each bloc
    (membership on the text's date; see :func:`bloc_membership`) among those entitled to vote
    on the text. ``blocs=None`` takes every group in ``groups``."""
    b = ballots_frame[["text_id", "iso3", "group_short", "date"]]
    parts = [
        b.assign(scope_type="all", scope="All members")[["text_id", "scope_type", "scope", "iso3"]],
        b.assign(scope_type="regional group", scope=b["group_short"].astype(str))[
            ["text_id", "scope_type", "scope", "iso3"]
        ],
    ]
    if groups is not None and blocs is None:
        blocs = sorted(set(groups["group"]))
    if groups is not None and len(blocs):
        texts = b.drop_duplicates("text_id")
        bm = bloc_membership(groups, texts, blocs)
        bm = bm.merge(b[["text_id", "iso3"]], on=["text_id", "iso3"], how="inner")
        parts.append(
            bm.rename(columns={"group": "scope"}).assign(scope_type="bloc")[
                ["text_id", "scope_type", "scope", "iso3"]
            ]
        )
    return pd.concat(parts, ignore_index=True)


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
    _require(votes, ["text_id", "iso3", "vote", "basis"] + _TEXT_COLUMNS[1:])
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


def text_status(ballots_frame: pd.DataFrame) -> pd.DataFrame:
    """One row per text of a :func:`ballots` frame: ``text_id, name, date, coverage,
    known_lists, electorate, unknown, firm_dropped, status`` (a phrase for coverage notes)."""
    b = ballots_frame
    g = b.groupby("text_id", sort=False)
    st = g.agg(
        symbol=("symbol", "first"),
        label=("label", "first"),
        date=("date", "first"),
        coverage=("coverage", "first"),
        known_lists=("known_lists", "first"),
        firm_dropped=("firm_dropped", "first"),
        electorate=("iso3", "size"),
        unknown=("vote", lambda s: int(s.isna().sum())),
    ).reset_index()
    st["name"] = [text_label(r) for r in st.to_dict("records")]
    st["coverage"] = st["coverage"].astype(str)
    st["status"] = [_status_phrase(r) for r in st.to_dict("records")]
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
    st = status.set_index("text_id")
    for t in used:
        if t in st.index and st.loc[t, "unknown"] == st.loc[t, "electorate"] and t not in left_out:
            left_out[t] = _why_not(status, t) + ", no vote known"
    used = [t for t in used if t not in left_out]
    partial = [
        st.loc[t, "status"]
        for t in used
        if t in st.index and (st.loc[t, "known_lists"] != VOTE_CODES or st.loc[t, "unknown"] > 0)
    ]
    parts = []
    if partial:
        parts.append(f"Used with the unknown votes left out: {'; '.join(partial)}.")
    if left_out:
        what = f" of {question}" if question else ""
        parts.append(
            f"Left out{what}: "
            + "; ".join(
                f"{st.loc[t, 'name'] if t in st.index else t} — {why}"
                for t, why in left_out.items()
            )
            + "."
        )
    if not partial:
        parts.insert(0, f"All {len(used)} texts used have every vote known.")
    if firm_only:
        parts.append("Firm votes only (record + list): derived and news-named rows set aside.")
    return " ".join(parts)


# =============================================================================================
# Choosing texts
# =============================================================================================


def topic_texts(votes_or_catalog: pd.DataFrame, topic: str | None = None) -> list[str]:
    """Every GA resolution and decision of a topic (both topics with ``topic=None``) held in
    the frame, ordered by date then symbol. The briefing's default sets are chosen from the
    catalogue by :func:`unga_brief.report.params.default_texts`; this is the frame-level default."""
    if topic is not None and topic not in TOPICS:
        raise ParameterError(f"unknown topic {topic!r}; known: {', '.join(TOPICS)}")
    t = _texts_frame(votes_or_catalog)
    ok = (t["body"].astype(str) == "GA") & t["kind"].astype(str).isin(SET_KINDS)
    ok &= t["topic"].astype(str).isin([topic] if topic else TOPICS)
    return order_texts(t[ok])["text_id"].tolist()


def select_texts(
    votes_or_catalog: pd.DataFrame,
    texts: Sequence[str] | None,
    *,
    topic: str | None = None,
    window: tuple | None = None,
    catalog: pd.DataFrame | None = None,
    what: str = "texts",
) -> list[str]:
    """Check and order a list of text ids (default: :func:`topic_texts` of ``topic``), keep
    those dated inside ``window`` (``(start, end)``, inclusive, either may be None). Unknown
    ids raise ``UnknownText``; an empty result raises ``ParameterError``."""
    t = _texts_frame(votes_or_catalog)
    known = set(t["text_id"]) | (set(catalog["id"]) if catalog is not None else set())
    if texts is None:
        ids = order_texts(t)["text_id"].tolist() if topic is None else topic_texts(t, topic)
    else:
        ids = list(dict.fromkeys(texts))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UnknownText(
                f"unknown {what}: {', '.join(unknown)} (see data/catalog/catalog.csv)"
            )
    if window is not None:
        start, end = (pd.Timestamp(w) if w is not None else None for w in window)
        dates = dict(zip(t["text_id"], t["date"], strict=True))
        if catalog is not None:
            dates = {**dict(zip(catalog["id"], catalog["date"], strict=True)), **dates}
        ids = [
            i
            for i in ids
            if (start is None or dates[i] >= start) and (end is None or dates[i] <= end)
        ]
    if not ids:
        raise ParameterError(f"no {what} selected (topic {topic!r}, window {window!r})")
    return ids


def _texts_frame(df: pd.DataFrame) -> pd.DataFrame:
    t = df.rename(columns={"id": "text_id"}) if "text_id" not in df.columns else df
    return t.drop_duplicates("text_id")


def _natural(name: str) -> tuple:
    """'A/RES/ES-11/10' after 'A/RES/ES-11/9': digits compare as numbers."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p
    )


def order_texts(texts: pd.DataFrame) -> pd.DataFrame:
    """Texts ordered by date, then by symbol (natural order; the label where no symbol)."""
    recs = texts.to_dict("records")
    idx = sorted(
        range(len(recs)),
        key=lambda i: (pd.Timestamp(recs[i]["date"]), _natural(text_label(recs[i]))),
    )
    return texts.iloc[idx]


def _require(df: pd.DataFrame, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ParameterError(
            f"votes frame lacks columns {missing}; pass unga_brief.data.votes.tidy_votes()"
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
    sm = scope_membership(ballots_frame, groups, blocs)
    b = ballots_frame[["text_id", "iso3", "vote", "known_lists"]]
    m = sm.merge(b, on=["text_id", "iso3"], how="inner")
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
    b = b[b["text_id"].isin(ids)]
    st = text_status(b)
    answerable = set(st.loc[st["known_lists"] == VOTE_CODES, "text_id"])
    left = {
        t: f"{_why_not(st, t)}, so abstentions by group are unknown"
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


def _why_not(st: pd.DataFrame, tid: str) -> str:
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


def country_profiles(
    votes: pd.DataFrame,
    *,
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each state's votes on the Ukraine texts and on the Gaza texts (default: every GA
    resolution and decision of each topic in the frame, :func:`topic_texts`).

    One row per (state, topic): ``iso3, display_name, group_short, topic, texts, known,
    unknown, Y, N, A, X, present`` (Y + N + A), ``rate_Y, rate_N, rate_A`` (÷ present),
    ``rate_X`` (÷ known), ``profile`` (:func:`vote_profile`), ``coverage_note``.
    """
    b_all = ballots(votes, electorate=electorate, firm_only=firm_only)
    out = []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        ids = select_texts(b_all, sel, topic=topic, window=window, what=f"{topic} texts")
        b = b_all[b_all["text_id"].isin(ids)]
        st = text_status(b)
        note = coverage_note(st, ids, firm_only=firm_only)
        counts = (
            b.dropna(subset=["vote"])
            .groupby(["iso3", "vote"], observed=False)
            .size()
            .unstack("vote")
            .reindex(columns=list(VOTE_CODES), fill_value=0)
        )
        base = b.groupby("iso3").agg(
            display_name=("display_name", "first"),
            group_short=("group_short", "first"),
            texts=("text_id", "nunique"),
            unknown=("vote", lambda s: int(s.isna().sum())),
        )
        p = base.join(counts, how="left").fillna({c: 0 for c in VOTE_CODES}).reset_index()
        for c in VOTE_CODES:
            p[c] = p[c].astype(int)
        p["known"] = p[list(VOTE_CODES)].sum(axis=1)
        p["present"] = p["Y"] + p["N"] + p["A"]
        for c in "YNA":
            p[f"rate_{c}"] = p[c] / p["present"].where(p["present"] > 0)
        p["rate_X"] = p["X"] / p["known"].where(p["known"] > 0)
        p["profile"] = [
            vote_profile(y, n, a) for y, n, a in zip(p["Y"], p["N"], p["A"], strict=True)
        ]
        p["topic"] = topic
        p["coverage_note"] = note
        out.append(p)
    cols = [
        "iso3",
        "display_name",
        "group_short",
        "topic",
        "texts",
        "known",
        "unknown",
        "Y",
        "N",
        "A",
        "X",
        "present",
        "rate_Y",
        "rate_N",
        "rate_A",
        "rate_X",
        "profile",
        "coverage_note",
    ]
    return pd.concat(out, ignore_index=True)[cols].sort_values(["iso3", "topic"], ignore_index=True)


def _profiles_wide(profiles: pd.DataFrame) -> pd.DataFrame:
    cols = ["Y", "N", "A", "X", "present", "known", "profile"]
    w = profiles.pivot(index="iso3", columns="topic", values=cols)
    w.columns = [f"{t}_{c}" for c, t in w.columns]
    names = profiles.drop_duplicates("iso3").set_index("iso3")[["display_name", "group_short"]]
    return names.join(w).reset_index()


def profile_crosstab(profiles: pd.DataFrame) -> pd.DataFrame:
    """Cross-tab of the Ukraine profile × the Gaza profile, with the states named in each cell.

    Columns: ``ukraine_profile, gaza_profile, states`` (how many), ``names`` (display names,
    alphabetical), ``iso3`` (codes), ``coverage_note``.
    """
    w = _profiles_wide(profiles)
    out = (
        w.sort_values("display_name")
        .groupby(["ukraine_profile", "gaza_profile"])
        .agg(states=("iso3", "size"), names=("display_name", ", ".join), iso3=("iso3", " ".join))
        .reset_index()
        .sort_values("states", ascending=False, ignore_index=True)
    )
    out["coverage_note"] = " ".join(
        profiles.drop_duplicates("topic").apply(
            lambda r: f"{r['topic'].capitalize()}: {r['coverage_note']}", axis=1
        )
    )
    return out


def hedgers(profiles: pd.DataFrame) -> pd.DataFrame:
    """The hedgers (:func:`is_hedger`) and the reverse group (:func:`is_reverse_hedger`).

    Columns: ``group`` (hedger | reverse), ``iso3, display_name, group_short``, then per topic
    ``{topic}_Y, {topic}_N, {topic}_A, {topic}_X, {topic}_present`` (n for the majority),
    ``{topic}_known``, and ``coverage_note``.
    """
    w = _profiles_wide(profiles)
    h = [
        is_hedger(a, pa, y, pg)
        for a, pa, y, pg in zip(
            w["ukraine_A"], w["ukraine_present"], w["gaza_Y"], w["gaza_present"], strict=True
        )
    ]
    r = [
        is_reverse_hedger(y, pa, a, pg)
        for y, pa, a, pg in zip(
            w["ukraine_Y"], w["ukraine_present"], w["gaza_A"], w["gaza_present"], strict=True
        )
    ]
    w["group"] = np.select(
        [np.array(h, dtype=bool), np.array(r, dtype=bool)], ["hedger", "reverse"], default=""
    )
    cols = ["group", "iso3", "display_name", "group_short"] + [
        f"{t}_{c}" for t in TOPICS for c in ("Y", "N", "A", "X", "present", "known")
    ]
    out = w[w["group"] != ""][cols].sort_values(["group", "display_name"], ignore_index=True)
    out["coverage_note"] = " ".join(
        profiles.drop_duplicates("topic").apply(
            lambda r: f"{r['topic'].capitalize()}: {r['coverage_note']}", axis=1
        )
    )
    return out


def switches(
    votes: pd.DataFrame,
    *,
    series: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every switch (:func:`switch_kind`) between successive texts of a series.

    Texts: those of ``series`` (default: every series), narrowed to ``texts`` and to
    ``window`` (``(start, end)``, inclusive) if given; within a series they are ordered by date, then symbol. Columns: ``series,
    from_text, to_text, from_name, to_name, from_date, to_date, iso3, display_name,
    group_short, from_vote, to_vote, change`` (e.g. "Y→A"), ``kind``, ``coverage_note`` (which
    successive pairs had unknown votes, and how many states were not compared).
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    t = _texts_frame(b)
    if texts is not None or window is not None:
        ids = select_texts(b, texts, window=window)
        t = t[t["text_id"].isin(ids)]
    if series is not None:
        unknown = sorted(set(series) - set(t["series"].astype(str)))
        if unknown:
            raise ParameterError(f"unknown series: {', '.join(unknown)}")
        t = t[t["series"].astype(str).isin(series)]
    st = text_status(b[b["text_id"].isin(t["text_id"])])
    names = st.set_index("text_id")["name"]
    out, notes = [], []
    v = b.pivot(index="iso3", columns="text_id", values="vote")
    attrs = b.drop_duplicates("iso3").set_index("iso3")[["display_name", "group_short"]]
    for s, ts in order_texts(t).groupby(t["series"].astype(str), sort=True):
        ts = order_texts(ts)
        ids = ts["text_id"].tolist()
        dates = dict(zip(ts["text_id"], ts["date"], strict=True))
        for prev, cur in zip(ids, ids[1:], strict=False):
            both = b[b["text_id"].isin([prev, cur])]
            eligible = set(both.loc[both["text_id"] == prev, "iso3"]) & set(
                both.loc[both["text_id"] == cur, "iso3"]
            )
            a, c = v.loc[sorted(eligible), prev], v.loc[sorted(eligible), cur]
            unknown = int((a.isna() | c.isna()).sum())
            if unknown:
                notes.append(
                    f"{names[prev]} → {names[cur]}: {unknown} states not compared (vote unknown)"
                )
            for iso3 in sorted(eligible):
                kind = switch_kind(a[iso3], c[iso3])
                if kind:
                    out.append(
                        {
                            "series": s,
                            "from_text": prev,
                            "to_text": cur,
                            "from_name": names[prev],
                            "to_name": names[cur],
                            "from_date": dates[prev],
                            "to_date": dates[cur],
                            "iso3": iso3,
                            "display_name": attrs.loc[iso3, "display_name"],
                            "group_short": attrs.loc[iso3, "group_short"],
                            "from_vote": a[iso3],
                            "to_vote": c[iso3],
                            "change": f"{a[iso3]}→{c[iso3]}",
                            "kind": kind,
                        }
                    )
    cols = [
        "series",
        "from_text",
        "to_text",
        "from_name",
        "to_name",
        "from_date",
        "to_date",
        "iso3",
        "display_name",
        "group_short",
        "from_vote",
        "to_vote",
        "change",
        "kind",
    ]
    df = pd.DataFrame(out, columns=cols)
    note = (
        ("; ".join(notes) + ".")
        if notes
        else "Every state's vote is known on every successive pair."
    )
    if firm_only:
        note += " Firm votes only (record + list): derived and news-named rows set aside."
    df["coverage_note"] = note
    return df


def switch_summary(switch_frame: pd.DataFrame) -> pd.DataFrame:
    """Switches counted per successive pair and change: ``series, from_text, to_text,
    from_name, to_name, change, kind, states`` (how many), ``names``, ``coverage_note``;
    largest first."""
    keys = ["series", "from_text", "to_text", "from_name", "to_name", "change", "kind"]
    if switch_frame.empty:
        return pd.DataFrame(columns=keys + ["states", "names", "coverage_note"])
    out = (
        switch_frame.sort_values("display_name")
        .groupby(keys, sort=False)
        .agg(states=("iso3", "size"), names=("display_name", ", ".join))
        .reset_index()
    )
    out["coverage_note"] = switch_frame["coverage_note"].iloc[0]
    return out.sort_values(
        ["states", "series", "from_text"], ascending=[False, True, True], ignore_index=True
    )


# =============================================================================================
# Loading
# =============================================================================================


@dataclass(frozen=True)
class AnalysisInputs:
    """The frames every analysis function needs, read once."""

    votes: pd.DataFrame
    catalog: pd.DataFrame
    groups: pd.DataFrame
    electorate: pd.DataFrame


def load_inputs(paths: Paths | None = None) -> AnalysisInputs:
    """The frames of :func:`unga_brief.data.frames.load_frames` that the measures need."""
    from unga_brief.data.frames import load_frames

    f = load_frames(paths or Paths.default())
    return AnalysisInputs(
        votes=f.votes, catalog=f.catalog, groups=f.groups, electorate=f.electorate
    )
