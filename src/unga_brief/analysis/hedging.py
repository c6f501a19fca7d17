"""Each state's votes over a set of texts: its profile, the hedgers, and the switches between
consecutive texts of a series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, coverage_note, narrow, text_status
from unga_brief.analysis.definitions import is_hedger, is_reverse_hedger, switch_kind, vote_profile
from unga_brief.analysis.text_selection import order_texts, select_texts, texts_frame
from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import (
    TOPICS,
    VOTE_CODES,
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
    rows = narrow(b_all, "display_name", "group_short")
    out = []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        ids = select_texts(b_all, sel, topic=topic, window=window, what=f"{topic} texts")
        b = rows[rows["text_id"].isin(ids)]
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
            rows=("iso3", "size"),
            known=("vote", "count"),
        )
        base["unknown"] = base.pop("rows") - base.pop("known")  # vectorised, no lambda per state
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
    t = texts_frame(b[["text_id", "date", "series", "symbol", "label"]])  # what orders them
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
    # Each text's votes by state, read once (plain values: iterating pyarrow-backed columns or
    # selecting the whole frame per pair of texts is what made this slow).
    votes_of: dict = {}
    for tid, iso3, vote in zip(
        *(b[c].astype(object).tolist() for c in ("text_id", "iso3", "vote")), strict=True
    ):
        votes_of.setdefault(tid, {})[iso3] = vote
    first = b.drop_duplicates("iso3")
    display = dict(
        zip(first["iso3"].tolist(), first["display_name"].astype(object).tolist(), strict=True)
    )
    region = dict(
        zip(first["iso3"].tolist(), first["group_short"].astype(object).tolist(), strict=True)
    )
    for s, ts in order_texts(t).groupby(t["series"].astype(str), sort=True):
        ts = order_texts(ts)
        ids = ts["text_id"].tolist()
        dates = dict(zip(ts["text_id"], ts["date"], strict=True))
        for prev, cur in zip(ids, ids[1:], strict=False):
            pv, cv = votes_of.get(prev, {}), votes_of.get(cur, {})
            eligible = sorted(set(pv) & set(cv))
            unknown = sum(1 for i in eligible if pd.isna(pv[i]) or pd.isna(cv[i]))
            if unknown:
                notes.append(
                    f"{names[prev]} → {names[cur]}: {unknown} states not compared (vote unknown)"
                )
            for iso3 in eligible:
                kind = switch_kind(pv[iso3], cv[iso3])
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
                            "display_name": display[iso3],
                            "group_short": region[iso3],
                            "from_vote": pv[iso3],
                            "to_vote": cv[iso3],
                            "change": f"{pv[iso3]}→{cv[iso3]}",
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
