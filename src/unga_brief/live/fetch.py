"""`unga-brief fetch`: bring UN Digital Library voting records in over the network (DESIGN §7).

The same as ``ingest``, except that the files come from the UN Digital Library (UNDL) instead of
the user's downloads folder. It runs only when called (never from ``curate``, ``validate`` or a
plain ``run``). The requests are made by :class:`unga_brief.undl.client.UndlClient`, politely
(the UNDL terms forbid automated downloading without approval; the client's module gives the
rules and the URLs). Only a complete response that parses as MARC XML is handed to
:func:`unga_brief.live.ingest.ingest`, which keeps it byte for byte under ``data/raw/`` with its
URL and retrieval time, re-curates and logs the changes.

Any network failure raises :class:`NetworkError` (exit 3) with one line, e.g.
``network: could not reach digitallibrary.un.org after 4 tries (HTTP 503); data/ unchanged``,
and leaves ``data/`` as it was. A response that is not valid MARC XML raises
:class:`MalformedFile` (exit 2), also with nothing written. ``unga-brief run --refresh`` goes
through :mod:`unga_brief.live.refresh`.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unga_brief.core.errors import (
    ParameterError,
    UnknownText,
)
from unga_brief.core.paths import Paths
from unga_brief.undl.cleaning import RECORD_ID_RE
from unga_brief.undl.client import (
    UNCHANGED,
    Download,
    FetchPolicy,
    UndlClient,
    download_record,
    download_search,
    safe_name,
    since_query,
    symbol_query,
)
from unga_brief.undl.records import DAY_RE

log = logging.getLogger(__name__)


# --- fetch = download + ingest ----------------------------------------------------------------------


@dataclass
class FetchResult:
    downloads: list[Download] = field(default_factory=list)
    ingest: object | None = None  # IngestResult, or None when nothing was handed to ingest
    skipped: list[str] = field(default_factory=list)
    requests: int = 0


def check_request(records, symbols, since) -> None:
    if not (records or symbols or since):
        raise ParameterError("fetch: give --record ID, --symbol S or --since YYYY-MM-DD")
    bad = [r for r in records if not RECORD_ID_RE.match(str(r))]
    if bad:
        raise ParameterError(f"fetch --record: not a UNDL record id (digits): {', '.join(bad)}")
    if since is not None:
        ok = bool(DAY_RE.match(str(since)))
        if ok:
            try:
                dt.date.fromisoformat(str(since))
            except ValueError:
                ok = False
        if not ok:
            raise ParameterError(f"fetch --since {since!r}: expected a day, YYYY-MM-DD")
    empty = [s for s in symbols if not str(s).strip()]
    if empty:
        raise ParameterError("fetch --symbol: empty symbol")


def _drop_unmapped(paths: Paths, downloads: list[Download]) -> tuple[list[Download], list[str]]:
    """Keep the downloads holding at least one record of the catalogue (unattended refresh)."""
    from unga_brief.data.catalog import load_texts_meta
    from unga_brief.live.ingest_checks import match_records
    from unga_brief.undl.marc_xml import parse_marc_xml

    texts_meta = load_texts_meta(paths)
    keep, skipped = [], []
    for d in downloads:
        rec = parse_marc_xml(d.path, label=d.url)
        mapping = match_records(rec.texts, texts_meta)
        if any(mapping.values()):
            keep.append(d)
        for r in rec.texts.itertuples():
            if not mapping[r.undl_record]:
                skipped.append(
                    f"record {r.undl_record} ({r.symbol}, {r.date}) is not in the catalogue"
                )
    return keep, skipped


def fetch(
    paths: Paths,
    *,
    records: list[str] | None = None,
    symbols: list[str] | None = None,
    since: str | None = None,
    add: bool = False,
    topic: str | None = None,
    series: str | None = None,
    base: str | None = None,
    policy: FetchPolicy | None = None,
    strict: bool = True,
    progress: Callable[[str], None] = log.info,
) -> FetchResult:
    """Download the asked records (sequentially), then ``ingest`` them in one all-or-nothing step.

    ``strict`` (the CLI): a download holding no catalogue record is an error, as for
    ``ingest`` (use ``add``/``topic``). Not strict (``run --refresh``): such downloads are
    skipped and listed. Nothing under ``data/`` changes unless every download succeeded.
    """
    from unga_brief.live.ingest import ingest

    records = [str(r).strip() for r in (records or [])]
    symbols = [str(s).strip() for s in (symbols or [])]
    since = str(since) if since is not None else None
    check_request(records, symbols, since)
    if topic is not None or add:
        from unga_brief.core.vocab import TOPICS

        if topic is not None and topic not in TOPICS:
            raise ParameterError(f"--topic {topic!r}: choose {', '.join(sorted(TOPICS))}")
        if add and not topic:
            raise ParameterError("--add needs --topic (the topic of the texts it adds)")
    client = UndlClient(base, policy)
    res = FetchResult()
    with tempfile.TemporaryDirectory(prefix="unga-brief-fetch-") as tmp:
        folder = Path(tmp)
        for rid in records:
            d = download_record(client, rid, folder)
            progress(f"fetched record {rid}: {d.records} record(s), {d.bytes:,} bytes ({d.url})")
            res.downloads.append(d)
        for sym in symbols:
            got = download_search(
                client, symbol_query(sym), folder, f"undl_{safe_name(sym)}", f"symbol {sym}"
            )
            if not got:
                raise UnknownText(
                    f"fetch: the UN Digital Library has no voting record with symbol {sym!r} "
                    f"(yet?); {UNCHANGED}"
                )
            n = sum(d.records for d in got)
            progress(f"fetched symbol {sym}: {n} record(s) in {len(got)} page(s)")
            res.downloads += got
        if since:
            got = download_search(
                client, since_query(since), folder, f"undl_since_{since}", f"--since {since}"
            )
            n = sum(d.records for d in got)
            progress(f"fetched votes since {since}: {n} record(s) in {len(got)} page(s)")
            res.downloads += got
        res.requests = client.requests
        todo = [d for d in res.downloads if d.records]
        if not strict and todo:
            todo, res.skipped = _drop_unmapped(paths, todo)
        if not todo:
            return res
        origin = f"fetched by `unga-brief fetch` ({client.user_agent}) from " + " ; ".join(
            d.url for d in todo
        )
        res.ingest = ingest(
            paths,
            [d.path for d in todo],
            add=add,
            topic=topic,
            series=series,
            retrieved_at=max(d.retrieved_at for d in todo),
            retrieved_basis="the time `unga-brief fetch` downloaded it",
            origin=origin,
        )
    return res
