"""What every notebook opens with: parameters resolved, data loaded once, outputs routed.

``ctx = open_context(globals())`` reads the notebook's ``parameters`` cell (the names of
DESIGN §5 plus ``output_dir``), validates them, loads the tidy votes, catalogue, members and
groups, and gives ``ctx.show(chart, name)`` / ``ctx.table(df, name)`` that write the SVG/CSV
files and display them. With ``output_dir = ""`` (an analyst in JupyterLab) outputs go to
``build/interactive/`` and never touch the published ``report/`` or ``figures/``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import charts
from .catalog import load_catalog
from .members import load_council, load_groups, load_members, load_tiles
from .params import Params, from_notebook
from .paths import Paths
from .safe_output import write_csv
from .votes import tidy_votes


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

    def cached(self, key, compute):
        """Compute once per context (the data and parameters of one notebook run)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    @property
    def electorate(self) -> pd.DataFrame:
        """Who may vote on each text (every Member State; the Council of the year)."""
        from .measures import electorate

        return self.cached(
            "electorate", lambda: electorate(self.catalog, self.members, self.council)
        )

    @property
    def tiles(self) -> pd.DataFrame:
        return load_tiles(self.paths)

    def show(self, chart: charts.Chart, name: str):
        """Save the chart (SVG + CSV) and display it as an HTML figure with alt text."""
        from IPython.display import HTML, display

        figure = charts.save(chart, name, self.figures_dir)
        self.shown.append(name)
        display(HTML(figure))

    def html(self, markup: str) -> None:
        """Display an HTML block (built by the package, escaped there)."""
        from IPython.display import HTML, display

        display(HTML(markup))

    def note(self, sentence: str, firm: str = "") -> None:
        """Display a finding's sentence, with its record + list check in small type."""
        extra = f'<p class="firm">{html.escape(firm)}</p>' if firm else ""
        self.html(f'<p class="lead">{html.escape(sentence)}</p>{extra}')

    def table(self, df: pd.DataFrame, name: str, caption: str = "", *, max_rows: int | None = None):
        """Save ``df`` as CSV under the tables folder and display it (no index)."""
        from IPython.display import HTML, display

        self.tables_dir.mkdir(parents=True, exist_ok=True)
        write_csv(df, self.tables_dir / f"{name}.csv")
        shown = df if max_rows is None else df.head(max_rows)
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
        display(HTML(body + more))


def open_context(namespace: dict, paths: Paths | None = None) -> Context:
    """Resolve the notebook's parameters and load the data (raises ParameterError/DataError)."""
    paths = paths or Paths.default()
    params = from_notebook(namespace, paths)
    out = namespace.get("output_dir") or ""
    if out:
        base = Path(out)
        figures_dir, tables_dir = base / "figures", base / "report" / "tables"
    else:
        base = paths.build / "interactive"
        figures_dir, tables_dir = base / "figures", base / "tables"
    charts.setup_style()
    catalog = load_catalog(paths)
    members = load_members(paths)
    return Context(
        interactive=not out,
        paths=paths,
        params=params,
        catalog=catalog,
        members=members,
        groups=load_groups(paths),
        council=load_council(paths),
        votes=tidy_votes(paths, catalog=catalog, members=members),
        figures_dir=figures_dir,
        tables_dir=tables_dir,
    )
