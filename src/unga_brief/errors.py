"""One exception type per kind of failure, all derived from :class:`UngaBriefError`.

The CLI turns any of them into one line on stderr and the exit code of DESIGN §6:
2 invalid data or parameters, 3 network, 4 notebook or render failure.
"""

from __future__ import annotations


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
