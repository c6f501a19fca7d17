"""How much of humanity's governments stood where: population- and GDP-weighted tallies of the
GA texts (issue 16, item 1).

* :func:`state_weights` — each Member State's population (and GDP at PPP = GDP per capita PPP ×
  population) in one stated year, from ``data/reference/population.csv``.
* :func:`weighted_tally` — per GA text, the shares of the weight voting Yes / No / Abstain /
  non-voting / unknown (summing to 1), optionally without some states (China and India).
* :func:`weighted_summary` — the mean of those shares per topic, with and without the states left
  out, for a finding sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, coverage_note, narrow, text_status
from unga_brief.analysis.text_selection import select_texts
from unga_brief.core.errors import DataError, ParameterError

WEIGHTS = ("population", "gdp_ppp")
SHARE_COLUMNS = ["Y", "N", "A", "X", "unknown"]
CHINA_INDIA = ("CHN", "IND")


def state_weights(population: pd.DataFrame, year: int) -> pd.DataFrame:
    """``iso3, year, population, gdp_ppp, population_source, gdp_source`` for one year.
    ``gdp_ppp`` (GDP per capita PPP × population) is missing where the source gives no GDP."""
    p = population[population["year"].astype(int) == int(year)]
    if p.empty:
        have = sorted(population["year"].astype(int).unique())
        raise ParameterError(f"no population for {year}; the reference has {have}")
    out = p[["iso3", "year", "population", "population_source", "gdp_source"]].copy()
    out["gdp_ppp"] = p["population"] * p["gdp_per_capita_ppp"]
    return out.reset_index(drop=True)


def weighted_tally(
    votes: pd.DataFrame,
    population: pd.DataFrame,
    *,
    year: int,
    texts: Sequence[str] | None = None,
    topic: str | None = None,
    window: tuple | None = None,
    weight: str = "population",
    exclude: Sequence[str] = (),
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Population-weighted tally: on a GA text, the share of the Member States' population (in
    one stated year, from the World Bank's figures in the project's reference data) whose
    government voted Yes, No or Abstain, did not vote, or whose vote is unknown; the five shares
    sum to 100 %. The denominator is the population of all the states entitled to vote (the 193
    Members), less any states set aside by name (e.g. China and India, shown as a second
    reading). The GDP-weighted tally does the same with GDP at purchasing-power parity (GDP per
    capita PPP × population); states without a GDP figure are left out of it, and the share of
    the population and the number of states so left out are stated beside it.

    One row per text: ``text_id, name, date, topic, weight, year, excluded, states`` (n
    weighted), ``Y, N, A, X, unknown`` (shares), ``left_out_states, left_out_population``
    (states without a weight and their share of the population), ``coverage_note``."""
    if weight not in WEIGHTS:
        raise ParameterError(f"unknown weight {weight!r}; known: {', '.join(WEIGHTS)}")
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts, topic=topic, window=window)
    b = narrow(b, "body", "topic")
    b = b[b["text_id"].isin(ids) & (b["body"] == "GA")]
    if b.empty:
        raise ParameterError("weighted tally: no GA text selected")
    w = state_weights(population, year)
    lacking = sorted(set(b["iso3"]) - set(w["iso3"]))
    if lacking:
        raise DataError(f"no population for {year} for {', '.join(lacking[:5])}")
    b = b[~b["iso3"].isin(list(exclude))].merge(w, on="iso3", how="left")
    value = b["population"] if weight == "population" else b["gdp_ppp"]
    has = value.notna()
    pop_total = b.groupby("text_id")["population"].sum()
    left = (
        b[~has].groupby("text_id").agg(left_out_states=("iso3", "size"), _pop=("population", "sum"))
    )
    bw = b[has].assign(_w=value[has].astype(float))
    bw["_v"] = bw["vote"].astype(object).fillna("unknown")
    sums = bw.pivot_table(index="text_id", columns="_v", values="_w", aggfunc="sum", fill_value=0)
    sums = sums.reindex(columns=SHARE_COLUMNS, fill_value=0.0)
    shares = sums.div(sums.sum(axis=1), axis=0)
    st = text_status(b).set_index("text_id")
    out = shares.reset_index()
    out["states"] = out["text_id"].map(bw.groupby("text_id").size())
    out["left_out_states"] = out["text_id"].map(left["left_out_states"]).fillna(0).astype(int)
    out["left_out_population"] = out["text_id"].map(left["_pop"]).fillna(0).astype(float) / out[
        "text_id"
    ].map(pop_total).astype(float)
    out["name"] = out["text_id"].map(st["name"])
    out["date"] = out["text_id"].map(st["date"])
    out["topic"] = out["text_id"].map(b.drop_duplicates("text_id").set_index("text_id")["topic"])
    out["topic"] = out["topic"].astype(str)
    out["weight"] = weight
    out["year"] = int(year)
    out["excluded"] = " ".join(exclude)
    out["coverage_note"] = coverage_note(st.reset_index(), ids, firm_only=firm_only)
    cols = ["text_id", "name", "date", "topic", "weight", "year", "excluded", "states"]
    cols += SHARE_COLUMNS + ["left_out_states", "left_out_population", "coverage_note"]
    return out[cols].sort_values(["date", "text_id"], ignore_index=True)


def weighted_readings(
    votes: pd.DataFrame,
    population: pd.DataFrame,
    *,
    year: int,
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    exclude: Sequence[str] = CHINA_INDIA,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every reading of :func:`weighted_tally` for both topics: population with all states,
    population without ``exclude``, GDP (PPP) with all states — stacked (one row per text and
    reading); the chart puts the Ukraine and Gaza series on one time axis."""
    parts = []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        ids = select_texts(votes, sel, topic=topic, window=window, what=f"{topic} texts")
        for weight, ex in (("population", ()), ("population", tuple(exclude)), ("gdp_ppp", ())):
            parts.append(
                weighted_tally(
                    votes,
                    population,
                    year=year,
                    texts=ids,
                    weight=weight,
                    exclude=ex,
                    firm_only=firm_only,
                    electorate=electorate,
                ).assign(topic=topic)
            )
    return pd.concat(parts, ignore_index=True)


def weighted_summary(readings: pd.DataFrame) -> pd.DataFrame:
    """Mean share per topic and reading (``topic, weight, excluded, texts, Y, N, A, X,
    unknown, left_out_population``): the figure a finding quotes, with its n (texts)."""
    keys = ["topic", "weight", "excluded"]
    g = readings.groupby(keys, sort=False)
    out = g[SHARE_COLUMNS + ["left_out_population"]].mean()
    out.insert(0, "texts", g.size())
    out["year"] = g["year"].first()
    return out.reset_index()


DEFINITIONS = [("Population-weighted tally", weighted_tally)]
