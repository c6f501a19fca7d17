"""Briefing parameters (DESIGN §5): read, checked and resolved against the data.

``params.yaml`` is the only place the default values live. This module knows the parameters'
*names* and how each is checked, never their values: :func:`defaults` reads them from
``params.yaml``; a what-if file (``unga-brief run --params F``) and a notebook's edited
``parameters`` cell are merged over them. The notebooks' ``parameters`` cells are generated from
``params.yaml`` (:func:`parameters_cell_source`, ``unga-brief params --write``) and a test keeps
them equal.

A bad parameter raises :class:`~unga_brief.core.errors.ParameterError` naming it and why, before any
notebook executes (exit 2): an unknown or misspelt name (the name meant is suggested), a value of
the wrong type, an unknown text, country, bloc or series, an empty window, or a text set that a
finding cannot use (a Council text, an amendment, a text known only in its totals, a series with
no text in the window).
"""

from __future__ import annotations

import datetime as dt
import difflib
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from unga_brief.core.errors import ParameterError
from unga_brief.core.paths import Paths
from unga_brief.core.vocab import COINCIDENCE_METHODS, SET_KINDS, TOPICS, US

if TYPE_CHECKING:  # pandas is imported where it is used: `unga-brief run` with nothing
    import pandas as pd  # changed reads params.yaml without paying for it (issue 17)

#: What each parameter is (its check is in :func:`resolve`); the values are in params.yaml.
PARAMETERS: dict[str, str] = {
    "ukraine_texts": "catalogue ids of Ukraine texts, or 'default'",
    "gaza_texts": "catalogue ids of Gaza texts, or 'default'",
    "default_from": "{ukraine: DATE, gaza: DATE}: where a 'default' text set starts",
    "hedger_series": "{ukraine: SERIES, gaza: SERIES}: the series hedgers are judged on",
    "switch_series": "series in which switches between successive texts are looked for",
    "focus_countries": "ISO3 codes of Member States shown in the focus table",
    "blocs": "groups shown beside the UN regional groups",
    "us_partners": "groups or ISO3 codes whose agreement with the US is charted",
    "window": "[start, end]: every text used is dated inside it",
    "coincidence_method": "State Department method shown first",
    "report_title": "the briefing's title",
    "report_date": "the briefing's date ('' = the date of the latest vote used)",
    "formats": "[html, pdf] or [html]",
}
FORMATS = ("html", "pdf")
#: Longest list a parameter may hold (a typo'd file must not make validation crawl).
MAX_LIST = 400
#: Largest parameters file read.
MAX_FILE_BYTES = 256 * 1024
#: Names a notebook defines besides the parameters (never reported as near misses).
NOTEBOOK_NAMES = {"output_dir", "cache_dir"}


@dataclass(frozen=True)
class Params:
    """Validated parameters with the text sets resolved to catalogue ids (date order)."""

    ukraine_texts: list[str]
    gaza_texts: list[str]
    default_from: dict[str, str]
    hedger_series: dict[str, str]
    switch_series: list[str]
    focus_countries: list[str]
    blocs: list[str]
    us_partners: list[str]
    window: tuple[pd.Timestamp, pd.Timestamp]
    coincidence_method: str
    report_title: str
    report_date: str
    formats: list[str]

    def texts(self, topic: str) -> list[str]:
        """The text set of a topic."""
        return self.ukraine_texts if topic == "ukraine" else self.gaza_texts

    @property
    def all_texts(self) -> list[str]:
        return self.ukraine_texts + self.gaza_texts

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["window"] = [w.strftime("%Y-%m-%d") for w in self.window]
        return d


# --- reading ----------------------------------------------------------------------------------


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases (an alias bomb cannot exhaust memory)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.events.AliasEvent):
            ev = self.peek_event()
            raise ParameterError(
                f"YAML aliases are not accepted in a parameters file (line {ev.start_mark.line + 1})"
            )
        return super().compose_node(parent, index)


