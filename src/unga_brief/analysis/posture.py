"""Where the United States stands (DESIGN §1, question 3).

* :func:`us_votes` — the US vote on every text, GA and SC, vetoes marked from the catalogue.
* :func:`us_isolation` — on each text, how many other states voted as the US did.
* :func:`coincidence_with_us` — every state's coincidence with the US by topic and year under
  the three State Department methods (:func:`~unga_brief.analysis.definitions.coincidence_votes_only`,
  :func:`~unga_brief.analysis.definitions.coincidence_2017`, :func:`~unga_brief.analysis.definitions.coincidence_2021`).
* :func:`agreement_with_us` — the agreement index of the US with the EU, G7 and NATO (members'
  mean, membership on the vote's date, the US itself left out), Russia and China.
* :func:`us_with_russia` — the texts where the US and Russia cast the same vote.
* :func:`amendment_positions` — the states known to have voted on an amendment (default: the
  2026 US amendment), from the rows.

Every rate carries its n and method; every frame carries a ``coverage_note``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, coverage_note, narrow, text_status
from unga_brief.analysis.definitions import (
    Tally,
    agreement_scores,
    coincidence_2017,
    coincidence_2021,
    coincidence_votes_only,
    method_counts,
    pair_outcome,
    us_isolation_count,
)
from unga_brief.analysis.membership import bloc_membership, undated_texts
from unga_brief.analysis.text_selection import order_texts, select_texts, topic_texts
from unga_brief.core.errors import ParameterError, UnknownCountry, UnknownText
from unga_brief.core.vocab import COINCIDENCE_METHODS, OFFICIAL_COLUMNS, US, VOTE_CODES, VOTE_WORDS
from unga_brief.data.catalog import text_label

__all__ = [
    "us_votes",
    "us_isolation",
    "coincidence_with_us",
    "agreement_with_us",
    "us_with_russia",
    "amendment_positions",
    "coincidence_votes_only",
    "coincidence_2017",
    "coincidence_2021",
]

_INFO = ["text_id", "name", "date", "body", "kind", "topic", "series", "short_title"]


def _info(b: pd.DataFrame, st: pd.DataFrame) -> pd.DataFrame:
    t = b.drop_duplicates("text_id")[
        [
            "text_id",
            "date",
            "body",
            "kind",
            "topic",
            "series",
            "short_title",
            "adopted",
            "vetoed_by",
            "coverage",
        ]
    ]
    t = t.merge(st[["text_id", "name", "known_lists", "status"]], on="text_id")
    for c in ("body", "kind", "topic", "series", "coverage"):
        t[c] = t[c].astype(str)
    return t


def us_votes(
    votes: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    *,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The US vote on every text, GA and SC, ordered by date then symbol.

    Columns: ``text_id, name, date, body, kind, topic, series, short_title, us_vote`` (NA =
    unknown), ``basis, adopted, vetoed_by, us_veto`` (the US vote defeated an SC text),
    ``vetoed`` (any permanent member's), ``coverage, coverage_note``. With a ``catalog``, texts
    known only in totals are listed with the US vote unknown.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    st = text_status(b)
    u = b[b["iso3"] == US][["text_id", "vote", "basis"]].rename(columns={"vote": "us_vote"})
    out = _info(b, st).merge(u, on="text_id", how="left")
    out["coverage_note"] = out["status"]
    if catalog is not None:
        extra = catalog[~catalog["id"].isin(out["text_id"])].rename(columns={"id": "text_id"})
        if len(extra):
            extra = extra.assign(
                name=[text_label(r) for r in extra.to_dict("records")],
                us_vote=pd.NA,
                basis="unknown",
            )
            extra["coverage_note"] = extra["name"] + " (official totals only; no country rows)"
            extra["coverage"] = extra["coverage"].astype(str)
            out = pd.concat(
                [out, extra[[c for c in out.columns if c in extra.columns]]], ignore_index=True
            )
    vb = out["vetoed_by"].fillna("").astype(str)
    out["us_veto"] = vb.str.split().apply(lambda s: US in s)
    out["vetoed"] = vb.str.strip() != ""
    out["us_vote"] = pd.Categorical(out["us_vote"], categories=list(VOTE_CODES))
    cols = _INFO + [
        "us_vote",
        "basis",
        "adopted",
        "vetoed_by",
        "us_veto",
        "vetoed",
        "coverage",
        "coverage_note",
    ]
    return order_texts(out)[cols].reset_index(drop=True)


def us_isolation(
    votes: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    *,
    texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """US isolation (:func:`~unga_brief.analysis.definitions.us_isolation_count`) on every text where the US
    vote is known.

    Texts: all in the frame, or ``texts``, kept inside ``window`` if given.
    Columns: ``text_id, name, date, body, topic, us_vote, others`` (n: other states entitled
    to vote), ``same_as_us`` (exact count, NA when the US vote's list is not complete),
    ``same_as_us_at_least`` (states known to have voted so), ``exact``, ``count_source``
    (country rows | official totals), ``share_same`` (same_as_us ÷ others), ``coverage_note``.
    Where the list is incomplete but a ``catalog`` gives the official count of the US vote,
    the exact count is that total minus the US.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    if texts is not None or window is not None:
        b = b[b["text_id"].isin(select_texts(b, texts, window=window))]
    st = text_status(b)
    info = _info(b, st).set_index("text_id")
    official = catalog.set_index("id") if catalog is not None else None
    # Each text's US vote and the others' votes, read once as plain values (in the order of
    # the texts' first rows, as groupby(sort=False) gives them).
    us_of: dict = {}
    others_of: dict = {}
    cols = (b[c].astype(object).tolist() for c in ("text_id", "iso3", "vote"))
    for tid, iso3, vote in zip(*cols, strict=True):
        if not isinstance(tid, str) and pd.isna(tid):
            continue
        others = others_of.setdefault(tid, [])
        if iso3 == US:
            us_of.setdefault(tid, vote)
        else:
            others.append(vote)
    lists = dict(zip(info.index, info["known_lists"], strict=True))
    status = dict(zip(info.index, info["status"], strict=True))
    rows = []
    for tid, others in others_of.items():
        v = us_of.get(tid)
        if v is None or pd.isna(v):
            continue
        v = str(v)
        at_least = us_isolation_count(v, others)
        exact = v in lists[tid]
        same, source, note = (at_least if exact else pd.NA), "country rows", status[tid]
        if not exact and official is not None and pd.notna(official.loc[tid, OFFICIAL_COLUMNS[v]]):
            same, exact, source = (
                int(official.loc[tid, OFFICIAL_COLUMNS[v]]) - 1,
                True,
                "official totals",
            )
            note += f"; the count is the official {VOTE_WORDS[v]} total minus the US"
        elif not exact:
            note += "; only a lower bound is known (the list of the US vote is incomplete)"
        rows.append(
            {
                "text_id": tid,
                "us_vote": v,
                "others": len(others),
                "same_as_us_at_least": at_least,
                "same_as_us": same,
                "exact": exact,
                "count_source": source,
                "coverage_note": note,
            }
        )
    out = pd.DataFrame(rows).merge(
        info.reset_index()[["text_id", "name", "date", "body", "topic"]], on="text_id"
    )
    out["same_as_us"] = out["same_as_us"].astype("Int64")
    out["share_same"] = out["same_as_us"].astype("Float64") / out["others"]
    if firm_only:
        out["coverage_note"] += "; firm votes only (record + list)"
    cols = [
        "text_id",
        "name",
        "date",
        "body",
        "topic",
        "us_vote",
        "others",
        "same_as_us",
        "same_as_us_at_least",
        "exact",
        "count_source",
        "share_same",
        "coverage_note",
    ]
    return order_texts(out)[cols].reset_index(drop=True)


def _pairs_with_us(b: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    b = b[["text_id", "iso3", "vote", "date", "topic"]]  # what the pairs are read for
    b = b[b["text_id"].isin(ids)]
    us = b[b["iso3"] == US][["text_id", "vote"]].rename(columns={"vote": "us_vote"})
    if us.empty:
        raise UnknownCountry(
            "the United States (USA) is not among the voters of the selected texts"
        )
    p = b[b["iso3"] != US].merge(us, on="text_id", how="inner")
    p["year"] = p["date"].dt.year
    p["outcome"] = [
        pair_outcome(None if pd.isna(x) else str(x), None if pd.isna(y) else str(y))
        for x, y in zip(
            p["vote"].astype(object).tolist(), p["us_vote"].astype(object).tolist(), strict=True
        )
    ]
    return p


def _by_keys(by: Sequence[str]) -> list[str]:
    bad = sorted(set(by) - {"topic", "year"})
    if bad:
        raise ParameterError(f"cannot group by {bad}; use 'topic' and/or 'year'")
    return [k for k in ("topic", "year") if k in by]


def _cell_notes(b: pd.DataFrame, ids: list[str], keys: list[str], firm_only: bool) -> dict:
    b = narrow(b, "topic")
    t = (
        b[b["text_id"].isin(ids)]
        .drop_duplicates("text_id")
        .assign(year=lambda d: d["date"].dt.year)
    )
    t["topic"] = t["topic"].astype(str)
    st = text_status(b[b["text_id"].isin(ids)])
    notes = {}
    for key, g in t.groupby(keys) if keys else [((), t)]:
        key = key if isinstance(key, tuple) else (key,)
        notes[key] = coverage_note(st, g["text_id"].tolist(), firm_only=firm_only)
    return notes


def coincidence_with_us(
    votes: pd.DataFrame,
    *,
    methods: Sequence[str] = COINCIDENCE_METHODS,
    by: Sequence[str] = ("topic", "year"),
    texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coincidence of every state with the US, per method and per cell of ``by`` (``topic``,
    ``year``, both or neither).

    Default texts: the GA resolutions and decisions of both topics from 2022 on, kept inside
    ``window`` (``(start, end)``, inclusive) if given. Columns:
    ``iso3, display_name, group_short, topic, year`` (as grouped), ``method, coincidence, n,
    same, opposite, partial, excluded`` (texts the method sets aside), ``unknown`` (texts left
    out because either vote is unknown), ``coverage_note``.
    """
    bad = sorted(set(methods) - set(COINCIDENCE_METHODS))
    if bad:
        raise ParameterError(
            f"unknown coincidence method(s) {bad}; known: {', '.join(COINCIDENCE_METHODS)}"
        )
    keys = _by_keys(by)
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts if texts is not None else topic_texts(b), window=window)
    p = _pairs_with_us(b, ids)
    p["topic"] = p["topic"].astype(str)
    tally = (
        p.groupby(["iso3"] + keys + ["outcome"])
        .size()
        .unstack("outcome")
        .reindex(columns=list(Tally._fields), fill_value=0)
        .fillna(0)
        .astype(int)
    )
    attrs = b.drop_duplicates("iso3").set_index("iso3")[["display_name", "group_short"]]
    notes = _cell_notes(b, ids, keys, firm_only)
    rows = []
    fields = tally[list(Tally._fields)]
    for idx, r in zip(fields.index.tolist(), fields.to_numpy().tolist(), strict=True):
        idx = idx if isinstance(idx, tuple) else (idx,)
        t = Tally(*(int(x) for x in r))
        for m in methods:
            rows.append(
                {
                    "iso3": idx[0],
                    **dict(zip(keys, idx[1:], strict=True)),
                    **method_counts(t, m),
                    "coverage_note": notes[tuple(idx[1:])],
                }
            )
    out = pd.DataFrame(rows).merge(attrs.reset_index(), on="iso3", how="left")
    cols = (
        ["iso3", "display_name", "group_short"]
        + keys
        + [
            "method",
            "coincidence",
            "n",
            "same",
            "opposite",
            "partial",
            "excluded",
            "unknown",
            "coverage_note",
        ]
    )
    return out[cols].sort_values(["method"] + keys + ["iso3"], ignore_index=True)


def agreement_with_us(
    votes: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    *,
    partners: Sequence[str],
    by: Sequence[str] = ("topic", "year"),
    texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Agreement index (:func:`~unga_brief.analysis.definitions.agreement_index`) of the US with each
    partner, per cell of ``by``.

    A partner is a group named in ``groups`` (its members on each vote's date, the US left
    out; the index is the mean over every (text, member) pair where both voted, so the
    members' mean weighted by how often each voted) or a state's ISO3 code. Default texts:
    the GA resolutions and decisions of both topics from 2022 on, kept inside ``window``. Columns: ``partner,
    partner_kind`` (group | state), ``topic, year`` (as grouped), ``agreement, n`` (pairs
    counted), ``texts`` (texts counted), ``members`` (distinct member states counted),
    ``coverage_note``.
    """
    keys = _by_keys(by)
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts if texts is not None else topic_texts(b), window=window)
    p = _pairs_with_us(b, ids)
    p["topic"] = p["topic"].astype(str)
    group_names = set(groups["group"]) if groups is not None else set()
    states = set(b["iso3"])
    notes = _cell_notes(b, ids, keys, firm_only)
    out = []
    # every group partner's membership on each text's date, computed once for all of them
    wanted = [x for x in dict.fromkeys(partners) if x in group_names]
    t = p.drop_duplicates("text_id")
    members = bloc_membership(groups, t, wanted) if wanted else None
    for partner in partners:
        if partner in group_names:
            early = undated_texts(groups, t)
            bm = members[members["group"] == partner]
            q = p.merge(bm[["text_id", "iso3"]], on=["text_id", "iso3"], how="inner")
            kind = "group"
        elif partner in states:
            q, kind, early = p[p["iso3"] == partner], "state", []
        else:
            raise UnknownCountry(
                f"unknown partner {partner!r}: neither a group nor a state in the votes"
            )
        q = q.assign(agree=agreement_scores(q["vote"], q["us_vote"])).dropna(subset=["agree"])
        q = q[[*keys, "agree", "text_id", "iso3"]]  # the cells need these columns only
        cells = q.groupby(keys) if keys else [((), q)]
        for key, g in cells:
            key = key if isinstance(key, tuple) else (key,)
            note = notes.get(key, "")
            if early:
                note += (
                    f" Texts before group memberships are dated left out for groups: {len(early)}."
                )
            out.append(
                {
                    "partner": partner,
                    "partner_kind": kind,
                    **dict(zip(keys, key, strict=True)),
                    "agreement": float(g["agree"].mean()),
                    "n": len(g),
                    "texts": g["text_id"].nunique(),
                    "members": g["iso3"].nunique(),
                    "coverage_note": note,
                }
            )
    cols = (
        ["partner", "partner_kind"] + keys + ["agreement", "n", "texts", "members", "coverage_note"]
    )
    return pd.DataFrame(out, columns=cols)


def us_with_russia(
    votes: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    *,
    texts: Sequence[str] | None = None,
    include_abstentions: bool = False,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The texts (GA and SC) where the US and Russia cast the same Yes or No vote (and, with
    ``include_abstentions``, where both abstained).

    Columns: ``text_id, name, date, body, kind, topic, short_title, vote, same_as_us`` (exact
    count of other states voting so, NA if not known), ``same_as_us_at_least, compared`` (texts
    where both votes are known: the n), ``coverage_note``.
    """
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    if texts is not None:
        b = b[b["text_id"].isin(select_texts(b, texts))]
    pair = b[b["iso3"].isin([US, "RUS"])].pivot(index="text_id", columns="iso3", values="vote")
    if "RUS" not in pair.columns or US not in pair.columns:
        raise UnknownCountry("the United States or Russia is not among the voters")
    known = pair.dropna()
    wanted = "YNA" if include_abstentions else "YN"
    same = known[
        (known[US].astype(str) == known["RUS"].astype(str))
        & known[US].astype(str).isin(list(wanted))
    ]
    st = text_status(b)
    iso = (
        us_isolation(
            votes, catalog, texts=list(same.index), firm_only=firm_only, electorate=electorate
        )
        if len(same)
        else None
    )
    info = _info(b, st)
    out = info[info["text_id"].isin(same.index)].copy()
    out["vote"] = out["text_id"].map(same[US].astype(str))
    if iso is not None:
        out = out.merge(
            iso[["text_id", "same_as_us", "same_as_us_at_least"]], on="text_id", how="left"
        )
    else:
        out["same_as_us"], out["same_as_us_at_least"] = pd.NA, pd.NA
    out["compared"] = len(known)
    unknown = [t for t in pair.index if t not in known.index]
    out["coverage_note"] = (
        f"US and Russia both known on {len(known)} of {len(pair)} texts"
        + (
            f"; unknown on: {'; '.join(st.set_index('text_id').loc[unknown, 'name'])}"
            if unknown
            else ""
        )
        + (". Firm votes only (record + list)." if firm_only else ".")
    )
    cols = [
        "text_id",
        "name",
        "date",
        "body",
        "kind",
        "topic",
        "short_title",
        "vote",
        "same_as_us",
        "same_as_us_at_least",
        "compared",
        "coverage_note",
    ]
    return order_texts(out)[cols].reset_index(drop=True)


def amendment_positions(
    votes: pd.DataFrame,
    text_id: str,
    catalog: pd.DataFrame | None = None,
    *,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The states whose vote on a text (e.g. an amendment) is known, from the rows, Yes
    first; ``backed`` marks a Yes.

    Columns: ``text_id, name, iso3, display_name, group_short, vote, backed, basis, source,
    official`` (the official count of that vote, with a ``catalog``), ``coverage_note`` (how
    many of each official count are named).
    """
    if text_id not in set(votes["text_id"]):
        if catalog is not None and text_id in set(catalog["id"]):
            raise UnknownText(f"{text_id}: known only in its official totals; no state is named")
        raise UnknownText(f"unknown text id: {text_id} (see data/catalog/catalog.csv)")
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    b = b[b["text_id"] == text_id]
    st = text_status(b)
    k = b.dropna(subset=["vote"]).copy()
    k["vote"] = k["vote"].astype(str)
    k["backed"] = k["vote"] == "Y"
    k["name"] = st["name"].iloc[0]
    named = k["vote"].value_counts()
    official = {}
    if catalog is not None:
        r = catalog.set_index("id").loc[text_id]
        official = {c: r[f] for c, f in OFFICIAL_COLUMNS.items()}
    k["official"] = k["vote"].map(official).astype("Int64") if official else pd.NA
    parts = []
    for c, w in VOTE_WORDS.items():
        tot = official.get(c)
        parts.append(
            f"{w}: {int(named.get(c, 0))} named"
            + (f" of {int(tot)}" if tot is not None and pd.notna(tot) else "")
        )
    k["coverage_note"] = (
        f"{st['status'].iloc[0]}; "
        + ", ".join(parts)
        + (". Firm votes only (record + list)." if firm_only else ".")
    )
    k["_o"] = k["vote"].map({c: i for i, c in enumerate(VOTE_CODES)})
    cols = [
        "text_id",
        "name",
        "iso3",
        "display_name",
        "group_short",
        "vote",
        "backed",
        "basis",
        "source",
        "official",
        "coverage_note",
    ]
    return k.sort_values(["_o", "iso3"])[cols].reset_index(drop=True)


def us_record(
    votes: pd.DataFrame,
    catalog: pd.DataFrame | None = None,
    *,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The US vote on every text (:func:`us_votes`) with its isolation (:func:`us_isolation`):
    how many other states voted as it did, and whether that count is exact."""
    us = us_votes(votes, catalog, firm_only=firm_only, electorate=electorate)
    iso = us_isolation(votes, catalog, firm_only=firm_only, electorate=electorate)
    return us.merge(iso[["text_id", "others", "same_as_us", "exact"]], on="text_id", how="left")
