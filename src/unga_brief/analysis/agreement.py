"""Agreement that says how sure it is, and how tightly blocs hold together (issue 16, items 5–6).

* :func:`any_pair_agreement` — the agreement index (:func:`unga_brief.analysis.definitions.agreement_index`) of every pair
  of states at once, vectorised (matrix products over one-hot votes): the whole Assembly's
  ~190 × 190 pairs over thousands of roll calls in a fraction of a second.
* :func:`weighted_kappa` — chance-corrected agreement (Cohen's weighted kappa with the agreement
  index's linear weights; Scott's pi with ``chance="scott"``).
* :func:`agreement_interval` — agreement and kappa with a percentile bootstrap interval over
  texts (reproducible with a seed).
* :func:`pair_agreement` — both, per topic, for the focus countries' pairs;
  :func:`agreement_matrix` — the square matrix a clustered heatmap draws.
* :func:`bloc_cohesion` / :func:`cohesion_by_topic` — share of a bloc's members casting its
  modal vote, per text and per topic, with the blocs differing by :data:`COHESION_GAP` or more named.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, coverage_note, text_status
from unga_brief.analysis.membership import bloc_membership
from unga_brief.analysis.text_selection import select_texts
from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import VOTE_SCORE

#: Scores of Yes, Abstain, No (the agreement index's scale).
SCORE_LEVELS = np.array([VOTE_SCORE["N"], VOTE_SCORE["A"], VOTE_SCORE["Y"]])
#: Linear agreement weights between those levels: 1 − |s_i − s_j|.
WEIGHTS = 1.0 - np.abs(SCORE_LEVELS[:, None] - SCORE_LEVELS[None, :])
COHESION_GAP = 0.20


def _scores(votes: pd.Series) -> np.ndarray:
    """Y/A/N → 1/0.5/0; non-voting and unknown → NaN."""
    s = pd.Series(votes, dtype=object).map(VOTE_SCORE)
    return s.astype(float).to_numpy()


def any_pair_agreement(
    long: pd.DataFrame, *, key: str = "undl_record", states: Sequence[str] | None = None
) -> pd.DataFrame:
    """The agreement index of every pair of states over the texts of ``long`` (one row per
    ``key`` and ``iso3`` with ``vote``): ``iso3_a, iso3_b, agreement, n``, each unordered pair
    once. Same definition as :func:`unga_brief.analysis.definitions.agreement_index`, computed with one-hot
    matrix products (vectorised)."""
    rec, _ = pd.factorize(long[key])
    st, cols = pd.factorize(long["iso3"])
    vote = pd.Categorical(long["vote"], categories=list("YNAX")).codes
    if states is not None:
        want = pd.Index(list(states))
        pos = want.get_indexer(cols)
        keep = pos[st] >= 0
        rec, st, vote, cols = rec[keep], pos[st[keep]], vote[keep], want
    cols = np.asarray(cols, dtype=object)
    shape = (rec.max() + 1 if len(rec) else 0, len(cols))
    Y, N, A = (np.zeros(shape, dtype=np.float32) for _ in range(3))
    for m, code in ((Y, 0), (N, 1), (A, 2)):
        hit = vote == code
        m[rec[hit], st[hit]] = 1.0
    P = Y + N + A
    both = P.T @ P
    # |a − b| is 1 for Yes/No and 0.5 for Abstain against Yes or No
    yn = Y.T @ N
    ay = A.T @ (Y + N)
    dis = yn + yn.T + 0.5 * (ay + ay.T)
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = 1.0 - dis / both
    i, j = np.triu_indices(len(cols), k=1)
    n = both[i, j].astype(int)
    return pd.DataFrame(
        {
            "iso3_a": cols[i],
            "iso3_b": cols[j],
            "agreement": np.where(n > 0, agree[i, j], np.nan),
            "n": n,
        }
    )


def _marginals(x: np.ndarray) -> np.ndarray:
    """Shares of No, Abstain, Yes along the last axis."""
    return np.stack([(x == s).mean(axis=-1) for s in SCORE_LEVELS], axis=-1)


def _kappa(a: np.ndarray, b: np.ndarray, chance: str) -> tuple[np.ndarray, np.ndarray]:
    """Observed agreement and weighted kappa along the last axis (both arrays of scores)."""
    po = (1.0 - np.abs(a - b)).mean(axis=-1)
    pa, pb = _marginals(a), _marginals(b)
    if chance == "scott":
        pa = pb = (pa + pb) / 2
    elif chance != "cohen":
        raise ParameterError(f"unknown chance model {chance!r}; known: cohen, scott")
    pe = np.einsum("...i,ij,...j->...", pa, WEIGHTS, pb)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
    return po, k


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    sa, sb = _scores(pd.Series(list(a), dtype=object)), _scores(pd.Series(list(b), dtype=object))
    ok = ~np.isnan(sa) & ~np.isnan(sb)
    return sa[ok], sb[ok]


def weighted_kappa(a, b, *, chance: str = "cohen") -> float:
    """Chance-corrected agreement: Cohen's weighted kappa, κ = (Pₒ − Pₑ) ÷ (1 − Pₑ), on the
    texts where both states voted Yes, No or Abstain. Pₒ is the agreement index (Yes = 1,
    Abstain = 0.5, No = 0, agreement 1 − |a − b|); Pₑ is the agreement expected if each state
    cast its own mix of votes at random, with the same linear weights (Scott's pi, the variant,
    pools both states' votes). 1 is perfect agreement, 0 no more than chance, below 0 less than
    chance; a state that cast the same vote on every text gives 0 whatever the raw agreement.
    Shown with its n and a 95 % bootstrap interval over texts.

    ``chance="scott"`` gives Scott's pi."""
    sa, sb = _paired(a, b)
    if len(sa) == 0:
        return float("nan")
    return float(_kappa(sa, sb, chance)[1])


def agreement_interval(
    a,
    b,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    chance: str = "cohen",
) -> pd.Series:
    """Agreement index and weighted kappa of two aligned vote sequences with percentile
    bootstrap intervals: texts are resampled with replacement ``n_boot`` times (numpy
    ``default_rng(seed)``, so a seed gives the same interval every run). Returns ``n,
    agreement, agreement_low, agreement_high, kappa, kappa_low, kappa_high``."""
    sa, sb = _paired(a, b)
    n = len(sa)
    out = {"n": n}
    if n == 0:
        return pd.Series(
            out
            | dict.fromkeys(
                [
                    "agreement",
                    "agreement_low",
                    "agreement_high",
                    "kappa",
                    "kappa_low",
                    "kappa_high",
                ],
                float("nan"),
            )
        )
    po, k = _kappa(sa, sb, chance)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    bpo, bk = _kappa(sa[idx], sb[idx], chance)
    q = [(1 - level) / 2, 1 - (1 - level) / 2]
    alo, ahi = np.quantile(bpo, q)
    bk = bk[~np.isnan(bk)]
    klo, khi = np.quantile(bk, q) if len(bk) else (np.nan, np.nan)
    return pd.Series(
        out
        | {
            "agreement": float(po),
            "agreement_low": float(alo),
            "agreement_high": float(ahi),
            "kappa": float(k),
            "kappa_low": float(klo),
            "kappa_high": float(khi),
        }
    )


def _topic_ballots(votes, topic, texts, window, firm_only, electorate):
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts, topic=topic, window=window, what=f"{topic} texts")
    return b[b["text_id"].isin(ids)], ids


