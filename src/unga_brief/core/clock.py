"""The time stamps the project writes (retrieval, ingest and change-log times): UTC, to the second."""

from __future__ import annotations

import datetime as dt


def utc_now() -> str:
    """Now in UTC as ``2026-11-29T04:20:11Z``."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
