"""Member States, group memberships (dated), suspensions and Security Council seats.

Built by ``curate`` from the reference sources into ``data/reference/``; loaded from there by
everything else. Membership is judged on the vote's date (DESIGN §4): a state belongs to a group
on date d when ``since`` is blank or ≤ d and ``until`` is blank or ≥ d.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from unga_brief.core.errors import DataError, MalformedFile, UnknownCountry
from unga_brief.core.paths import Paths
from unga_brief.data.source_files import read_csv_strict

MEMBER_HEADER = ["iso3", "un_name", "un_regional_group", "m49_region", "m49_subregion", "source"]
OBSERVER_HEADER = ["iso3", "un_name", "status", "m49_region", "m49_subregion", "source"]
GROUP_HEADER = ["group", "iso3", "since", "until", "source"]
SUSPENSION_HEADER = ["group", "iso3", "suspended_since", "suspended_until", "source"]
COUNCIL_HEADER = ["year", "iso3", "permanent", "source"]
TILE_HEADER = ["iso3", "name", "col", "row"]

#: Short labels of the UN regional groups, used in tables and charts.
REGIONAL_GROUP_SHORT = {
    "African States": "African",
    "Asia-Pacific States": "Asia-Pacific",
    "Eastern European States": "Eastern European",
    "Latin American and Caribbean States": "GRULAC",
    "Western European and other States": "WEOG",
}

_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _partial_date(value: str, *, end: bool, where: str) -> tuple[str, str]:
    """'2021' -> ('2021-01-01', 'year'); '2021-10' -> ('2021-10-01', 'month'); ISO day as is.

    With ``end=True`` a year or month gives its last day (a suspension lifted 'in 2023' counts
    as lasting through 2023).
    """
    if value == "":
        return "", ""
    if not _DATE_RE.match(value):
        raise DataError(f"{where}: date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if len(value) == 10:
        pd.Timestamp(value)
        return value, "day"
    if len(value) == 7:
        start = pd.Timestamp(value + "-01")
        d = (start + pd.offsets.MonthEnd(0)) if end else start
        return d.strftime("%Y-%m-%d"), "month"
    d = pd.Timestamp(f"{value}-12-31" if end else f"{value}-01-01")
    return d.strftime("%Y-%m-%d"), "year"


def display_name(iso3: str, un_name: str, overrides: dict[str, str]) -> str:
    """Short name for charts: an override, else the UN name without a trailing parenthesis."""
    if iso3 in overrides:
        return overrides[iso3]
    return re.sub(r"\s*\([^)]*\)$", "", un_name)


def build_reference(src: Path, spec: dict, rules: dict) -> dict[str, pd.DataFrame]:
    """Read the reference sources and return the curated reference tables.

    Returns frames ``member_states``, ``groups`` (Member States only), ``non_members`` (codes in
    the group lists that are not Member States: observers, the EU, the AU, SADR), ``suspensions``,
    ``council_members`` and ``tile_grid``.
    """
    ms = read_csv_strict(src / spec["member_states"], MEMBER_HEADER, label=spec["member_states"])
    if ms["iso3"].duplicated().any():
        raise DataError(
            f"{spec['member_states']}: duplicated iso3 {ms['iso3'][ms['iso3'].duplicated()].tolist()}"
        )
    if len(ms) != 193:
        raise DataError(f"{spec['member_states']}: {len(ms)} Member States, expected 193")
    overrides = rules.get("display_names", {})
    unknown = sorted(set(overrides) - set(ms["iso3"]))
    if unknown:
        raise UnknownCountry(f"curation.yml display_names: not Member States: {', '.join(unknown)}")
    ms = ms.assign(
        display_name=[display_name(i, n, overrides) for i, n in zip(ms["iso3"], ms["un_name"])]
    )
    ms = ms.assign(group_short=ms["un_regional_group"].map(REGIONAL_GROUP_SHORT))
    if ms["group_short"].isna().any():
        bad = ms.loc[ms["group_short"].isna(), "un_regional_group"].unique().tolist()
        raise DataError(f"{spec['member_states']}: unknown UN regional group(s) {bad}")
    members = ms[
        [
            "iso3",
            "un_name",
            "display_name",
            "un_regional_group",
            "group_short",
            "m49_region",
            "m49_subregion",
            "source",
        ]
    ].sort_values("iso3", ignore_index=True)
    member_set = set(members["iso3"])

    obs = read_csv_strict(src / spec["observers"], OBSERVER_HEADER, label=spec["observers"])
    groups = read_csv_strict(src / spec["groups"], GROUP_HEADER, label=spec["groups"])
    for col, end in (("since", False), ("until", True)):
        vals = [
            _partial_date(v, end=end, where=f"{spec['groups']} {g}/{i}")[0]
            for v, g, i in zip(groups[col], groups["group"], groups["iso3"])
        ]
        groups[col] = vals
    if groups.duplicated(["group", "iso3", "since"]).any():
        raise DataError(f"{spec['groups']}: duplicated group membership rows")
    is_member = groups["iso3"].isin(member_set)
    non_member_rows = groups[~is_member]
    known_non = {
        **{r.iso3: r.un_name for r in obs.itertuples()},
        "EU": "European Union",
        "AU": "African Union",
        "ESH": "Sahrawi Arab Democratic Republic",
    }
    stray = sorted(set(non_member_rows["iso3"]) - set(known_non))
    if stray:
        raise UnknownCountry(
            f"{spec['groups']}: codes neither Member States nor known non-members: {stray}"
        )
    non_members = (
        non_member_rows.groupby("iso3")["group"]
        .apply(lambda s: " ".join(sorted(s)))
        .rename("groups")
        .reset_index()
        .rename(columns={"iso3": "code"})
    )
    non_members["name"] = non_members["code"].map(known_non)
    non_members["kind"] = non_members["code"].map(
        lambda c: (
            "observer State"
            if c in set(obs["iso3"])
            else (
                "non-state G20 member" if c in ("EU", "AU") else "AU member, not a UN Member State"
            )
        )
    )
    obs_only = obs[~obs["iso3"].isin(non_members["code"])]
    non_members = pd.concat(
        [
            non_members,
            pd.DataFrame(
                {
                    "code": obs_only["iso3"],
                    "groups": "",
                    "name": obs_only["un_name"],
                    "kind": "observer State",
                }
            ),
        ],
        ignore_index=True,
    )[["code", "name", "kind", "groups"]].sort_values("code", ignore_index=True)
    groups = groups[is_member].sort_values(["group", "iso3", "since"], ignore_index=True)

    sus = read_csv_strict(src / spec["suspensions"], SUSPENSION_HEADER, label=spec["suspensions"])
    out = []
    for r in sus.itertuples():
        where = f"{spec['suspensions']} {r.group}/{r.iso3}"
        if r.iso3 not in member_set:
            raise UnknownCountry(f"{where}: {r.iso3} is not a Member State")
        s, sp = _partial_date(r.suspended_since, end=False, where=where)
        u, up = _partial_date(r.suspended_until, end=True, where=where)
        out.append(
            {
                "group": r.group,
                "iso3": r.iso3,
                "suspended_since": s,
                "since_precision": sp,
                "suspended_until": u,
                "until_precision": up,
                "source": r.source,
            }
        )
    suspensions = pd.DataFrame(out).sort_values(["group", "iso3"], ignore_index=True)

    council = read_csv_strict(
        src / spec["council_members"], COUNCIL_HEADER, label=spec["council_members"]
    )
    bad = sorted(set(council["iso3"]) - member_set)
    if bad:
        raise UnknownCountry(f"{spec['council_members']}: not Member States: {bad}")
    council["year"] = council["year"].astype(int)
    sizes = council.groupby("year").size()
    if (sizes != 15).any():
        raise DataError(
            f"{spec['council_members']}: years without 15 members: {sizes[sizes != 15].to_dict()}"
        )
    council["permanent"] = council["permanent"].map({"True": True, "False": False})
    council = council.sort_values(["year", "iso3"], ignore_index=True)

    tiles = read_csv_strict(src / spec["tile_grid"], TILE_HEADER, label=spec["tile_grid"])
    tiles["col"] = tiles["col"].astype(int)
    tiles["row"] = tiles["row"].astype(int)
    tiles = tiles[tiles["iso3"].isin(member_set)].assign(placed_by="source layout")
    taken = set(zip(tiles["col"], tiles["row"]))
    added = []
    for iso3, p in sorted(rules.get("tile_placements", {}).items()):
        if iso3 not in member_set:
            raise UnknownCountry(f"curation.yml tile_placements: {iso3} is not a Member State")
        if iso3 in set(tiles["iso3"]):
            raise DataError(f"curation.yml tile_placements: {iso3} already has a square")
        if (p["col"], p["row"]) in taken:
            raise DataError(
                f"curation.yml tile_placements: square {p['col']},{p['row']} for {iso3} is taken"
            )
        taken.add((p["col"], p["row"]))
        added.append(
            {
                "iso3": iso3,
                "col": p["col"],
                "row": p["row"],
                "placed_by": f"curation.yml: {p.get('beside', '')}".strip(),
            }
        )
    tiles = pd.concat(
        [tiles[["iso3", "col", "row", "placed_by"]], pd.DataFrame(added)], ignore_index=True
    )
    missing = sorted(member_set - set(tiles["iso3"]))
    if missing:
        raise DataError(f"tile grid: Member States without a square: {missing}")
    tiles = tiles.sort_values("iso3", ignore_index=True)
    out = {
        "member_states": members,
        "groups": groups,
        "non_members": non_members,
        "suspensions": suspensions,
        "council_members": council,
        "tile_grid": tiles,
    }
    if spec.get("population"):
        from unga_brief.data.population import build_population

        out["population"] = build_population(src, spec, members)
    return out


# --- loading the curated reference ------------------------------------------------------------


def _read_reference(paths: Paths, name: str) -> pd.DataFrame:
    p = paths.reference_dir / f"{name}.csv"
    try:
        return pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MalformedFile(f"{p}: missing; run `unga-brief curate`") from None


def load_members(paths: Paths) -> pd.DataFrame:
    """The 193 Member States: iso3, un_name, display_name, un_regional_group, group_short, m49."""
    return _read_reference(paths, "member_states")


def load_groups(paths: Paths) -> pd.DataFrame:
    """Dated group memberships of Member States: group, iso3, since, until (ISO or blank)."""
    return _read_reference(paths, "groups")


def load_suspensions(paths: Paths) -> pd.DataFrame:
    return _read_reference(paths, "suspensions")


def load_council(paths: Paths) -> pd.DataFrame:
    c = _read_reference(paths, "council_members")
    return c.assign(year=c["year"].astype(int), permanent=c["permanent"] == "True")


def load_tiles(paths: Paths) -> pd.DataFrame:
    t = _read_reference(paths, "tile_grid")
    return t.assign(col=t["col"].astype(int), row=t["row"].astype(int))


def load_non_members(paths: Paths) -> pd.DataFrame:
    return _read_reference(paths, "non_members")
