"""Every state against its own habits, and the US across the whole Assembly (issue 16, items 2–3).

All computations take the long whole-Assembly layer of
:func:`unga_brief.data.assembly.load_assembly` (``undl_record, body, session, meeting, date, …,
iso3, vote``) and stay vectorised: a layer of ~900,000 state-votes is counted in well under a
second (``bench/bench_measures.py``). Every vote of the layer is a UN Digital Library roll call
(a firm, record-based vote), so ``firm_only`` changes nothing on its side; it is passed on to the
topic rates, which come from the catalogue's votes.

* :func:`state_baselines` — per state and calendar year (or session): abstention and
  non-voting rates on all GA roll calls.
* :func:`baseline_vs_topic` — each state's Ukraine and Gaza rates beside its baseline over the
  same window, and the excess; :func:`most_above_baseline` names the largest.
* :func:`coincidence_all_votes` — per state and calendar year, coincidence with the US on all GA
  roll calls under the State Department's three methods;
  :func:`coincidence_table` gives the published columns of
  ``report/tables/coincidence_all_votes.csv``.
* :func:`year_coverage` — per calendar year, GA records held against those known to exist.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from unga_brief.analysis.hedging import country_profiles
from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import US

PERIODS = ("year", "session")
COINCIDENCE_TABLE_COLUMNS = [
    "year",
    "iso3",
    "same",
    "opposite",
    "partial",
    "non_voting",
    "votes_only",
    "state_2017",
    "state_2021",
]


def _ga(assembly: pd.DataFrame, window: tuple | None = None) -> pd.DataFrame:
    a = assembly[assembly["body"] == "GA"]  # no astype(str) of the whole layer's column
    if window is not None:
        start, end = (pd.Timestamp(w) if w is not None else None for w in window)
        ok = np.ones(len(a), dtype=bool)
        if start is not None:
            ok &= (a["date"] >= start).to_numpy()
        if end is not None:
            ok &= (a["date"] <= end).to_numpy()
        a = a[ok]
    return a


def _period(a: pd.DataFrame, by: str) -> pd.Series:
    if by == "year":
        return a["date"].dt.year.rename("year")
    if by == "session":
        return a["session"].rename("session")
    raise ParameterError(f"unknown period {by!r}; known: {', '.join(PERIODS)}")


def _vote_counts(a: pd.DataFrame, keys: list) -> pd.DataFrame:
    """Y N A X per key (vectorised: one groupby on the categorical vote)."""
    c = (
        a.groupby([*keys, a["vote"]], observed=True, sort=True)
        .size()
        .unstack("vote", fill_value=0)
        .reindex(columns=list("YNAX"), fill_value=0)
    )
    c.columns = list("YNAX")
    return c


def state_baselines(
    assembly: pd.DataFrame,
    *,
    by: str = "year",
    window: tuple | None = None,
    exclude_records: Sequence[str] = (),
) -> pd.DataFrame:
    """A state's baseline is how it votes on every General Assembly roll call of the
    whole-Assembly layer (UN Digital Library voting records, regular and emergency special
    sessions) in a period: its abstention rate — Abstain ÷ (Yes + No + Abstain), as for a
    group — and its non-voting rate — non-voting ÷ all roll calls held. Roll calls set aside by
    name (e.g. the topic's own texts, when a topic rate is compared with it) take no part. The
    figures are shown with their n (roll calls held, and present).

    Columns: ``iso3, {by}, records, Y, N, A, X, present, abstention_rate, non_voting_rate``."""
    a = _ga(assembly, window)
    if len(exclude_records):
        a = a[~a["undl_record"].isin(list(exclude_records))]
    key = _period(a, by)
    c = _vote_counts(a.assign(**{by: key}), ["iso3", by])
    c["records"] = c.sum(axis=1)
    c["present"] = c["Y"] + c["N"] + c["A"]
    c["abstention_rate"] = c["A"] / c["present"].where(c["present"] > 0)
    c["non_voting_rate"] = c["X"] / c["records"]
    cols = ["records", "Y", "N", "A", "X", "present", "abstention_rate", "non_voting_rate"]
    return c[cols].reset_index()


def baseline_vs_topic(
    assembly: pd.DataFrame,
    votes: pd.DataFrame,
    *,
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
    profiles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each state's abstention and non-voting rates on the Ukraine and on the Gaza texts
    (:func:`unga_brief.analysis.hedging.country_profiles`) beside its baseline
    (:func:`state_baselines`) over the GA roll calls of the layer inside ``window``, the
    roll calls that are catalogue texts of either topic set aside.

    One row per (state, topic): ``iso3, display_name, topic, present, rate_A, rate_X,
    baseline_records, baseline_present, baseline_A_rate, baseline_X_rate, excess_A``
    (topic − baseline, points as a fraction), ``excess_X``, ``coverage_note``.

    ``profiles``: :func:`~unga_brief.analysis.hedging.country_profiles` of the same votes, texts,
    window and ``firm_only``, where the caller has it already (it is not computed again)."""
    prof = (
        profiles
        if profiles is not None
        else country_profiles(
            votes,
            ukraine_texts=ukraine_texts,
            gaza_texts=gaza_texts,
            window=window,
            firm_only=firm_only,
            electorate=electorate,
        )
    )
    linked = assembly.loc[assembly["text_id"].astype(str) != "", ["undl_record", "text_id"]]
    topic_ids = set(votes.loc[votes["topic"].astype(str).isin(["ukraine", "gaza"]), "text_id"])
    drop = linked.loc[linked["text_id"].isin(topic_ids), "undl_record"].unique()
    a = _ga(assembly, window)
    a = a[~a["undl_record"].isin(drop)]
    c = _vote_counts(a, ["iso3"])
    base = pd.DataFrame(
        {
            "baseline_records": c.sum(axis=1),
            "baseline_present": c["Y"] + c["N"] + c["A"],
        }
    )
    base["baseline_A_rate"] = c["A"] / base["baseline_present"].where(base["baseline_present"] > 0)
    base["baseline_X_rate"] = c["X"] / base["baseline_records"]
    out = prof.merge(base.reset_index(), on="iso3", how="left")
    out["excess_A"] = out["rate_A"] - out["baseline_A_rate"]
    out["excess_X"] = out["rate_X"] - out["baseline_X_rate"]
    span = f"{a['date'].min():%Y-%m-%d} to {a['date'].max():%Y-%m-%d}" if len(a) else "none"
    out["coverage_note"] = (
        out["coverage_note"]
        + f" Baseline: {a['undl_record'].nunique()} GA roll calls of the whole-Assembly layer "
        f"({span}), the topics' own texts set aside."
    )
    cols = [
        "iso3",
        "display_name",
        "group_short",
        "topic",
        "present",
        "A",
        "X",
        "rate_A",
        "rate_X",
        "baseline_records",
        "baseline_present",
        "baseline_A_rate",
        "baseline_X_rate",
        "excess_A",
        "excess_X",
        "coverage_note",
    ]
    return out[cols]


#: A state is set against its own baseline only where it was present on this many topic texts.
MIN_PRESENT = 3


def most_above_baseline(
    frame: pd.DataFrame, topic: str, *, n: int = 10, min_present: int = MIN_PRESENT
) -> pd.DataFrame:
    """The ``n`` states whose abstention rate on ``topic`` most exceeds their own baseline
    (states present on fewer than ``min_present`` topic texts are left out)."""
    f = frame[(frame["topic"] == topic) & (frame["present"] >= min_present)]
    return f.dropna(subset=["excess_A"]).nlargest(n, "excess_A").reset_index(drop=True)


# --- the US across the whole Assembly ----------------------------------------------------------

_OUTCOMES = (
    "same",
    "both_abstain",
    "opposite",
    "partial",
    "non_voting_vs_vote",
    "non_voting_vs_abstain",
)


def _vote_codes(a: pd.DataFrame) -> np.ndarray:
    """Vote codes 0–3 for Y N A X (−1 unknown), without touching strings."""
    v = a["vote"]
    if not (isinstance(v.dtype, pd.CategoricalDtype) and list(v.cat.categories) == list("YNAX")):
        v = pd.Categorical(v, categories=list("YNAX"))
    return np.asarray(v.codes if hasattr(v, "codes") else v.cat.codes, dtype=np.int8)


def coincidence_all_votes(
    assembly: pd.DataFrame, *, reference: str = US, window: tuple | None = None
) -> pd.DataFrame:
    """Coincidence with the United States on all General Assembly roll calls of a calendar
    year, counted as the State Department's annual report "Voting Practices in the United
    Nations" counts them: same = both voted Yes or both No; opposite = one Yes, the other No;
    partial = exactly one of the two abstained while the other voted Yes or No; non-voting =
    either did not vote (kept apart); both abstaining is counted apart too. The three methods
    then follow the definitions above (votes only; 2017; 2021). Every roll call of the
    whole-Assembly layer held for that year counts, and the year's coverage (records held
    against records known to exist) is stated beside it.

    See :func:`year_coverage` for the coverage.

    Columns: ``year, iso3, records, same, both_abstain, opposite, partial, non_voting_vs_vote,
    non_voting_vs_abstain, non_voting, votes_only, state_2017, state_2021, n_votes_only,
    n_state_2017, n_state_2021``."""
    a = _ga(assembly, window)
    v = _vote_codes(a)
    rec, _ = pd.factorize(a["undl_record"])
    state, states = pd.factorize(a["iso3"])
    is_ref = (states == reference)[state]
    if not is_ref.any():
        raise ParameterError(f"{reference} casts no vote in the whole-Assembly layer")
    ref_by_rec = np.full(rec.max() + 1, -1, dtype=np.int8)
    ref_by_rec[rec[is_ref]] = v[is_ref]
    r = ref_by_rec[rec]
    keep = ~is_ref & (r >= 0) & (v >= 0)
    r, s = r[keep], v[keep]
    N, A, X = 1, 2, 3  # vote codes (Y = 0)
    r_yn, s_yn = r <= N, s <= N
    outcome = np.select(
        [
            (r == X) & s_yn | (s == X) & r_yn,
            (r == X) | (s == X),
            (r == A) & (s == A),
            r_yn & s_yn & (r == s),
            r_yn & s_yn,
        ],
        [4, 5, 1, 0, 2],
        default=3,
    )  # indices into _OUTCOMES
    years = a["date"].dt.year.to_numpy()[keep]
    y0 = years.min() if len(years) else 0
    ny, ns, no = (years.max() - y0 + 1) if len(years) else 0, len(states), len(_OUTCOMES)
    key = ((years - y0) * ns + state[keep]) * no + outcome
    counts = np.bincount(key, minlength=ny * ns * no).reshape(ny * ns, no)
    idx = pd.MultiIndex.from_product([np.arange(y0, y0 + ny), states], names=["year", "iso3"])
    c = pd.DataFrame(counts, index=idx, columns=list(_OUTCOMES))
    c = c[c.sum(axis=1) > 0]
    c["records"] = c[list(_OUTCOMES)].sum(axis=1)
    c["non_voting"] = c["non_voting_vs_vote"] + c["non_voting_vs_abstain"]
    return _methods(c).reset_index()


def _methods(c: pd.DataFrame) -> pd.DataFrame:
    """The three State Department methods from the outcome counts (as ``method_counts``)."""
    n1 = c["same"] + c["opposite"]
    same17 = c["same"] + c["both_abstain"]
    n17 = same17 + c["opposite"] + c["partial"]
    same21 = same17 + c["non_voting_vs_abstain"]
    part21 = c["partial"] + c["non_voting_vs_vote"]
    n21 = same21 + c["opposite"] + part21
    c["votes_only"] = c["same"] / n1.where(n1 > 0)
    c["state_2017"] = (same17 + 0.5 * c["partial"]) / n17.where(n17 > 0)
    c["state_2021"] = (same21 + 0.5 * part21) / n21.where(n21 > 0)
    c["n_votes_only"], c["n_state_2017"], c["n_state_2021"] = n1, n17, n21
    return c


def coincidence_table(coincidence: pd.DataFrame) -> pd.DataFrame:
    """The published table ``report/tables/coincidence_all_votes.csv``: the columns ``year,
    iso3, same, opposite, partial, non_voting, votes_only, state_2017, state_2021``."""
    return coincidence[COINCIDENCE_TABLE_COLUMNS].sort_values(["year", "iso3"], ignore_index=True)


def us_isolation_all_votes(coincidence: pd.DataFrame) -> pd.DataFrame:
    """Per year, how isolated the US was across the Assembly, under each method: ``pooled``
    (every state's counts added up, as the State Department's overall figure: (same + ½ partial)
    ÷ n), ``median`` (the median state's coincidence), ``states_at_least_half`` (states voting
    with the US at least half the time) and ``states`` (with a figure); ``records`` = roll calls
    held that year. Columns: ``year, method, records, pooled, median, states_at_least_half,
    states``."""
    rows = []
    for (year,), g in coincidence.groupby(["year"]):
        tot = g[list(_OUTCOMES)].sum()
        pooled = _methods(pd.DataFrame([tot]))
        for m in ("votes_only", "state_2017", "state_2021"):
            v = g[m].dropna()
            rows.append(
                {
                    "year": year,
                    "method": m,
                    "records": int(g["records"].max()),
                    "pooled": float(pooled[m].iloc[0]),
                    "median": float(v.median()) if len(v) else float("nan"),
                    "states_at_least_half": int((v >= 0.5).sum()),
                    "states": int(len(v)),
                }
            )
    return pd.DataFrame(rows)


def topic_vs_all_votes(
    topic_coincidence: pd.DataFrame, all_votes: pd.DataFrame, *, method: str = "state_2021"
) -> pd.DataFrame:
    """The US's coincidence with the Assembly on the Ukraine and Gaza texts set against its
    coincidence on all GA roll calls, per calendar year, each pooled over every state ((same +
    ½ partial) ÷ n, counts added up). ``topic_coincidence`` is
    :func:`unga_brief.analysis.posture.coincidence_with_us` (by topic and year); ``all_votes`` is
    :func:`coincidence_all_votes`. Columns: ``year, all_votes, all_votes_records, ukraine,
    ukraine_n, gaza, gaza_n`` (n = state-text pairs counted)."""
    iso = us_isolation_all_votes(all_votes)
    iso = iso[iso["method"] == method].set_index("year")
    out = pd.DataFrame({"all_votes": iso["pooled"], "all_votes_records": iso["records"]})
    t = topic_coincidence[topic_coincidence["method"] == method]
    g = t.groupby(["year", "topic"])[["same", "partial", "n"]].sum()
    pooled = (g["same"] + 0.5 * g["partial"]) / g["n"].where(g["n"] > 0)
    for topic in ("ukraine", "gaza"):
        if topic in set(t["topic"]):
            out[topic] = pooled.xs(topic, level="topic")
            out[f"{topic}_n"] = g["n"].xs(topic, level="topic")
        else:
            out[topic], out[f"{topic}_n"] = np.nan, 0
    out[["ukraine_n", "gaza_n"]] = out[["ukraine_n", "gaza_n"]].fillna(0).astype(int)
    return out.rename_axis("year").reset_index()


def year_coverage(records: pd.DataFrame, coverage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per calendar year, GA roll calls held in the layer against those known to exist:
    ``year, held, known_not_held, expected`` (= held + known_not_held), ``from, to`` (the
    first and last roll call of the year in the layer: the layer starts in September 2021),
    ``sessions`` (the GA
    sessions open that year, each with ``held/expected`` of its regular records from
    :func:`unga_brief.data.assembly_checks.coverage_by_session` when given) and ``complete`` (no record
    known to be missing that year and every overlapping session complete). ``records`` is
    ``data/assembly/records.csv`` as strings."""
    r = records[records["body"] == "GA"].copy()
    r["year"] = r["date"].str.slice(0, 4).astype(int)
    held = r[r["held"] == "true"].groupby("year").size()
    known = r[r["held"] != "true"].groupby("year").size()
    out = pd.DataFrame({"held": held, "known_not_held": known}).fillna(0).astype(int)
    out["expected"] = out["held"] + out["known_not_held"]
    dates = r.groupby("year")["date"]
    out["from"], out["to"] = dates.min(), dates.max()
    sess = r.groupby("year")["session"].agg(lambda s: sorted({int(x) for x in s if x}))
    notes, complete = [], []
    cov = coverage.set_index(coverage["session"].astype(str)) if coverage is not None else None
    for y in out.index:
        bits, ok = [], out.at[y, "known_not_held"] == 0
        for s in sess.get(y, []):
            if cov is not None and str(s) in cov.index:
                row = cov.loc[str(s)]
                exp = row["expected"]
                reg = int(row["regular"])
                if pd.notna(exp) and str(exp) != "":
                    bits.append(f"{s}: {reg}/{int(exp)} regular records")
                    ok &= reg >= int(exp)
                else:
                    bits.append(f"{s}: {reg} regular records, expected unknown")
                    ok = False
            else:
                bits.append(str(s))
        notes.append("; ".join(bits))
        complete.append(bool(ok))
    out["sessions"] = notes
    out["complete"] = complete
    return out.rename_axis("year").reset_index()


DEFINITIONS = [
    ("Baseline", state_baselines),
    ("Coincidence with the US on all votes", coincidence_all_votes),
]
