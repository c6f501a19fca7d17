"""Population and GDP per capita (PPP) per Member State and year, for weighting votes (DESIGN §4).

``data/reference/population.csv``: ``iso3, year, population, population_source,
gdp_per_capita_ppp, gdp_source`` — one row per Member State and year that the population source
covers. A value no source gives stays blank (never zero), and so does its source.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from unga_brief.core.errors import DataError, MalformedFile
from unga_brief.core.paths import Paths
from unga_brief.data.source_files import read_csv_strict

POPULATION_HEADER = ["iso3", "year", "population", "source"]
GDP_HEADER = ["iso3", "year", "gdp_per_capita_ppp", "source"]
COLUMNS = ["iso3", "year", "population", "population_source", "gdp_per_capita_ppp", "gdp_source"]


def _numbers(df: pd.DataFrame, col: str, name: str) -> None:
    """Every non-blank value a positive number, kept as written; blank stays blank."""
    for v, i, y in zip(df[col], df["iso3"], df["year"]):
        if v == "":
            continue
        try:
            x = float(v)
        except ValueError:
            raise MalformedFile(f"{name}: {i} {y}: {col} {v!r} is not a number") from None
        if not x > 0:
            raise MalformedFile(f"{name}: {i} {y}: {col} {v!r} is not a positive number")


def _read(src: Path, rel: str, header: list[str], value: str, members: set[str]) -> pd.DataFrame:
    df = read_csv_strict(src / rel, header, label=rel)
    bad = df[~df["year"].str.fullmatch(r"\d{4}")]
    if len(bad):
        raise MalformedFile(f"{rel}: year {bad['year'].iloc[0]!r} is not YYYY")
    dup = df.duplicated(["iso3", "year"])
    if dup.any():
        r = df[dup].iloc[0]
        raise DataError(f"{rel}: {r['iso3']} {r['year']} appears twice")
    _numbers(df, value, rel)
    # aggregates such as the world (WLD) are not Member States: kept out
    return df[df["iso3"].isin(members)]


def build_population(src: Path, spec: dict, member_states: pd.DataFrame) -> pd.DataFrame:
    """Curate the population (and, where given, GDP per capita PPP) files named in
    ``curation.yml`` (``reference: population, gdp_per_capita_ppp``)."""
    members = set(member_states["iso3"])
    pop = _read(src, spec["population"], POPULATION_HEADER, "population", members)
    years = sorted(pop["year"].unique())
    for y in years:
        lacking = sorted(members - set(pop.loc[pop["year"] == y, "iso3"]))
        if lacking:
            raise DataError(
                f"{spec['population']}: {y} has no population for {len(lacking)} Member "
                f"State(s): {', '.join(lacking[:5])}"
            )
    out = pop.rename(columns={"source": "population_source"})
    if spec.get("gdp_per_capita_ppp"):
        gdp = _read(src, spec["gdp_per_capita_ppp"], GDP_HEADER, "gdp_per_capita_ppp", members)
        out = out.merge(
            gdp.rename(columns={"source": "gdp_source"}), on=["iso3", "year"], how="left"
        )
    else:
        out = out.assign(gdp_per_capita_ppp="", gdp_source="")
    out = out.fillna("")
    return out[COLUMNS].sort_values(["iso3", "year"], ignore_index=True)


def load_population(paths: Paths | None = None) -> pd.DataFrame:
    """Population per Member State and year, typed: ``population`` and ``gdp_per_capita_ppp``
    Float64 (the World Bank gives some mid-year populations with a half), both missing (never zero) where no source gives a value."""
    paths = paths or Paths.default()
    p = paths.reference_dir / "population.csv"
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise MalformedFile(f"{p}: missing; run `unga-brief curate`") from None
    df["year"] = df["year"].astype(int)
    df["population"] = pd.to_numeric(df["population"].replace("", None)).astype("Float64")
    df["gdp_per_capita_ppp"] = pd.to_numeric(df["gdp_per_capita_ppp"].replace("", None)).astype(
        "Float64"
    )
    return df
