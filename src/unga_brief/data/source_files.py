"""Reading the gathered source files strictly: exact header, no short rows, no truncation.

Every problem is raised as :class:`~unga_brief.core.errors.MalformedFile` naming the file and line,
and nothing is written by the caller when one is raised.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd

from unga_brief.core.errors import MalformedFile

VOTE_HEADER = ["symbol", "date", "iso3", "country", "vote", "source"]
TOTALS_HEADER = [
    "symbol",
    "date",
    "body",
    "kind",
    "title",
    "yes",
    "no",
    "abstain",
    "non_voting",
    "source",
]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_csv_strict(path: Path, header: list[str], *, label: str | None = None) -> pd.DataFrame:
    """Read a UTF-8, LF, comma-separated file whose header must equal ``header``.

    Every value is read as a string ('' for empty). Raises MalformedFile for a missing file, a
    wrong header, a row with the wrong number of fields, an unterminated quote, or a file whose
    last line has no newline (a sign of truncation).
    """
    name = label or str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise MalformedFile(f"{name}: file not found") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedFile(f"{name}: not UTF-8 ({e.reason} at byte {e.start})") from None
    if not text:
        raise MalformedFile(f"{name}: empty file (expected header {','.join(header)})")
    if not text.endswith("\n"):
        last = text.count("\n") + 1
        raise MalformedFile(f"{name}:{last}: last line has no newline (file truncated?)")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        got = next(reader)
        if got != header:
            raise MalformedFile(
                f"{name}:1: wrong header {','.join(got)!r}, expected {','.join(header)!r}"
            )
        for row in reader:
            if len(row) != len(header):
                raise MalformedFile(
                    f"{name}:{reader.line_num}: {len(row)} fields, header has {len(header)}"
                    + (" (file truncated?)" if len(row) < len(header) else "")
                )
            rows.append(row)
    except csv.Error as e:
        raise MalformedFile(f"{name}:{reader.line_num}: {e} (file truncated?)") from None
    return pd.DataFrame(rows, columns=header, dtype="object")
