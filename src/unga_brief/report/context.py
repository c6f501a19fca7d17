"""What every notebook opens with: parameters resolved, data loaded once, outputs routed.

``ctx = open_context(globals())`` merges the notebook's globals (its ``parameters`` cell, and
what papermill injected) over ``params.yaml``, validates them, loads the frames
(:func:`unga_brief.data.frames.load_frames`), and gives ``ctx.show(chart, name)`` /
``ctx.table(df, name)`` that write the SVG/CSV files and display them. With ``output_dir = ""``
(an analyst in JupyterLab) outputs go to ``build/interactive/`` and never touch the published
``report/`` or ``figures/``.

:meth:`Context.from_frames` builds a context from frames in memory (tests, hand-built worlds):
the findings need nothing from disk.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from unga_brief.core.paths import Paths
from unga_brief.core.safe_output import write_csv
from unga_brief.data.frames import load_frames
from unga_brief.data.members import load_tiles
from unga_brief.report import chart_style
from unga_brief.report.params import Params, notebook_values, resolve
from unga_brief.report.words import number


@dataclass
class Context:
    paths: Paths
    params: Params
    catalog: pd.DataFrame
    members: pd.DataFrame
    groups: pd.DataFrame
    council: pd.DataFrame
    votes: pd.DataFrame
    figures_dir: Path
    tables_dir: Path
    shown: list[str] = field(default_factory=list)
    cache: dict = field(default_factory=dict, repr=False)
    interactive: bool = False  # run from JupyterLab (output_dir empty), not by `unga-brief run`
    electorate_frame: pd.DataFrame | None = None
    tiles_frame: pd.DataFrame | None = None
    display: bool = True  # False: write files only (tests, in-process runs)
    given_params: dict = field(default_factory=dict)  # as given (notebook globals over params.yaml)
    cache_dir: Path | None = None  # the run's shared frames (unga_brief.report.run_cache), if any
    # id of a shared finding's chart -> the finding's key (its drawing is shared in the run)
    chart_keys: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_frames(
        cls,
        params: Params,
        *,
        catalog: pd.DataFrame,
        members: pd.DataFrame,
        groups: pd.DataFrame,
        council: pd.DataFrame,
        votes: pd.DataFrame,
        out_dir: Path | str,
        electorate: pd.DataFrame | None = None,
        tiles: pd.DataFrame | None = None,
        paths: Paths | None = None,
    ) -> Context:
        """A context over frames in memory; outputs go under ``out_dir``; nothing displayed."""
        base = Path(out_dir)
        return cls(
            paths=paths or Paths.default(root=base),
            params=params,
            catalog=catalog,
            members=members,
            groups=groups,
            council=council,
            votes=votes,
            figures_dir=base / "figures",
            tables_dir=base / "tables",
            electorate_frame=electorate,
            tiles_frame=tiles,
            display=False,
        )

    def cached(self, key, compute):
        """Compute once per context (the data and parameters of one notebook run); inside
        `unga-brief run`, a frame the run computed once is read from its cache instead."""
        if key not in self.cache:
            shared = None
            if self.cache_dir is not None:
                from unga_brief.report.run_cache import load_entry

                shared = load_entry(self.cache_dir, key)
            self.cache[key] = compute() if shared is None else shared
        return self.cache[key]

    def validated(self) -> pd.DataFrame:
        """:func:`unga_brief.data.validate.validate_data` of the project's data (raises DataError):
        inside `unga-brief run`, the table of the run's own validation of the same files."""
        from unga_brief.data.validate import validate_data

        return self.cached("validated", lambda: validate_data(self.paths))

    def finding(self, key: str):
        """The finding ``key`` of the briefing (:mod:`unga_brief.report.briefing_findings`), computed
        once per context; inside `unga-brief run` read from the run's cache, where it was
        computed once for every notebook."""
        from unga_brief.report.briefing_findings import compute_one

        found = self.cached(("finding", key), lambda: compute_one(self, key))
        self._shared_chart(found)
        return found

    def briefing_findings(self, name: str = "all_findings") -> list:
        """The list ``name`` of the briefing's findings (``all_findings`` or ``all_weighing``,
        in the order of page 1): each through :meth:`finding` (computed once per context, or
        read from the run's cache)."""
        from unga_brief.report.briefing_findings import compute_list

        return compute_list(self, name)

    def _shared_chart(self, finding) -> None:
        """Note a shared finding's chart: :meth:`show` draws it once for the whole run."""
        chart = getattr(finding, "chart", None)
        if chart is not None and self.cache_dir is not None:
            self.chart_keys[id(chart)] = finding.key

    @property
    def electorate(self) -> pd.DataFrame:
        """Who may vote on each text (every Member State; the Council of the year)."""
        if self.electorate_frame is not None:
            return self.electorate_frame
        from unga_brief.data.electorate import electorate

        return self.cached(
            "electorate", lambda: electorate(self.catalog, self.members, self.council)
        )

    def ballots(self, firm_only: bool = False) -> pd.DataFrame:
        """The ballots frame (:func:`unga_brief.analysis.ballot_frame.ballots`) of this run, computed once;
        every measure accepts it in place of the votes."""
        from unga_brief.analysis.ballot_frame import ballots

        return self.cached(
            ("ballots", firm_only),
            lambda: ballots(self.votes, electorate=self.electorate, firm_only=firm_only),
        )

    @property
    def tiles(self) -> pd.DataFrame:
        if self.tiles_frame is not None:
            return self.tiles_frame
        return self.cached("tiles", lambda: load_tiles(self.paths))

    def show(self, chart: chart_style.Chart | None, name: str):
        """Save the chart (SVG + CSV) and display it as an HTML figure with alt text (a
        finding left out has no chart: nothing is shown)."""
        if chart is None:
            return
        key = self.chart_keys.get(id(chart)) if self.cache_dir is not None else None
        if key is None:
            figure = chart_style.save(chart, name, self.figures_dir)
        else:  # a shared finding's chart: drawn once for the run's notebooks
            from unga_brief.report.run_cache import CHARTS, save_chart

            figure = save_chart(chart, name, self.figures_dir, self.cache_dir / CHARTS / key)
        self.shown.append(name)
        self.html(figure)

    def html(self, markup: str) -> None:
        """Display an HTML block (built by the package, escaped there)."""
        if not self.display:
            return
        from IPython.display import HTML, display

        display(HTML(markup))

    def note(self, sentence: str, firm: str = "") -> None:
        """Display a finding's sentence, with its record + list check in small type."""
        extra = f'<p class="firm">{html.escape(firm)}</p>' if firm else ""
        self.html(f'<p class="lead">{html.escape(sentence)}</p>{extra}')

    def table(self, df: pd.DataFrame, name: str, caption: str = "", *, max_rows: int | None = None):
        """Save ``df`` as CSV under the tables folder and display it (no index)."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        write_csv(df, self.tables_dir / f"{name}.csv")
        shown = df if max_rows is None else df.head(max_rows)
        shown = shown.copy()
        for i in range(shown.shape[1]):  # counts with a thousands separator, like the text
            col = shown.iloc[:, i]
            if pd.api.types.is_integer_dtype(col) and not pd.api.types.is_bool_dtype(col):
                shown.isetitem(i, col.map(lambda v: number(v) if pd.notna(v) else v))
        shown = shown.astype(object).where(shown.notna(), "–")  # pd.NA would print as <NA>
        cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        body = shown.to_html(index=False, classes="data", border=0, na_rep="–", escape=True)
        body = body.replace(
            '<table border="0" class="dataframe data">', f'<table class="dataframe data">{cap}', 1
        )
        more = (
            ""
            if max_rows is None or len(df) <= max_rows
            else (
                f'<p class="more">{len(df) - max_rows} more rows in tables/{html.escape(name)}.csv</p>'
            )
        )
        self.html(body + more)


def open_context(namespace: dict, paths: Paths | None = None) -> Context:
    """Resolve the notebook's parameters (its globals over params.yaml) and load the data
    (raises ParameterError/DataError)."""
    from unga_brief.report import run_cache

    paths = paths or Paths.default()
    cache_dir = namespace.get("cache_dir") or None  # injected by `unga-brief run` only
    frames = (cache_dir and run_cache.load_frames_from(cache_dir)) or load_frames(paths)
    given = notebook_values(namespace, paths)
    params = resolve(given, frames.catalog, frames.members, frames.groups)
    if cache_dir and not run_cache.matches(cache_dir, params):
        cache_dir = None  # built for other parameters: compute here
    out = namespace.get("output_dir") or ""
    if out:
        base = Path(out)
        figures_dir, tables_dir = base / "figures", base / "report" / "tables"
    else:
        base = paths.build / "interactive"
        figures_dir, tables_dir = base / "figures", base / "tables"
    return Context(
        interactive=not out,
        paths=paths,
        params=params,
        catalog=frames.catalog,
        members=frames.members,
        groups=frames.groups,
        council=frames.council,
        votes=frames.votes,
        electorate_frame=frames.electorate,
        given_params=given,
        cache_dir=Path(cache_dir) if cache_dir else None,
        figures_dir=figures_dir,
        tables_dir=tables_dir,
    )
