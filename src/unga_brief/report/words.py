"""Words around numbers, computed: plurals, lists of names, dates, spans, directions, tallies.

Every sentence of the briefing is built with these, so that "1 texts", "between Mar 2022 and
Mar 2022" or "fell by -3" cannot be printed: the words follow the numbers.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.core.vocab import OFFICIAL_COLUMNS

DASH = "\u2013"


def number(v) -> str:
    """A count with a thousands separator (the one number format of the briefing); an unknown
    count is a dash, never 0."""
    if v is None or pd.isna(v):
        return "–"
    return f"{int(v):,}"


def pct(v) -> str:
    """A share 0..1 as a whole percentage; unknown as a dash."""
    return "–" if v is None or pd.isna(v) else f"{float(v) * 100:.0f}%"


def plural(n, singular: str, plural_form: str | None = None) -> str:
    """``1 text``, ``2 texts``, ``0 states`` (irregular plurals passed explicitly)."""
    word = singular if int(n) == 1 else (plural_form or singular + "s")
    return f"{number(n)} {word}"


def the_count(n, singular: str) -> str:
    """``the 3 Ukraine texts``, or ``the Ukraine text`` when there is one."""
    return f"the {singular}" if int(n) == 1 else f"the {plural(n, singular)}"


def most_of(n, singular: str, *, counted: bool = False) -> str:
    """``most Ukraine texts``, or ``the Ukraine text`` when the set holds one; with ``counted``,
    ``most of the 5 Ukraine texts`` (never ``most of the 1 Ukraine text``)."""
    if int(n) == 1:
        return f"the {singular}"
    return f"most of the {plural(n, singular)}" if counted else f"most {singular}s"


def names(items, limit: int = 6) -> str:
    """``A``, ``A and B``, ``A, B and C``, ``A, B, … and 3 more``; empty list → empty text."""
    items = [str(i) for i in items]
    if not items:
        return ""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def month(d) -> str:
    return pd.Timestamp(d).strftime("%b %Y")


def day(d) -> str:
    t = pd.Timestamp(d)
    return f"{t.day} {t:%b %Y}"


def span(first, last, fmt=month) -> str:
    """``between Mar 2022 and Feb 2026``, or ``in Mar 2022`` when both ends read the same."""
    a, b = fmt(first), fmt(last)
    return f"in {a}" if a == b else f"between {a} and {b}"


def dash_span(first, last, fmt=month) -> str:
    """``Mar 2022–Feb 2026``, or ``Mar 2022`` when both ends read the same."""
    a, b = fmt(first), fmt(last)
    return a if a == b else f"{a}{DASH}{b}"


def change(delta, up: str, down: str, same: str) -> str:
    """A signed change in words: ``gained 3``, ``lost 3``, or the ``same`` phrase for 0."""
    d = int(delta)
    if d > 0:
        return f"{up} {number(d)}"
    if d < 0:
        return f"{down} {number(-d)}"
    return same


def tally(row, votes: str = "YNA") -> str:
    """Official totals as ``141–5–35`` (``?`` where a total is unknown)."""
    vals = [row[OFFICIAL_COLUMNS[v]] for v in votes]
    return DASH.join("?" if pd.isna(v) else number(v) for v in vals)


def capital(s: str) -> str:
    return s[:1].upper() + s[1:]
