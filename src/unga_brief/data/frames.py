"""The curated data as the analysis reads it, loaded in one place.

:func:`load_frames` reads the catalogue, the Member States, the dated group memberships (with
the day from which the reference dates them, ``dated_from``), the Council seats, the tidy votes
and the electorate of every text. Notebooks (through the context), the measures' tests and the
benchmark all load through it, so that every reader sees the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import yaml

from unga_brief.core.errors import MalformedFile
from unga_brief.core.paths import Paths
from unga_brief.core.yaml_reader import read_yaml


@dataclass(frozen=True)
class Frames:
    catalog: pd.DataFrame
    members: pd.DataFrame
    groups: pd.DataFrame
    council: pd.DataFrame
    votes: pd.DataFrame
    electorate: pd.DataFrame


def memberships_dated_from(paths: Paths) -> str:
    """The day from which the reference dates group memberships (``data/curation.yml``,
    ``group_memberships_dated_from``): bloc figures start there (DESIGN §4)."""
    p = paths.curation_yml
    try:
        rules = read_yaml(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise MalformedFile(f"{p}: cannot read ({e})") from None
    value = rules.get("group_memberships_dated_from") if isinstance(rules, dict) else None
    if not value:
        raise MalformedFile(f"{p}: group_memberships_dated_from is missing")
    return pd.Timestamp(str(value)).strftime("%Y-%m-%d")


def dated_groups(groups: pd.DataFrame, dated_from: str) -> pd.DataFrame:
    """The group memberships with the day from which they are dated on every row."""
    return groups.assign(dated_from=dated_from)


def load_frames(paths: Paths) -> Frames:
    """Read every frame the analysis needs from ``data/``."""
    from unga_brief.data.catalog import load_catalog
    from unga_brief.data.electorate import electorate
    from unga_brief.data.members import load_council, load_groups, load_members
    from unga_brief.data.votes import tidy_votes

    catalog = load_catalog(paths)
    members = load_members(paths)
    council = load_council(paths)
    return Frames(
        catalog=catalog,
        members=members,
        groups=dated_groups(load_groups(paths), memberships_dated_from(paths)),
        council=council,
        votes=tidy_votes(paths, catalog=catalog, members=members),
        electorate=electorate(catalog, members, council),
    )
