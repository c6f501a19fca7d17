"""Text from outside: cleaned once, where it enters (issue 13.4).

Everything the UNDL readers return that came from the file is safe to print, to write into a
CSV or an HTML page and to draw: control characters (C0, DEL, C1, line and paragraph
separators) become spaces; bidi controls and other invisible format characters (zero-width
spaces, joiners, the BOM, language tags) are removed; runs of white space become one space;
lengths are capped. All of it in linear time (one character-class regex, one split). A
document symbol or a record id holding such characters is refused, not cleaned: it names a
document, and a hidden character could make it look like another one.
"""

from __future__ import annotations

import re

import pandas as pd

from unga_brief.core.errors import (
    MalformedFile,
)

# --------------------------------------------------------------------------------------------
# Text from outside: cleaned once, here, where it enters (issue 13.4)
#
# Everything these readers return that came from the file is safe to print, to write into a
# CSV or an HTML page and to draw: control characters (C0, DEL, C1, line and paragraph
# separators) become spaces; bidi controls and other invisible format characters (zero-width
# spaces, joiners, the BOM, language tags) are removed; runs of white space become one space;
# lengths are capped. All of it in linear time (one character-class regex, one split). A
# document symbol or a record id holding such characters is refused, not cleaned: it names a
# document, and a hidden character could make it look like another one.

TITLE_MAX = 500  # a UNDL 245 $a title is at most a few hundred characters
NAME_MAX = 120  # a state's name
FIELD_MAX = 120  # draft symbol(s), meeting record
SYMBOL_MAX = 60  # a UN document symbol, e.g. A/RES/ES-11/10 or S/RES/2803(2025)
SHOWN_MAX = 60  # a value quoted in an error message
_CONTROL = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_FORMAT = (
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0000-\U000e007f"
)
_CONTROL_RE = re.compile(f"[{_CONTROL}]")
_FORMAT_RE = re.compile(f"[{_FORMAT}]")
UNSAFE_RE = re.compile(f"[{_CONTROL}{_FORMAT}]")
RECORD_ID_RE = re.compile(r"^[0-9]{1,12}$")


def clean_text(value: str | None, limit: int) -> str | None:
    """Outside text made safe: controls -> space, format characters removed, white space
    collapsed, at most ``limit`` characters (cut with an ellipsis). None or '' -> None."""
    if value is None:
        return None
    s = _FORMAT_RE.sub("", _CONTROL_RE.sub(" ", value))
    s = " ".join(s.split())
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "\u2026"
    return s or None


def clean_series(s: pd.Series, limit: int) -> pd.Series:
    """:func:`clean_text` on a column of strings (vectorised; '' stays '')."""
    out = (
        s.str.replace(_CONTROL_RE, " ", regex=True)
        .str.replace(_FORMAT_RE, "", regex=True)
        .str.split()
        .str.join(" ")
    )
    long = out.str.len() > limit
    if long.any():
        out = out.where(~long, out.str.slice(0, limit - 1).str.rstrip() + "\u2026")
    return out


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """A value quoted in a message: repr (escapes controls, bidi and format characters), cut."""
    s = str(value)
    cut = len(s) > limit
    r = repr(s[:limit])
    if not s[:limit].isprintable() or _FORMAT_RE.search(s[:limit]):
        r = repr(s[:limit]).encode("ascii", "backslashreplace").decode("ascii")
    return r + ("\u2026" if cut else "")


def safe_label(name: str) -> str:
    """A file name for messages: printable as it is, non-printable characters escaped."""
    if name.isprintable() and not _FORMAT_RE.search(name):
        return name[:300]
    return name.encode("unicode_escape").decode("ascii")[:300]


def check_symbol(symbol: str, where: str) -> str:
    """A document symbol from a file: refused if it holds hidden characters or is too long."""
    s = symbol.strip()
    if UNSAFE_RE.search(s) or len(s) > SYMBOL_MAX or not s.isprintable():
        raise MalformedFile(
            f"{where}: refused: document symbol {shown(s)} holds control or invisible "
            f"characters or is longer than {SYMBOL_MAX} characters"
        )
    return s


def check_record_id(rid: str, where: str) -> str:
    if not RECORD_ID_RE.match(rid):
        raise MalformedFile(
            f"{where}: refused: record id {shown(rid)} is not a number (UNDL record ids are digits)"
        )
    return rid
