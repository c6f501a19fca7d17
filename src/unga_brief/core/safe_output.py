"""Text from the data, made harmless where it leaves the package: spreadsheets and matplotlib.

* A published CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
  return) is a formula to a spreadsheet (CSV injection). :func:`csv_safe` prefixes such text
  cells with ``'`` (the OWASP rule); numbers stay numbers, and so does text that is just a
  number (``-3``, ``+2.5%``) or a lone dash. :func:`write_csv` is how tables and chart data are
  written.
* Matplotlib reads text between two ``$`` as mathematics (and fails on some of it).
  :func:`mpl_literal` escapes every ``$`` of a string; :func:`literal_figure_text` does it for
  every text already in a figure (titles, labels, tick labels, legends).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

#: First characters that make a spreadsheet evaluate a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(\d[\d,]*)?(\.\d+)?([eE][-+]?\d+)?%?$")
_DOLLAR = re.compile(r"(?<!\\)\$")


def formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return False
    return not (value.strip() in ("-", "–") or _NUMBER.match(value.strip()))


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose formula-like text cells start with ``'``; columns and index
    names are treated the same."""
    out = df.copy()
    for i in range(out.shape[1]):  # by position: two columns may share a name
        s = out.iloc[:, i]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            mask = s.map(formula_like).astype(bool)
            if mask.any():
                out.isetitem(i, s.astype(object).where(~mask, "'" + s.astype(str)))
    out.columns = [f"'{c}" if formula_like(c) else c for c in out.columns]
    return out


def write_csv(df: pd.DataFrame, path: Path | str) -> Path:
    """Write a published table or chart's data as CSV (no index), formula-like text
    neutralised."""
    path = Path(path)
    csv_safe(df).to_csv(path, index=False, lineterminator="\n")
    return path


def mpl_literal(text: str) -> str:
    """``text`` with every ``$`` escaped, so that matplotlib draws it as written (idempotent)."""
    return _DOLLAR.sub(r"\\$", text) if "$" in text else text


def literal_figure_text(fig) -> None:
    """Escape ``$`` in every text of ``fig`` (figure and axes texts, titles, axis labels, tick
    labels, legends) before it is drawn."""
    from matplotlib.axis import Axis
    from matplotlib.text import Text
    from matplotlib.ticker import FixedFormatter, FuncFormatter

    # Every artist of the figure, as ``fig.findobj`` walks them, except an axis's ticks: asking
    # an axis for its children makes its ticks (costly, for a layout not yet done), and
    # a tick's label is rewritten from the formatter at each draw anyway (below).
    todo = [fig]
    while todo:
        artist = todo.pop()
        if isinstance(artist, Text):
            s = artist.get_text()
            if "$" in s:
                artist.set_text(mpl_literal(s))
        if isinstance(artist, Axis):
            todo += [artist.label, artist.offsetText]
        else:
            todo += artist.get_children()
    # Tick labels are made again at each draw, from the axis formatter: text labels
    # (``set_yticks(y, labels)``) live in a Fixed- or FuncFormatter.
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for fmt in (axis.get_major_formatter(), axis.get_minor_formatter()):
                if isinstance(fmt, FixedFormatter):
                    fmt.seq = [mpl_literal(str(s)) for s in fmt.seq]
                elif isinstance(fmt, FuncFormatter):
                    fmt.func = _literal_labels(fmt.func)


def _literal_labels(func):
    def labels(x, pos=None):
        return mpl_literal(str(func(x, pos)))

    return labels
