"""Every definition of DESIGN §4 in one place.

The docstrings of the definition functions (``abstention_rate``, ``coincidence_votes_only``,
``coincidence_2017``, ``coincidence_2021``, ``agreement_index``, ``switch_kind``,
``vote_profile``, ``is_hedger``, ``is_reverse_hedger``, ``us_isolation_count``,
``group_membership_rule``, ``known_vote_rule``) are quoted verbatim in the briefing's
methodology section: :func:`definitions` returns them as a table.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import pandas as pd

from unga_brief.core.errors import ParameterError
from unga_brief.core.vocab import (
    COINCIDENCE_METHODS,
    VOTE_CODES,
    VOTE_SCORE,
)

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
    non_voting_vs_vote: int  # one non-voting, the other Yes or No
    non_voting_vs_abstain: int  # one non-voting, the other Abstain or non-voting
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
        return "non_voting_vs_vote" if other in "YN" else "non_voting_vs_abstain"
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
        excluded = t.both_abstain + t.partial + t.non_voting_vs_vote + t.non_voting_vs_abstain
    elif method == "state_2017":
        same, opposite, partial = t.identical + t.both_abstain, t.opposite, t.partial
        excluded = t.non_voting_vs_vote + t.non_voting_vs_abstain
    elif method == "state_2021":
        same = t.identical + t.both_abstain + t.non_voting_vs_abstain
        opposite, partial, excluded = t.opposite, t.partial + t.non_voting_vs_vote, 0
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
