"""One exception type per kind of failure, all derived from :class:`UngaBriefError`.

The CLI turns any of them into one line on stderr (:func:`one_line`) and the exit code of
DESIGN §6: 2 invalid data or parameters (an input that cannot be read or decoded included),
3 network, 4 notebook, render or write failure (a full disk, a read-only folder), 5 another
command holds the lock, 6 an input file that matches no catalogue text (add the text with
``ingest --add --topic`` or remove the file). Signals end with the shell's codes: 130 interrupted (Ctrl-C),
141 output pipe closed, 143 terminated (SIGTERM); 1 is an unexpected error (a bug: ``-v``
prints its traceback).
"""

from __future__ import annotations

import re
import unicodedata

#: Longest error line printed (the rest is cut with an ellipsis).
MAX_LINE = 400

_SPACES = re.compile(r"\s+")


def one_line(message: object, limit: int = MAX_LINE) -> str:
    """``message`` as one printable line: control and format characters (terminal escapes,
    NUL, bidi overrides, zero-width marks) removed, whitespace runs made one space, cut to
    ``limit`` characters."""
    text = str(message)
    text = "".join(
        " " if ch in "\t\n\r\v\f" else ch
        for ch in text[: limit * 4]
        if ch in "\t\n\r\v\f" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")
    )
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def first_line(message: object) -> str:
    """The first non-blank line of an error message (matplotlib's start with a newline)."""
    return next((ln.strip() for ln in str(message or "").splitlines() if ln.strip()), "")


class UngaBriefError(Exception):
    """Base class: a failure the user can act on, reported as one line."""

    exit_code = 1


class DataError(UngaBriefError):
    """The data (sources, curated files, catalogue) is invalid."""

    exit_code = 2


class TotalsMismatch(DataError):
    """A text's country rows do not reproduce its official totals."""


class UnknownCountry(DataError):
    """An ISO3 code that is not a Member State (or not a Council member that year)."""


class DuplicateVote(DataError):
    """A country appears twice for one text."""


class BadVoteCode(DataError):
    """A vote code outside Y, N, A, X."""


class BadDate(DataError):
    """A date that does not parse as YYYY-MM-DD."""


class MalformedFile(DataError):
    """A CSV/YAML/XML file that cannot be read: wrong header, truncated, unparseable."""


class UnknownText(DataError):
    """A catalogue id or source label that the catalogue does not know."""


class UnmatchedFile(UnknownText):
    """No record of a new input file maps to a catalogue text (exit 6: add the text or remove
    the file)."""

    exit_code = 6


class SourceConflict(DataError):
    """Two sources of the highest rank present for a country disagree, unresolved."""


class ParameterError(UngaBriefError):
    """A bad parameter: unknown id, unknown country, empty window, wrong type."""

    exit_code = 2


class NetworkError(UngaBriefError):
    """The network was needed (only `fetch`) and failed."""

    exit_code = 3


class RenderError(UngaBriefError):
    """A notebook failed, or rendering HTML/PDF failed (e.g. Chromium missing)."""

    exit_code = 4


class LockedError(UngaBriefError):
    """Another run holds the lock."""

    exit_code = 5


class Terminated(BaseException):
    """SIGTERM arrived: clean up (staging, temporary folders, child processes) and stop.

    A ``BaseException`` like ``KeyboardInterrupt``, so that no ``except Exception`` turns it
    into an ordinary failure."""

    exit_code = 143
