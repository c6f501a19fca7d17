"""What every UN Digital Library (UNDL) reader returns, and the checks they share.

The MARC XML reader (:mod:`unga_brief.undl.marc_xml`) and the bulk CSV reader
(:mod:`unga_brief.undl.bulk_csv`) return the same :class:`UndlRecords` shape (DESIGN §7):

- ``votes``: one row per country and record: ``undl_record, symbol, date, iso3, name, vote``
  (vote in Y, N, A, X; X = non-voting), in file order;
- ``texts``: one row per record: ``undl_record, symbol, date, title, draft, meeting, body, yes,
  no, abstain, non_voting, members`` (the official totals, nullable ``Int64``; blank when the
  file does not give them, never assumed zero).

Every problem raises a :mod:`unga_brief.core.errors` exception with one line naming the file and the
record (and the line or 967 field): :class:`MalformedFile`, :class:`BadVoteCode`,
:class:`BadDate`, :class:`TotalsMismatch`.

XML from outside is parsed with ``defusedxml`` only (entity declarations and external
references are refused, so entity-expansion bombs and external entities never expand). The
bulk CSV (hundreds of MB) is streamed in chunks with only the needed columns, so memory is
bounded by the rows kept, not by the file.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

import pandas as pd

from unga_brief.core.vocab import TALLY_FIELDS, VOTE_WORDS

log = logging.getLogger(__name__)

MARC_NS = "http://www.loc.gov/MARC21/slim"

VOTE_COLUMNS = ["undl_record", "symbol", "date", "iso3", "name", "vote"]
TEXT_COLUMNS = [
    "undl_record",
    "symbol",
    "date",
    "title",
    "draft",
    "meeting",
    "body",
    "yes",
    "no",
    "abstain",
    "non_voting",
    "members",
]
TOTAL_COLUMNS = ["yes", "no", "abstain", "non_voting", "members"]

# MARC 996: $b yes, $c no, $d abstain, $e non-voting, $f members ($d is "vote" in 967!)
MARC_996 = {"b": "yes", "c": "no", "d": "abstain", "e": "non_voting", "f": "members"}

ISO3_RE = re.compile(r"^[A-Z]{3}$")
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A bulk GA title is 245 "$a : $b / $c" ("... obligations : resolution / adopted by the
# General Assembly"); the XML title is $a alone. $b and $c hold no colon, $c no slash.
STR_DTYPE = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


@dataclass(frozen=True, eq=False)
class UndlRecords:
    """What one UNDL file gives: per-country ``votes`` and per-record ``texts`` (see module)."""

    votes: pd.DataFrame
    texts: pd.DataFrame


# --------------------------------------------------------------------------------------------
# shared helpers


def records_frames(votes: dict[str, list], texts: dict[str, list]) -> UndlRecords:
    """Build the two frames with fixed columns and dtypes (str; Int64 for totals)."""
    v = pd.DataFrame({c: _str_series(votes[c]) for c in VOTE_COLUMNS})
    t = pd.DataFrame(
        {
            c: pd.Series(pd.array(texts[c], dtype="Int64"))
            if c in TOTAL_COLUMNS
            else pd.Series(texts[c], dtype=STR_DTYPE)
            for c in TEXT_COLUMNS
        }
    )
    return UndlRecords(votes=v, texts=t)


def _str_series(values: list | pd.Series) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True).astype(STR_DTYPE)
    return pd.Series(values, dtype=STR_DTYPE)


def body_of(symbol: str | None, default: str | None = None) -> str | None:
    if symbol and symbol.startswith("A/"):
        return "GA"
    if symbol and symbol.startswith("S/"):
        return "SC"
    return default


def tally_problems(
    counts: dict[str, int], totals: dict[str, int | None], rows: str, says: dict[str, str]
) -> list[str]:
    """'967 rows give 148 Yes, 996 says 149' for every vote whose total is known and differs."""
    out = []
    for code, key in TALLY_FIELDS.items():
        want = totals.get(key)
        if want is None:
            continue
        got = counts.get(code, 0)
        if got != want:
            out.append(f"{rows} give {got} {VOTE_WORDS[code]}, {says[key]} says {want}")
    return out


def iso_day(value: str) -> str | None:
    """'2025-06-12' or '20250612' -> '2025-06-12'; None if it is not a real day."""
    v = value.strip()
    if re.fullmatch(r"\d{8}", v):
        v = f"{v[:4]}-{v[4:6]}-{v[6:]}"
    if not DAY_RE.match(v):
        return None
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        return None
    return v


def trim_title(title: str | None) -> str | None:
    """245 $a without its trailing ' :' or ' /' (the title is already cleaned, so linear), and
    without leading '=', '+', '-', '@' (no UN title starts so; a spreadsheet would read such a
    cell as a formula)."""
    if not title:
        return None
    t = title.rstrip()
    if t.endswith((":", "/")):
        t = t[:-1].rstrip()
    t = t.lstrip("=+-@ ")
    return t or None