def read_yaml_mapping(path: Path | str, what: str = "parameters file") -> dict:
    """A small YAML mapping from a regular UTF-8 file, or ParameterError naming the file."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ParameterError(f"{what} {p} not found") from None
    except OSError as e:
        raise ParameterError(f"{what} {p}: {e.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ParameterError(f"{what} {p} is not a regular file")
    if st.st_size > MAX_FILE_BYTES:
        raise ParameterError(f"{what} {p} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"{what} {p} is not UTF-8 text") from None
    except OSError as e:
        raise ParameterError(f"{what} {p}: {e.strerror}") from None
    try:
        given = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise ParameterError(f"{what} {p} is not valid YAML ({str(e).splitlines()[0]})") from None
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise ParameterError(f"{what} {p}: expected a mapping of name: value")
    bad = [k for k in given if not isinstance(k, str)]
    if bad:
        raise ParameterError(f"{what} {p}: parameter names must be text, got {bad[0]!r}")
    return given


def near_miss(name: str) -> str | None:
    """The parameter a misspelt name probably meant (``focus_country`` → ``focus_countries``)."""
    hit = difflib.get_close_matches(name, list(PARAMETERS), n=1, cutoff=0.75)
    return hit[0] if hit else None


def _unknown(names, where: str) -> None:
    for n in sorted(names):
        meant = near_miss(n)
        if meant:
            raise ParameterError(f"{where}: unknown parameter {n!r} — did you mean {meant!r}?")
    if names:
        raise ParameterError(
            f"{where}: unknown parameter(s) {', '.join(sorted(names))} (known: {', '.join(PARAMETERS)})"
        )


def defaults(paths: Paths | None = None) -> dict:
    """The default parameters: ``params.yaml``, which must name every parameter."""
    p = (paths or Paths.default()).params_yaml
    given = read_yaml_mapping(p, "default parameters file")
    _unknown(set(given) - set(PARAMETERS), str(p))
    missing = [k for k in PARAMETERS if k not in given]
    if missing:
        raise ParameterError(f"{p}: missing parameter(s) {', '.join(missing)}")
    return given


def load_params_file(path: Path | str | None, paths: Paths | None = None) -> dict:
    """A parameters file (default: the project's params.yaml) merged over params.yaml."""
    base = defaults(paths)
    if path is None:
        return base
    given = read_yaml_mapping(path)
    _unknown(set(given) - set(PARAMETERS), f"parameters file {path}")
    return {**base, **given}


def notebook_values(namespace: dict, paths: Paths | None = None) -> dict:
    """A notebook's globals merged over params.yaml. A global whose name is a near miss of a
    parameter (``focus_country``) is an error naming the parameter meant: an analyst's edit is
    never dropped silently."""
    base = defaults(paths)
    near = {
        k
        for k in namespace
        if isinstance(k, str)
        and not k.startswith("_")
        and k not in PARAMETERS
        and k not in NOTEBOOK_NAMES
        and near_miss(k)
    }
    if near:
        k = sorted(near)[0]
        raise ParameterError(
            f"notebook parameter {k!r} is not a parameter — did you mean {near_miss(k)!r}?"
        )
    return {**base, **{k: namespace[k] for k in PARAMETERS if k in namespace}}


def plain(v):
    """A parameter value as YAML text would give it back and papermill can pass it: dates as
    ``YYYY-MM-DD``, tuples as lists."""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    return v


# --- generated parameters cells ------------------------------------------------------------------

CELL_HEAD = (
    "# Parameters, generated from params.yaml (`unga-brief params --write`): edit and re-run.\n"
    "# `unga-brief run` injects its own values below this cell (papermill).\n"
)
CELL_TAIL = (
    "# output_dir: where figures and tables go; empty = build/interactive/ (never the published report)\n"
    'output_dir = ""\n'
)


def parameters_cell_source(paths: Paths | None = None) -> str:
    """The source of every notebook's ``parameters`` cell, from params.yaml."""
    base = defaults(paths)
    lines = [f"{k} = {plain(base[k])!r}" for k in PARAMETERS]
    return CELL_HEAD + "\n".join(lines) + "\n" + CELL_TAIL


def write_parameters_cells(paths: Paths | None = None, *, check: bool = False) -> list[str]:
    """Rewrite each notebook's ``parameters`` cell from params.yaml; return the notebooks that
    differed (with ``check``, change nothing)."""
    import nbformat

    paths = paths or Paths.default()
    src = parameters_cell_source(paths)
    changed = []
    for nb_path in sorted(paths.notebooks.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        if len(cells) != 1:
            raise ParameterError(f"{nb_path.name}: expected one cell tagged 'parameters'")
        if cells[0].source.rstrip("\n") != src.rstrip("\n"):
            changed.append(nb_path.name)
            if not check:
                cells[0].source = src.rstrip("\n")
                nbformat.write(nb, nb_path)
    return changed


# --- checking and resolving ---------------------------------------------------------------------


def _list_of_str(name: str, value, *, empty_ok: bool = False) -> list[str]:
    if (
        isinstance(value, str)
        or not isinstance(value, list | tuple)
        or not all(isinstance(v, str) for v in value)
    ):
        raise ParameterError(f"parameter {name}: expected a list of text values, got {value!r:.80}")
    if len(value) > MAX_LIST:
        raise ParameterError(f"parameter {name}: {len(value)} items, at most {MAX_LIST}")
    if not value and not empty_ok:
        raise ParameterError(f"parameter {name}: empty; name at least one")
    return list(dict.fromkeys(value))


def _date(name: str, value) -> pd.Timestamp:
    import pandas as pd

    if isinstance(value, dt.date):
        return pd.Timestamp(value)
    if not isinstance(value, str):
        raise ParameterError(f"parameter {name}: {value!r:.60} is not a date (YYYY-MM-DD)")
    try:
        return pd.Timestamp(dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise ParameterError(
            f"parameter {name}: {value!r:.60} is not a date (YYYY-MM-DD)"
        ) from None


def _topic_map(name: str, value) -> dict:
    if not isinstance(value, dict) or set(value) != set(TOPICS):
        raise ParameterError(
            f"parameter {name}: expected {{ukraine: ..., gaza: ...}}, got {value!r:.80}"
        )
    return value


def default_texts(
    catalog: pd.DataFrame, topic: str, window: tuple[pd.Timestamp, pd.Timestamp], start: str
) -> list[str]:
    """The default text set of a topic (DESIGN §5): its GA resolutions and decisions dated
    inside the window and on or after ``start`` (``default_from`` of params.yaml)."""
    import pandas as pd

    lo = max(window[0], pd.Timestamp(start))
    c = catalog[
        (catalog["body"] == "GA")
        & (catalog["topic"] == topic)
        & catalog["kind"].isin(SET_KINDS)
        & (catalog["coverage"].astype(str) != "totals")
        & (catalog["date"] >= lo)
        & (catalog["date"] <= window[1])
    ]
    return c.sort_values(["date", "id"])["id"].tolist()


def _check_set(name: str, topic: str, chosen: list[str], catalog: pd.DataFrame, window) -> None:
    cat = catalog.set_index("id")
    bad = [i for i in chosen if i not in cat.index]
    if bad:
        raise ParameterError(
            f"parameter {name}: unknown text id(s) {', '.join(bad)} (see data/catalog/catalog.csv)"
        )
    c = cat.loc[chosen]
    rules = [
        (c["topic"] != topic, f"not {topic} texts"),
        (
            c["body"] != "GA",
            "Security Council texts (the sets hold Assembly texts; the Council is in the US posture)",
        ),
        (
            ~c["kind"].isin(SET_KINDS),
            "amendments or motions (shown with the US posture, not in a set)",
        ),
        (
            c["coverage"].astype(str) == "totals",
            "known only in their official totals (the set's findings need country votes)",
        ),
        (
            (c["date"] < window[0]) | (c["date"] > window[1]),
            f"outside the window {window[0]:%Y-%m-%d}..{window[1]:%Y-%m-%d}",
        ),
    ]
    for mask, why in rules:
        if mask.any():
            raise ParameterError(f"parameter {name}: {', '.join(c.index[mask])}: {why}")


def resolve(
    given: dict, catalog: pd.DataFrame, members: pd.DataFrame, groups: pd.DataFrame
) -> Params:
    """Check every parameter against the data and resolve the default text sets."""
    import pandas as pd

    _unknown(set(given) - set(PARAMETERS), "parameters")
    missing = [k for k in PARAMETERS if k not in given]
    if missing:
        raise ParameterError(f"parameters: missing {', '.join(missing)}")
    win = given["window"]
    if not isinstance(win, list | tuple) or len(win) != 2:
        raise ParameterError(f"parameter window: expected [start, end], got {win!r:.80}")
    window = (_date("window", win[0]), _date("window", win[1]))
    w = f"{window[0]:%Y-%m-%d}..{window[1]:%Y-%m-%d}"
    if window[0] > window[1]:
        raise ParameterError(f"parameter window: empty window, start is after end ({w})")
    in_window = catalog[(catalog["date"] >= window[0]) & (catalog["date"] <= window[1])]
    if in_window.empty:
        raise ParameterError(f"parameter window: empty window, no text voted in {w}")

    start = _topic_map("default_from", given["default_from"])
    start = {t: _date("default_from", v).strftime("%Y-%m-%d") for t, v in start.items()}
    texts = {}
    order = catalog.set_index("id")["date"]
    for topic in TOPICS:
        name = f"{topic}_texts"
        v = given[name]
        if v == "default":
            chosen = default_texts(catalog, topic, window, start[topic])
            if not chosen:
                raise ParameterError(
                    f"parameter {name}: no {topic} Assembly text in the window {w}"
                    + (f" from {start[topic]}" if pd.Timestamp(start[topic]) > window[0] else "")
                )
        else:
            chosen = _list_of_str(name, v)
            _check_set(name, topic, chosen, catalog, window)
        texts[topic] = sorted(chosen, key=lambda i: (order[i], i))

    cat = catalog.set_index("id")
    series = set(catalog["series"].dropna())
    hs = _topic_map("hedger_series", given["hedger_series"])
    for topic, s in hs.items():
        if not isinstance(s, str) or s not in series:
            raise ParameterError(f"parameter hedger_series: unknown series {s!r} for {topic}")
        in_set = cat.loc[texts[topic]]
        in_set = in_set[in_set["series"] == s]
        if in_set.empty:
            raise ParameterError(
                f"parameter hedger_series: series {s!r} has no text among the {topic} texts in the window {w}"
            )
        if not (in_set["coverage"].astype(str) == "full").any():
            raise ParameterError(
                f"parameter hedger_series: no {topic} text of series {s!r} in the window has a full roll call"
            )
    sw = _list_of_str("switch_series", given["switch_series"])
    bad = [s for s in sw if s not in series]
    if bad:
        raise ParameterError(f"parameter switch_series: unknown series {', '.join(bad)}")

    fc = _list_of_str("focus_countries", given["focus_countries"])
    bad = [c for c in fc if c not in set(members["iso3"])]
    if bad:
        raise ParameterError(
            f"parameter focus_countries: unknown country code(s) {', '.join(bad)} (ISO3 of a Member State)"
        )
    known_groups = set(groups["group"])
    blocs = _list_of_str("blocs", given["blocs"])
    bad = [b for b in blocs if b not in known_groups]
    if bad:
        raise ParameterError(
            f"parameter blocs: unknown bloc(s) {', '.join(bad)} (known: {', '.join(sorted(known_groups))})"
        )
    partners = _list_of_str("us_partners", given["us_partners"])
    bad = [p for p in partners if p not in known_groups and p not in set(members["iso3"])]
    if bad or US in partners:
        raise ParameterError(
            f"parameter us_partners: {', '.join(bad or ['USA'])} is not a group or another Member State"
        )
    method = given["coincidence_method"]
    if method not in COINCIDENCE_METHODS:
        raise ParameterError(
            f"parameter coincidence_method: {method!r:.40} is not one of {', '.join(COINCIDENCE_METHODS)}"
        )
    formats = _list_of_str("formats", given["formats"])
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ParameterError(
            f"parameter formats: {formats!r:.60}; choose from {', '.join(FORMATS)}"
        )
    for name in ("report_title", "report_date"):
        if isinstance(given[name], dt.date) and name == "report_date":
            given = {**given, name: given[name].isoformat()}
        if not isinstance(given[name], str):
            raise ParameterError(f"parameter {name}: expected text, got {given[name]!r:.60}")
    if given["report_date"]:
        _date("report_date", given["report_date"])
    title = given["report_title"].strip()
    if not title or len(title) > 200:
        raise ParameterError("parameter report_title: empty or longer than 200 characters")
    return Params(
        ukraine_texts=texts["ukraine"],
        gaza_texts=texts["gaza"],
        default_from=start,
        hedger_series=dict(hs),
        switch_series=sw,
        focus_countries=fc,
        blocs=blocs,
        us_partners=partners,
        window=window,
        coincidence_method=method,
        report_title=title,
        report_date=given["report_date"],
        formats=formats,
    )