def pair_agreement(
    votes: pd.DataFrame,
    states: Sequence[str],
    *,
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
    only_with: str | None = None,
) -> pd.DataFrame:
    """Every pair of ``states`` on each topic (``only_with``: only the pairs that include that
    state): :func:`agreement_interval` (agreement index and weighted kappa, each with its
    bootstrap interval over texts, and n).

    Columns: ``topic, iso3_a, iso3_b, n, agreement, agreement_low, agreement_high, kappa,
    kappa_low, kappa_high, coverage_note``."""
    rows = []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        b, ids = _topic_ballots(votes, topic, sel, window, firm_only, electorate)
        w = b.pivot(index="text_id", columns="iso3", values="vote").reindex(columns=list(states))
        note = coverage_note(text_status(b), ids, firm_only=firm_only)
        for x, y in combinations(states, 2):
            if only_with is not None and only_with not in (x, y):
                continue  # each pair's interval is seeded alone: the others are unchanged
            r = agreement_interval(w[x], w[y], n_boot=n_boot, seed=seed)
            rows.append({"topic": topic, "iso3_a": x, "iso3_b": y, **r, "coverage_note": note})
    cols = ["topic", "iso3_a", "iso3_b", "n", "agreement", "agreement_low", "agreement_high"]
    cols += ["kappa", "kappa_low", "kappa_high", "coverage_note"]
    out = pd.DataFrame(rows, columns=cols)  # one state alone makes no pair: an empty table
    out["n"] = out["n"].astype(int)
    return out


