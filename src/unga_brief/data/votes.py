"""One call gives the tidy votes joined to the catalogue and the Member States.

``tidy_votes(paths)`` -> one row per (text, country) with categorical ``vote`` (Y, N, A, X) and
``basis`` (record, list, derived, named), the text's metadata (date, body, kind, topic, series,
coverage, complete_lists) and the country's names and UN regional group. Group (bloc) membership
is judged on each vote's date with :func:`unga_brief.analysis.membership.bloc_membership`.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.core.paths import Paths
from unga_brief.core.vocab import BASES, FIRM_BASES, VOTES
from unga_brief.data.catalog import load_catalog
from unga_brief.data.members import load_members
from unga_brief.data.validate import load_votes_raw

TEXT_COLUMNS = [
    "id",
    "symbol",
    "label",
    "body",
    "kind",
    "topic",
    "series",
    "date",
    "short_title",
    "coverage",
    "complete_lists",
    "adopted",
    "vetoed_by",
]
MEMBER_COLUMNS = ["iso3", "un_name", "display_name", "un_regional_group", "group_short"]


def tidy_votes(
    paths: Paths | None = None,
    *,
    catalog: pd.DataFrame | None = None,
    members: pd.DataFrame | None = None,
    votes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Long, typed, joined votes: ``text_id, iso3, vote, basis, source`` + text + member columns.

    Frames can be passed in (tests, fixtures); otherwise they are read from ``paths``.
    """
    paths = paths or Paths.default()
    catalog = load_catalog(paths) if catalog is None else catalog
    members = load_members(paths) if members is None else members
    votes = load_votes_raw(paths) if votes is None else votes
    t = catalog[TEXT_COLUMNS].rename(columns={"id": "text_id"})
    out = (
        votes[["text_id", "iso3", "vote", "basis", "source"]]
        .merge(t, on="text_id", how="left", validate="many_to_one")
        .merge(members[MEMBER_COLUMNS], on="iso3", how="left", validate="many_to_one")
    )
    out["vote"] = pd.Categorical(out["vote"], categories=list(VOTES))
    out["basis"] = pd.Categorical(out["basis"], categories=list(BASES))
    for c in ("body", "kind", "topic", "series", "coverage", "group_short", "un_regional_group"):
        out[c] = out[c].astype("category")
    return out.sort_values(["date", "text_id", "iso3"], ignore_index=True)


def firm_only(votes: pd.DataFrame) -> pd.DataFrame:
    """Only votes whose basis is ``record`` or ``list`` (to check a finding holds without
    derived and news-named rows)."""
    return votes[votes["basis"].isin(FIRM_BASES)]


def write_parquet(paths: Paths, df: pd.DataFrame) -> None:
    """Cache the tidy frame as build/votes.parquet (DESIGN §2)."""
    paths.build.mkdir(parents=True, exist_ok=True)
    df.to_parquet(paths.build / "votes.parquet", index=False)
