"""Who moved with the US on Ukraine from February 2025 (issue 16, item 7).

:func:`moved_with_us` classifies every state; :func:`movement_crosstab` sets the classes against
the states' Gaza profiles (:func:`unga_brief.analysis.hedging.country_profiles`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, coverage_note, narrow, text_status
from unga_brief.analysis.hedging import country_profiles
from unga_brief.analysis.text_selection import select_texts
from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import US, VOTE_SCORE

MOVES = ("toward the US", "away from the US", "no move", "unknown earlier", "unknown later")


#: The change of US posture the movement is measured from: the month of its first No with Russia
#: on a Ukraine text (24 Feb 2025), as the issue frames the question.
MOVEMENT_FROM = "2025-02-01"


def moved_with_us(
    votes: pd.DataFrame,
    *,
    ukraine_texts: Sequence[str] | None = None,
    since: str = MOVEMENT_FROM,
    earlier: tuple = ("2022-01-01", "2024-12-31"),
    until: str | None = None,
    min_move: float = 0.25,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Moved with the US: on each Ukraine text from February 2025, a state's distance from the
    US vote is |its score − the US score| (Yes = 1, Abstain = 0.5, No = 0). Its earlier
    distance is the same measured from its mean score on the 2022–24 Ukraine texts. A state
    moved toward the US when its distance, averaged over the later texts, is smaller than the
    earlier one by at least a quarter of the scale (half a step from Yes to Abstain), and away from it when larger by as much; otherwise it did not move. Non-voting
    is not scored. A state with no scored earlier vote, or none later, is counted apart
    ("unknown earlier" / "unknown later"), never as unmoved.

    One row per state: ``iso3, display_name, earlier_texts, earlier_score, later_texts,
    later_distance, earlier_distance, move`` (earlier − later distance), ``moved``,
    ``coverage_note``."""
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    ga = narrow(b, "body", "kind", "topic")  # the columns read below, before rows are taken
    ga = ga[ga["body"] == "GA"]
    after = select_texts(ga, ukraine_texts, topic="ukraine", window=(since, until))
    before = select_texts(ga, ukraine_texts, topic="ukraine", window=earlier)
    if US not in set(ga["iso3"]):
        raise ParameterError("the United States is not among the voters")
    s = ga.assign(score=ga["vote"].astype(object).map(VOTE_SCORE).astype(float))
    w = s.pivot(index="iso3", columns="text_id", values="score")
    us = w.loc[US, after]
    scored_after = [t for t in after if pd.notna(us[t])]
    if not scored_after:
        raise ParameterError("the US cast no Yes, No or Abstain on the Ukraine texts selected")
    prior = w[before]
    late = w[scored_after]
    earlier_score = prior.mean(axis=1)
    later_distance = (late - us[scored_after]).abs().mean(axis=1)
    mask = late.notna().to_numpy()
    gap = np.abs(earlier_score.to_numpy()[:, None] - us[scored_after].to_numpy()[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        earlier_distance = (gap * mask).sum(axis=1) / np.where(
            mask.any(axis=1), mask.sum(axis=1), np.nan
        )
    out = pd.DataFrame(
        {
            "earlier_texts": prior.notna().sum(axis=1),
            "earlier_score": earlier_score,
            "later_texts": late.notna().sum(axis=1),
            "later_distance": later_distance,
            "earlier_distance": earlier_distance,
        },
        index=w.index,
    )
    out["move"] = out["earlier_distance"] - out["later_distance"]
    out["moved"] = np.select(
        [
            out["earlier_texts"] == 0,
            out["later_texts"] == 0,
            out["move"] >= min_move,
            out["move"] <= -min_move,
        ],
        ["unknown earlier", "unknown later", "toward the US", "away from the US"],
        default="no move",
    )
    out = out.drop(index=US)
    names = b.drop_duplicates("iso3").set_index("iso3")["display_name"]
    out.insert(0, "display_name", names.reindex(out.index))
    st = text_status(ga[ga["text_id"].isin(before + after)])
    out["coverage_note"] = coverage_note(st, before + after, firm_only=firm_only)
    return out.reset_index()


def movement_crosstab(
    moved: pd.DataFrame,
    votes: pd.DataFrame,
    *,
    gaza_texts: Sequence[str] | None = None,
    window: tuple | None = None,
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
    profiles: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The classes of :func:`moved_with_us` against each state's Gaza profile: ``moved,
    gaza_profile, states, names``. ``profiles``: a
    :func:`~unga_brief.analysis.hedging.country_profiles` frame of the same votes, Gaza texts,
    window and ``firm_only`` where the caller has it already (only its Gaza rows are read)."""
    prof = (
        profiles
        if profiles is not None
        else country_profiles(
            votes, gaza_texts=gaza_texts, window=window, firm_only=firm_only, electorate=electorate
        )
    )
    gaza = prof[prof["topic"] == "gaza"][["iso3", "profile"]].rename(
        columns={"profile": "gaza_profile"}
    )
    m = moved.merge(gaza, on="iso3", how="left")
    m["gaza_profile"] = m["gaza_profile"].fillna("no known vote")
    out = (
        m.sort_values("display_name")
        .groupby(["moved", "gaza_profile"])
        .agg(states=("iso3", "size"), names=("display_name", ", ".join))
        .reset_index()
    )
    order = {k: i for i, k in enumerate(MOVES)}
    return out.sort_values(
        ["moved", "states"], key=lambda c: c.map(order) if c.name == "moved" else -c
    ).reset_index(drop=True)


DEFINITIONS = [("Moved with the US", moved_with_us)]