def agreement_matrix(
    votes: pd.DataFrame,
    states: Sequence[str],
    *,
    topic: str,
    texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The square agreement-index matrix of ``states`` on a topic (diagonal 1; NaN where a pair
    shares no text), indexed and columned by ISO3: what a clustered heatmap draws."""
    b, _ids = _topic_ballots(votes, topic, texts, window, firm_only, electorate)
    pairs = any_pair_agreement(
        b[["text_id", "iso3", "vote"]].dropna(subset=["vote"]), key="text_id", states=states
    )
    m = pairs.pivot(index="iso3_a", columns="iso3_b", values="agreement")
    m = m.reindex(index=list(states), columns=list(states))
    m = m.combine_first(m.T)
    for s in states:
        m.loc[s, s] = 1.0
    return m


def bloc_cohesion(
    votes: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    blocs: Sequence[str],
    texts: Sequence[str] | None = None,
    topic: str | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Bloc cohesion on a text: the share of the bloc's members present (Yes, No or Abstain,
    membership on the vote's date) who cast the bloc's modal vote; non-voting members are
    counted apart, and a text where some member's vote is unknown is left out for that bloc.
    Over a topic it is the mean over its texts, shown with n (texts).

    One row per (text, bloc): ``text_id, date, topic, bloc, members, present, non_voting,
    modal_vote, modal, cohesion``."""
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ids = select_texts(b, texts, topic=topic, window=window)
    b = b[b["text_id"].isin(ids)]
    bm = bloc_membership(groups, b.drop_duplicates("text_id")[["text_id", "date"]], blocs)
    m = bm.rename(columns={"group": "bloc"}).merge(
        b[["text_id", "iso3", "vote", "date", "topic"]], on=["text_id", "iso3"]
    )
    keys = ["text_id", "bloc"]
    unknown = m.groupby(keys)["vote"].apply(lambda s: s.isna().any())
    c = (
        m.dropna(subset=["vote"])
        .groupby([*keys, "vote"], observed=False)
        .size()
        .unstack("vote", fill_value=0)
        .reindex(columns=list("YNAX"), fill_value=0)
    )
    c.columns = list("YNAX")
    present = c[["Y", "N", "A"]]
    out = pd.DataFrame(
        {
            "members": m.groupby(keys).size(),
            "present": present.sum(axis=1),
            "non_voting": c["X"],
            "modal_vote": present.idxmax(axis=1),
            "modal": present.max(axis=1),
        }
    )
    out = out[~unknown.reindex(out.index).fillna(True)]
    out["cohesion"] = out["modal"] / out["present"].where(out["present"] > 0)
    info = b.drop_duplicates("text_id").set_index("text_id")[["date", "topic"]]
    out = out.reset_index().merge(info.reset_index(), on="text_id")
    out["topic"] = out["topic"].astype(str)
    cols = ["text_id", "date", "topic", "bloc", "members", "present", "non_voting"]
    return out[cols + ["modal_vote", "modal", "cohesion"]]


def cohesion_by_topic(
    votes: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    blocs: Sequence[str],
    ukraine_texts: Sequence[str] | None = None,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Mean cohesion of each bloc on the Ukraine and on the Gaza texts: ``bloc, ukraine,
    ukraine_texts, gaza, gaza_texts, difference`` (Ukraine − Gaza) and ``differs`` (true where
    the two differ by :data:`COHESION_GAP` or more)."""
    parts = []
    for topic, sel in (("ukraine", ukraine_texts), ("gaza", gaza_texts)):
        ids = select_texts(votes, sel, topic=topic, window=window, what=f"{topic} texts")
        c = bloc_cohesion(
            votes,
            groups,
            blocs=blocs,
            texts=ids,
            firm_only=firm_only,
            electorate=electorate,
        )
        g = c.dropna(subset=["cohesion"]).groupby("bloc")["cohesion"]
        parts.append(pd.DataFrame({topic: g.mean(), f"{topic}_texts": g.size()}))
    out = parts[0].join(parts[1], how="outer")
    out["difference"] = out["ukraine"] - out["gaza"]
    out["differs"] = out["difference"].abs() >= COHESION_GAP
    return out.reset_index().sort_values("difference", key=abs, ascending=False, ignore_index=True)


DEFINITIONS = [
    ("Chance-corrected agreement", weighted_kappa),
    ("Bloc cohesion", bloc_cohesion),
]
