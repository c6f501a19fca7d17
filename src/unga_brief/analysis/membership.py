"""Group membership on a vote's date: which states count in a bloc for each text (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from unga_brief.core.errors import ParameterError


def bloc_membership(
    groups: pd.DataFrame, texts: pd.DataFrame, blocs: Sequence[str]
) -> pd.DataFrame:
    """``text_id, group, iso3``: who belongs to each bloc on each text's date (``texts`` has
    ``text_id`` or ``id``, and ``date``), vectorised. A membership counts from its ``since`` to
    its ``until`` (either blank = open). Where ``groups`` carries ``dated_from`` (the day from
    which the reference dates memberships), texts before it get no bloc rows (DESIGN §4)."""
    blocs = list(blocs)
    unknown = sorted(set(blocs) - set(groups["group"]))
    if unknown:
        raise ParameterError(
            f"unknown group(s) {', '.join(unknown)}; known: {', '.join(sorted(set(groups['group'])))}"
        )
    t = texts.rename(columns={"id": "text_id"})[["text_id", "date"]].drop_duplicates("text_id")
    day = pd.to_datetime(t["date"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    dated = pd.notna(day)
    d = np.where(dated, day, "").astype(str)[:, None]  # texts down, memberships across
    dated = dated[:, None]
    cols = ["group", "iso3", "since", "until"] + (["dated_from"] if "dated_from" in groups else [])
    g = groups[groups["group"].isin(blocs)][cols]

    def bound(c: str) -> np.ndarray:
        return np.asarray(g[c].fillna("").astype(str).tolist(), dtype=str)[None, :]

    # One text x membership grid of string comparisons (the dates are ISO strings), as the
    # cross merge did, without building the merged frame.
    since, until = bound("since"), bound("until")
    ok = ((since == "") | ((since <= d) & dated)) & ((until == "") | ((until >= d) & dated))
    if "dated_from" in g:
        start = bound("dated_from")
        ok &= (start == "") | ((start <= d) & dated)
    ti, gi = np.nonzero(ok)
    keys = [t["text_id"], g["group"], g["iso3"]]
    clean = not any(k.isna().any() for k in keys)
    if clean:
        # Sorted and de-duplicated on the codes of the sorted values (the same rows in the same
        # order as sorting the strings of every (text, member) row).
        tc, gc, ic = (pd.factorize(k, sort=True)[0] for k in keys)
        order = np.lexsort((ic[gi], gc[gi], tc[ti]))
        ti, gi = ti[order], gi[order]
        same = np.zeros(len(ti), dtype=bool)
        same[1:] = (tc[ti][1:] == tc[ti][:-1]) & (gc[gi][1:] == gc[gi][:-1])
        same[1:] &= ic[gi][1:] == ic[gi][:-1]
        ti, gi = ti[~same], gi[~same]
    out = pd.DataFrame(
        {
            "text_id": t["text_id"].iloc[ti].reset_index(drop=True),
            "group": g["group"].iloc[gi].reset_index(drop=True),
            "iso3": g["iso3"].iloc[gi].reset_index(drop=True),
        }
    )
    if clean:
        return out
    return out.drop_duplicates().sort_values(["text_id", "group", "iso3"], ignore_index=True)


def undated_texts(groups: pd.DataFrame | None, texts: pd.DataFrame) -> list[str]:
    """The texts dated before the reference dates group memberships (no bloc figures)."""
    if groups is None or "dated_from" not in groups or groups.empty:
        return []
    start = pd.Timestamp(str(groups["dated_from"].iloc[0]))
    t = texts.rename(columns={"id": "text_id"}).drop_duplicates("text_id")
    return sorted(t.loc[pd.to_datetime(t["date"]) < start, "text_id"])


def scope_membership(
    ballots_frame: pd.DataFrame,
    groups: pd.DataFrame | None,
    blocs: Sequence[str] | None = None,
    *,
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """``text_id, scope_type, scope, iso3``: all states, each UN regional group, and each bloc
    (membership on the text's date; see :func:`bloc_membership`) among those entitled to vote
    on the text. ``blocs=None`` takes every group in ``groups``. ``carry``: columns of the
    ballots frame (e.g. ``vote``) added to each row, as merging the result with the frame on
    ``text_id, iso3`` would (same rows, same order), without that merge."""
    carry = [c for c in carry if c not in ("text_id", "iso3")]
    cols = ["text_id", "scope_type", "scope", "iso3", *carry]
    b = ballots_frame[list(dict.fromkeys(["text_id", "iso3", "group_short", "date", *carry]))]
    parts = [
        b.assign(scope_type="all", scope="All members")[cols],
        b.assign(scope_type="regional group", scope=b["group_short"].astype(str))[cols],
    ]
    if groups is not None and blocs is None:
        blocs = sorted(set(groups["group"]))
    if groups is not None and len(blocs):
        texts = b.drop_duplicates("text_id")
        bm = bloc_membership(groups, texts, blocs)
        bm = bm.merge(b[["text_id", "iso3", *carry]], on=["text_id", "iso3"], how="inner")
        parts.append(bm.rename(columns={"group": "scope"}).assign(scope_type="bloc")[cols])
    return pd.concat(parts, ignore_index=True)
