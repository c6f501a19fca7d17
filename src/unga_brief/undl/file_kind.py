"""Which UNDL file this is (MARC XML, GA or SC bulk CSV), read from its first bytes."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from unga_brief.core.errors import (
    MalformedFile,
)
from unga_brief.undl.bulk_csv import csv_layout
from unga_brief.undl.cleaning import safe_label

# --------------------------------------------------------------------------------------------
# sniffing


_XML_RECORD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:collection|record)[\s>/]")


def sniff(path: str | Path) -> str:
    """'marcxml', 'ga-bulk-csv' or 'sc-bulk-csv', judged from the first bytes / the header.

    Raises MalformedFile ("unrecognised file") for anything else.
    """
    path = Path(path)
    name = safe_label(str(path))
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except FileNotFoundError:
        raise MalformedFile(f"{name}: file not found") from None
    except IsADirectoryError:
        raise MalformedFile(f"{name}: is a directory, not a file") from None
    s = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not s:
        raise MalformedFile(f"{name}: unrecognised file (empty)")
    if s.startswith(b"<"):
        if _XML_RECORD.search(s):
            return "marcxml"
        raise MalformedFile(
            f"{name}: unrecognised file (XML, but no MARC <collection> or <record> near the start)"
        )
    try:
        line = s.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")
        header = [c.strip() for c in next(csv.reader([line]))]
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise MalformedFile(
            f"{name}: unrecognised file (neither MARC XML nor a CSV header)"
        ) from None
    layout = csv_layout(header)
    if layout is None:
        shown = ", ".join(header[:25])
        raise MalformedFile(
            f"{name}: unrecognised file (not a UNDL bulk voting CSV header: {shown})"
        )
    return layout
