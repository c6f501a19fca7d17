"""Briefing parameters (DESIGN §5): defaults, loading, validation and resolution.

A bad parameter raises :class:`~unga_brief.errors.ParameterError` naming it, before any
notebook executes (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .errors import ParameterError
from .measures import COINCIDENCE_METHODS, DEFAULT_BLOCS
from .paths import Paths

FORMATS = ("html", "pdf")

#: The defaults of DESIGN §5 (params.yaml repeats them; a test keeps the two equal).
DEFAULTS: dict = {
    "ukraine_texts": "default",
    "gaza_texts": "default",
    "hedger_series": {"ukraine": "es11", "gaza": "es10"},
    "switch_series": ["es11", "es10"],
    "focus_countries": [
        "USA",
        "RUS",
        "CHN",
        "IND",
        "BRA",
        "ZAF",
        "TUR",
        "SAU",
        "IDN",
        "DEU",
        "FRA",
        "GBR",
    ],
    "blocs": list(DEFAULT_BLOCS),
    "window": ["2022-01-01", "2026-12-31"],
    "coincidence_method": "state_2017",
    "report_title": "Abstaining on Ukraine, voting on Gaza: the UN record and the US posture, 2022-2026",
    "report_date": "",
    "formats": ["html", "pdf"],
}

#: Start of the Gaza default set: the texts after 7 October 2023.
GAZA_DEFAULT_SINCE = "2023-10-01"


@dataclass(frozen=True)
class Params:
    """Validated parameters with the text sets resolved to catalogue ids (date order)."""

    ukraine_texts: list[str]
    gaza_texts: list[str]
    hedger_series: dict[str, str]
    switch_series: list[str]
    focus_countries: list[str]
    blocs: list[str]
    window: tuple[pd.Timestamp, pd.Timestamp]
    coincidence_method: str
    report_title: str
    report_date: str
    formats: list[str]

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["window"] = [w.strftime("%Y-%m-%d") for w in self.window]
        return d


def load_params_file(path: Path | str | None, paths: Paths | None = None) -> dict:
    """Read a params YAML (default: the project's params.yaml) merged over DEFAULTS."""
    p = Path(path) if path else (paths or Paths.default()).params_yaml
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParameterError(f"parameters file {p} not found") from None
    except yaml.YAMLError as e:
        raise ParameterError(
            f"parameters file {p} is not valid YAML ({str(e).splitlines()[0]})"
        ) from None
    if not isinstance(raw, dict):
        raise ParameterError(f"parameters file {p}: expected a mapping of name: value")
    return {**DEFAULTS, **raw}


def _list_of_str(name: str, value) -> list[str]:
    if (
        isinstance(value, str)
        or not isinstance(value, list)
        or not all(isinstance(v, str) for v in value)
    ):
        raise ParameterError(f"parameter {name}: expected a list of strings, got {value!r}")
    return value


def _date(name: str, value) -> pd.Timestamp:
    try:
        return pd.Timestamp(str(value))
    except (ValueError, TypeError):
        raise ParameterError(f"parameter {name}: {value!r} is not a date (YYYY-MM-DD)") from None


def default_texts(
    catalog: pd.DataFrame, topic: str, window: tuple[pd.Timestamp, pd.Timestamp]
) -> list[str]:
    """The default text set of a topic: GA resolutions and decisions in the window (Gaza: from
    October 2023)."""
    start = max(window[0], pd.Timestamp(GAZA_DEFAULT_SINCE)) if topic == "gaza" else window[0]
    c = catalog[
        (catalog["body"] == "GA")
        & (catalog["topic"] == topic)
        & catalog["kind"].isin(["resolution", "decision"])
        & (catalog["date"] >= start)
        & (catalog["date"] <= window[1])
    ]
    return c.sort_values(["date", "id"])["id"].tolist()


def resolve(
    raw: dict, catalog: pd.DataFrame, members: pd.DataFrame, groups: pd.DataFrame
) -> Params:
    """Validate every parameter against the data and resolve the defaults."""
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ParameterError(
            f"unknown parameter(s): {', '.join(unknown)} (known: {', '.join(DEFAULTS)})"
        )
    win = raw["window"]
    if not isinstance(win, list | tuple) or len(win) != 2:
        raise ParameterError(f"parameter window: expected [start, end], got {win!r}")
    window = (_date("window", win[0]), _date("window", win[1]))
    if window[0] > window[1]:
        raise ParameterError(
            f"parameter window: empty window, start {win[0]} is after end {win[1]}"
        )
    in_window = catalog[(catalog["date"] >= window[0]) & (catalog["date"] <= window[1])]
    if in_window.empty:
        raise ParameterError(
            f"parameter window: empty window, no text voted between {win[0]} and {win[1]}"
        )

    ids = set(catalog["id"])
    texts = {}
    for topic in ("ukraine", "gaza"):
        name = f"{topic}_texts"
        v = raw[name]
        if v == "default":
            chosen = default_texts(catalog, topic, window)
        else:
            chosen = _list_of_str(name, v)
            bad = [i for i in chosen if i not in ids]
            if bad:
                raise ParameterError(
                    f"parameter {name}: unknown text id(s) {', '.join(bad)} (see data/catalog/catalog.csv)"
                )
            wrong = catalog[catalog["id"].isin(chosen) & (catalog["topic"] != topic)]["id"].tolist()
            if wrong:
                raise ParameterError(f"parameter {name}: not {topic} texts: {', '.join(wrong)}")
        if not chosen:
            raise ParameterError(
                f"parameter {name}: no {topic} text in the window {win[0]}..{win[1]}"
            )
        order = catalog.set_index("id")["date"]
        texts[topic] = sorted(chosen, key=lambda i: (order[i], i))

    series = set(catalog["series"])
    hs = raw["hedger_series"]
    if not isinstance(hs, dict) or set(hs) != {"ukraine", "gaza"}:
        raise ParameterError(
            f"parameter hedger_series: expected {{ukraine: SERIES, gaza: SERIES}}, got {hs!r}"
        )
    for k, s in hs.items():
        if s not in series:
            raise ParameterError(f"parameter hedger_series: unknown series {s!r} for {k}")
    sw = _list_of_str("switch_series", raw["switch_series"])
    bad = [s for s in sw if s not in series]
    if bad:
        raise ParameterError(f"parameter switch_series: unknown series {', '.join(bad)}")

    fc = _list_of_str("focus_countries", raw["focus_countries"])
    bad = [c for c in fc if c not in set(members["iso3"])]
    if bad:
        raise ParameterError(
            f"parameter focus_countries: unknown country code(s) {', '.join(bad)} (ISO3 of a Member State)"
        )
    blocs = _list_of_str("blocs", raw["blocs"])
    bad = [b for b in blocs if b not in set(groups["group"])]
    if bad:
        raise ParameterError(
            f"parameter blocs: unknown bloc(s) {', '.join(bad)} (known: {', '.join(sorted(set(groups['group'])))})"
        )
    method = raw["coincidence_method"]
    if method not in COINCIDENCE_METHODS:
        raise ParameterError(
            f"parameter coincidence_method: {method!r} is not one of {', '.join(COINCIDENCE_METHODS)}"
        )
    formats = _list_of_str("formats", raw["formats"])
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ParameterError(f"parameter formats: {formats!r}; choose from {', '.join(FORMATS)}")
    for name in ("report_title", "report_date"):
        if not isinstance(raw[name], str):
            raise ParameterError(f"parameter {name}: expected text, got {raw[name]!r}")
    if raw["report_date"]:
        _date("report_date", raw["report_date"])
    if not raw["report_title"].strip():
        raise ParameterError("parameter report_title: empty")
    return Params(
        ukraine_texts=texts["ukraine"],
        gaza_texts=texts["gaza"],
        hedger_series=dict(hs),
        switch_series=sw,
        focus_countries=fc,
        blocs=blocs,
        window=window,
        coincidence_method=method,
        report_title=raw["report_title"],
        report_date=raw["report_date"],
        formats=formats,
    )


def from_notebook(namespace: dict, paths: Paths | None = None) -> Params:
    """Resolve the parameters a notebook's `parameters` cell defined (its globals)."""
    from .catalog import load_catalog
    from .members import load_groups, load_members

    paths = paths or Paths.default()
    raw = {k: namespace[k] for k in DEFAULTS if k in namespace}
    return resolve(
        {**DEFAULTS, **raw}, load_catalog(paths), load_members(paths), load_groups(paths)
    )
