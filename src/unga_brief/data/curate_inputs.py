"""Reading the gathered sources for ``curate``: the rules (``data/curation.yml``), the country
vote files and the official totals, each strictly (:mod:`unga_brief.data.source_files`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import yaml

from unga_brief.core.errors import (
    BadDate,
    BadVoteCode,
    DuplicateVote,
    MalformedFile,
    UnknownText,
)
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import BODIES, KINDS, TOTAL_FIELDS, VOTES
from unga_brief.core.yaml_reader import read_yaml
from unga_brief.data.source_files import TOTALS_HEADER, VOTE_HEADER, read_csv_strict
from unga_brief.data.vote_merge import BASIS_BY_RANK


def load_rules(paths: Paths) -> dict:
    p = paths.curation_yml
    try:
        return read_yaml(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MalformedFile(f"{p}: missing") from None
    except yaml.YAMLError as e:
        raise MalformedFile(f"{p}: not valid YAML ({e})") from None


# --- load inputs ------------------------------------------------------------------------------


def read_vote_inputs(src: Path, rules: dict, labels: dict[str, str]) -> pd.DataFrame:
    """Every vote row of every input file, with its text id, rank and basis.

    Refuses (with file and line): an unknown text label, a vote code outside Y/N/A/X, a date
    that does not parse, the same country twice for one text in one file.
    """
    derived = re.compile(rules.get("derived_pattern", "^derived:"))
    frames = []
    for order, spec in enumerate(rules["inputs"]["votes"]):
        name = spec["file"]
        df = read_csv_strict(src / name, VOTE_HEADER, label=name)
        if df.empty:
            continue
        df = df.assign(file=name, line=range(2, len(df) + 2), order=order, body=spec["body"])
        for r in df[~df["symbol"].isin(labels)].head(1).itertuples():
            raise UnknownText(
                f"{name}:{r.line}: text label {r.symbol!r} is not in data/catalog/texts.yml"
            )
        for r in df[~df["vote"].isin(VOTES)].head(1).itertuples():
            raise BadVoteCode(
                f"{name}:{r.line}: vote {r.vote!r} for {r.iso3} on {r.symbol}; expected Y, N, A or X"
            )
        bad = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce").isna()
        if bad.any():
            r = df[bad].iloc[0]
            raise BadDate(f"{name}:{r.line}: date {r.date!r} for {r.symbol} is not YYYY-MM-DD")
        dup = df.duplicated(["symbol", "iso3"], keep=False)
        if dup.any():
            d = df[dup].iloc[:2]
            raise DuplicateVote(
                f"{name}: {d.iloc[0].symbol}: {d.iloc[0].iso3} appears twice (lines {d.iloc[0].line} and {d.iloc[1].line})"
            )
        rank = pd.Series(spec["rank"], index=df.index)
        for lab, rk in (spec.get("rank_by_label") or {}).items():
            rank[df["symbol"] == lab] = rk
        for prefix, rk in (spec.get("rank_by_citation_prefix") or {}).items():
            rank[df["source"].str.startswith(prefix)] = rk
        basis = rank.map(BASIS_BY_RANK)
        basis[df["source"].str.contains(derived)] = "derived"
        frames.append(
            df.assign(text_id=df["symbol"].map(labels), rank=rank.astype(int), basis=basis).rename(
                columns={"symbol": "label", "source": "citation"}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _int_or_na(value: str, where: str):
    if value == "":
        return pd.NA
    try:
        n = int(float(value))
    except ValueError:
        raise MalformedFile(f"{where}: {value!r} is not a whole number") from None
    if n < 0 or n != float(value):
        raise MalformedFile(f"{where}: {value!r} is not a whole number ≥ 0")
    return n


def read_totals_inputs(src: Path, rules: dict, labels: dict[str, str]) -> pd.DataFrame:
    """Every totals row of every totals file, in precedence order."""
    frames = []
    for order, name in enumerate(rules["inputs"]["totals"]):
        df = read_csv_strict(src / name, TOTALS_HEADER, label=name)
        df = df.assign(file=name, line=range(2, len(df) + 2), order=order)
        for r in df.itertuples():
            if r.symbol not in labels:
                raise UnknownText(
                    f"{name}:{r.line}: text label {r.symbol!r} is not in data/catalog/texts.yml"
                )
            if pd.isna(pd.to_datetime(r.date, format="%Y-%m-%d", errors="coerce")):
                raise BadDate(f"{name}:{r.line}: date {r.date!r} for {r.symbol} is not YYYY-MM-DD")
            if r.body not in BODIES:
                raise MalformedFile(f"{name}:{r.line}: body {r.body!r} is not GA or SC")
            if r.kind not in KINDS:
                raise MalformedFile(f"{name}:{r.line}: kind {r.kind!r} not in {sorted(KINDS)}")
        for f in TOTAL_FIELDS:
            df[f] = [_int_or_na(v, f"{name}:{ln}: {f}") for v, ln in zip(df[f], df["line"])]
        dup = df.duplicated("symbol", keep=False)
        if dup.any():
            raise MalformedFile(f"{name}: text {df[dup].iloc[0].symbol} has two totals rows")
        frames.append(
            df.assign(text_id=df["symbol"].map(labels)).rename(
                columns={"symbol": "label", "source": "citation"}
            )
        )
    return pd.concat(frames, ignore_index=True)
