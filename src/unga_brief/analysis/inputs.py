"""The frames every analysis function needs, read once (tests and benchmarks use this)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from unga_brief.core.paths import Paths

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
