"""The UN Digital Library over HTTP, politely (the UNDL terms forbid automated downloading
without approval): one request at a time with a pause between requests and an identifying
``User-Agent`` (:func:`user_agent`; set ``UNGA_BRIEF_CONTACT`` to add an e-mail address);
connect and read timeouts; a bounded number of tries with exponential back-off on HTTP 429
(``Retry-After`` honoured), 5xx, timeouts and dropped connections. Every download goes to a
temporary file first and is returned only when complete and parsed as MARC XML.

URLs (base ``https://digitallibrary.un.org``, or ``UNGA_BRIEF_UNDL_BASE``, or a parameter):

- a record: ``{base}/record/{id}/export/xm`` (the MARC XML export of one record);
- a symbol or a date: one search of the "Voting Data" collection returning MARC XML,
  ``{base}/search?ln=en&cc=Voting+Data&c=Voting+Data&p=QUERY&of=xm&rg=100&jrec=1`` with
  ``QUERY`` = ``documentsymbol:"A/RES/ES-11/7"`` or ``269:2026-01-01->9999-12-31`` (the UNDL
  search help documents the ``documentsymbol`` logical field, which covers 791 $a, and
  ``->`` ranges on MARC tags such as 269, the date of the vote); pages of ``rg`` records are
  followed with ``jrec`` up to a bound.

Any network failure raises :class:`~unga_brief.core.errors.NetworkError` (exit 3) with one line.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import http.client
import logging
import os
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from unga_brief import __version__
from unga_brief.core.clock import utc_now
from unga_brief.core.errors import (
    MalformedFile,
    NetworkError,
    ParameterError,
    UngaBriefError,
    UnknownText,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://digitallibrary.un.org"
BASE_URL_ENV = "UNGA_BRIEF_UNDL_BASE"
CONTACT_ENV = "UNGA_BRIEF_CONTACT"
VOTING_COLLECTION = "Voting Data"
UNCHANGED = "data/ unchanged"

_HAS_RECORD = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?record[\s>/]")


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how long to try. Tests pass tiny values; the defaults suit UNDL."""

    connect_timeout: float = 15.0
    read_timeout: float = 60.0
    #: a whole response must arrive within this (a server trickling bytes cannot hold us)
    total_timeout: float = 300.0
    tries: int = 4
    #: waits between tries: backoff_base * 2**(try-1), at most max_wait (2, 4, 8 s by default)
    backoff_base: float = 2.0
    #: the longest single wait, also for ``Retry-After``: a server asking for more is given up on
    max_wait: float = 120.0
    #: the pause between two successive requests (one request at a time, never in parallel)
    pause: float = 1.0
    max_bytes: int = 64 * 2**20
    #: search pages: records per page (UNDL ``rg``) and the most pages followed
    page_size: int = 100
    max_pages: int = 5
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        if self.tries < 1 or self.page_size < 1 or self.max_pages < 1:
            raise ParameterError("fetch: tries, page_size and max_pages must be at least 1")


#: What :func:`fetch` and :func:`refresh` use when no policy is given (tests replace it).
DEFAULT_POLICY = FetchPolicy()


def base_url(base: str | None = None) -> str:
    """The UNDL base URL: the parameter, else ``UNGA_BRIEF_UNDL_BASE``, else the real site."""
    url = (base or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParameterError(f"UNDL base URL {url!r}: expected http(s)://host[:port][/path]")
    return url


def user_agent() -> str:
    """``unga-brief/<version> (+README; contact in docs)``, or with ``UNGA_BRIEF_CONTACT``."""
    contact = os.environ.get(CONTACT_ENV, "").strip()
    who = f"contact: {contact}" if contact else "contact in docs"
    return f"unga-brief/{__version__} (+README; {who})"


def record_url(record_id: str | int, base: str | None = None) -> str:
    return f"{base_url(base)}/record/{record_id}/export/xm"


def symbol_query(symbol: str) -> str:
    """UNDL search for a document symbol (exact phrase in the ``documentsymbol`` field)."""
    return f'documentsymbol:"{symbol}"'


def since_query(since: str) -> str:
    """UNDL search for votes on or after a day (a range on 269, the date of the vote)."""
    return f"269:{since}->9999-12-31"


def search_url(query: str, base: str | None = None, *, rg: int = 100, jrec: int = 1) -> str:
    params = [
        ("ln", "en"),
        ("cc", VOTING_COLLECTION),
        ("c", VOTING_COLLECTION),
        ("p", query),
        ("of", "xm"),
        ("rg", str(rg)),
        ("jrec", str(jrec)),
    ]
    return f"{base_url(base)}/search?{urllib.parse.urlencode(params)}"


# --- HTTP with separate connect and read timeouts ----------------------------------------------


class _TimedHTTPConnection(http.client.HTTPConnection):
    """Connects within ``timeout`` (the connect timeout), then waits ``read_timeout`` per read."""

    def __init__(self, *args, read_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()
        self.sock.settimeout(self._read_timeout)


class _TimedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, read_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._read_timeout = read_timeout

    def connect(self) -> None:
        super().connect()  # TCP connect and TLS handshake within the connect timeout
        self.sock.settimeout(self._read_timeout)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, read_timeout: float):
        super().__init__()
        self._conn = functools.partial(_TimedHTTPConnection, read_timeout=read_timeout)

    def http_open(self, req):
        return self.do_open(self._conn, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, read_timeout: float):
        super().__init__(context=ssl.create_default_context())
        self._conn = functools.partial(_TimedHTTPSConnection, read_timeout=read_timeout)

    def https_open(self, req):
        return self.do_open(self._conn, req, context=self._context)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _reason(err: BaseException, policy: FetchPolicy, *, connecting: bool) -> str:
    """A short phrase for what went wrong (goes inside the one-line message)."""
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        inner = err.reason
        if isinstance(inner, BaseException):
            return _reason(inner, policy, connecting=True)
        return str(inner)
    if isinstance(err, socket.gaierror):
        return f"name not resolved: {err.strerror or err}"
    if isinstance(err, TimeoutError):
        if connecting:
            return f"no connection within {policy.connect_timeout:g} s"
        return f"no answer within {policy.read_timeout:g} s (read timeout)"
    if isinstance(err, ConnectionRefusedError):
        return "connection refused"
    if isinstance(err, ConnectionResetError):
        return "connection reset"
    if isinstance(err, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(err, http.client.IncompleteRead):
        return "answer cut off before its end"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror.lower()
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to another http(s) address (urllib alone would follow ftp://)."""

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("location") or headers.get("uri") or ""
        newurl = urllib.parse.urljoin(req.full_url, target)
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            from unga_brief.undl.cleaning import shown

            fp.close()
            raise NetworkError(
                f"network: {urllib.parse.urlsplit(req.full_url).netloc} redirected "
                f"{req.full_url} to {shown(newurl, 100)}, not an http(s) address; refused; "
                f"{UNCHANGED}"
            )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class _Slow(Exception):
    """The whole response did not arrive within ``total_timeout``."""


@dataclass
class Download:
    url: str
    path: Path
    retrieved_at: str
    bytes: int
    records: int = 0


class UndlClient:
    """One polite HTTP client: sequential requests, retries with back-off, bounded downloads."""

    def __init__(self, base: str | None = None, policy: FetchPolicy | None = None):
        self.base = base_url(base)
        self.policy = policy or DEFAULT_POLICY
        self.user_agent = user_agent()
        self._opener = urllib.request.build_opener(
            _HTTPHandler(self.policy.read_timeout),
            _HTTPSHandler(self.policy.read_timeout),
            _RedirectHandler(),
        )
        self._opener.addheaders = []  # no default Python-urllib User-Agent
        self._last: float | None = None
        self.requests = 0

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.base).netloc

    def _polite_pause(self) -> None:
        if self._last is not None:
            wait = self.policy.pause - (time.monotonic() - self._last)
            if wait > 0:
                self.policy.sleep(wait)

    def _wait(self, attempt: int, retry_after: float | None, url: str, last: str) -> None:
        p = self.policy
        delay = min(p.max_wait, p.backoff_base * 2 ** (attempt - 1))
        if retry_after is not None:
            if retry_after > p.max_wait:
                raise NetworkError(
                    f"network: {self.host} asks to wait {retry_after:.0f} s before retrying "
                    f"({last}, Retry-After), more than the {p.max_wait:g} s this client waits; "
                    f"try again later; {UNCHANGED}"
                )
            delay = max(delay, retry_after)
        log.info(
            "%s: %s; retrying in %.2f s (try %d of %d)", url, last, delay, attempt + 1, p.tries
        )
        p.sleep(delay)

    def get(self, url: str, dest: Path) -> Download:
        """Download ``url`` into ``dest`` (complete, or raise). Retries 429/5xx and drops."""
        p = self.policy
        headers = {
            "User-Agent": self.user_agent,
            "Accept": "application/xml, text/xml;q=0.9, */*;q=0.1",
            "Accept-Encoding": "identity",
        }
        last = "no try made"
        for attempt in range(1, p.tries + 1):
            self._polite_pause()
            retry_after = None
            self.requests += 1
            try:
                req = urllib.request.Request(url, headers=headers, method="GET")
                with self._opener.open(req, timeout=p.connect_timeout) as resp:
                    return self._save(resp, url, dest)
            except urllib.error.HTTPError as e:
                code = e.code
                retry_after = _retry_after(e.headers.get("Retry-After") if e.headers else None)
                e.close()
                last = f"HTTP {code}"
                if code != 429 and not 500 <= code < 600:
                    raise NetworkError(
                        f"network: {self.host} answered HTTP {code} {e.reason} for {url}; "
                        f"{UNCHANGED}"
                    ) from None
            except ssl.SSLCertVerificationError as e:
                raise NetworkError(
                    f"network: {self.host}: TLS certificate not trusted ({e.verify_message}); "
                    f"{UNCHANGED}"
                ) from None
            except urllib.error.URLError as e:  # connecting or sending the request
                if isinstance(e.reason, ssl.SSLCertVerificationError):
                    raise NetworkError(
                        f"network: {self.host}: TLS certificate not trusted "
                        f"({e.reason.verify_message}); {UNCHANGED}"
                    ) from None
                last = _reason(e, p, connecting=True)
            except _Slow:
                last = f"answer not complete within {p.total_timeout:g} s"
            except (OSError, http.client.HTTPException) as e:  # reading the answer
                last = _reason(e, p, connecting=False)
            finally:
                self._last = time.monotonic()
            if attempt < p.tries:
                self._wait(attempt, retry_after, url, last)
        tries = f"{p.tries} tries" if p.tries > 1 else "1 try"
        raise NetworkError(
            f"network: could not reach {self.host} after {tries} ({last}); {UNCHANGED}"
        )

    def _save(self, resp, url: str, dest: Path) -> Download:
        p = self.policy
        status = resp.status
        length = resp.headers.get("Content-Length")
        ctype = (resp.headers.get_content_type() or "").lower()
        if status != 200:
            body = resp.read(1024)
            if not body:
                raise NetworkError(
                    f"network: {self.host} answered HTTP {status} with an empty body for {url} "
                    "(UNDL does this to automated requests it does not serve: download the file "
                    f"in a browser and use `unga-brief ingest`); {UNCHANGED}"
                )
            raise NetworkError(
                f"network: {self.host} answered HTTP {status}, not 200, for {url}; {UNCHANGED}"
            )
        if length and length.isdigit() and int(length) > p.max_bytes:
            raise MalformedFile(
                f"{url}: refused: the answer is {int(length):,} bytes, more than the "
                f"{p.max_bytes:,} allowed; {UNCHANGED}"
            )
        started = time.monotonic()
        total = 0
        with open(dest, "wb") as out:
            while chunk := resp.read(1 << 16):
                total += len(chunk)
                if total > p.max_bytes:
                    raise MalformedFile(
                        f"{url}: refused: the answer is more than {p.max_bytes:,} bytes; "
                        f"{UNCHANGED}"
                    )
                if time.monotonic() - started > p.total_timeout:
                    raise _Slow()
                out.write(chunk)
        if length and length.isdigit() and total < int(length):
            # a body shorter than announced: the connection dropped (retried, then exit 3)
            raise http.client.IncompleteRead(b"", int(length) - total)
        if total == 0:
            raise MalformedFile(f"{url}: the answer is empty (no MARC XML); {UNCHANGED}")
        if ctype == "text/html":
            with open(dest, "rb") as f:
                head = f.read(1 << 16)
            if not _HAS_RECORD.search(head):
                raise MalformedFile(
                    f"{url}: the answer is an HTML page, not MARC XML (an error or bot-check "
                    f"page?); {UNCHANGED}"
                )
        log.info("%s: %d bytes", url, total)
        return Download(url=url, path=dest, retrieved_at=utc_now(), bytes=total)


# --- validating what came in ----------------------------------------------------------------------


def _count_records(path: Path, url: str) -> int:
    """Parse the download as MARC XML (defusedxml) and return its number of records.

    A well-formed ``<collection>`` with no record (a search that matched nothing) gives 0; any
    other problem raises MalformedFile naming the URL.
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError
    from defusedxml.ElementTree import parse as safe_parse

    from unga_brief.undl.marc_xml import parse_marc_xml

    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if not _HAS_RECORD.search(head):
        try:
            root = safe_parse(
                str(path), forbid_dtd=True, forbid_entities=True, forbid_external=True
            ).getroot()
        except (ParseError, DefusedXmlException, ValueError):
            root = None
        if root is not None and root.tag.rsplit("}", 1)[-1] == "collection" and not len(root):
            return 0
    try:
        rec = parse_marc_xml(path, label=url)
    except UngaBriefError as e:
        raise type(e)(f"{e}; {UNCHANGED}") from None
    return len(rec.texts)


def safe_name(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", s).strip("_")[:60]


def download_record(client: UndlClient, record_id: str, folder: Path) -> Download:
    url = record_url(record_id, client.base)
    d = client.get(url, folder / f"record_{record_id}.xml")
    d.records = _count_records(d.path, url)
    if not d.records:
        raise UnknownText(
            f"fetch: the UN Digital Library returned no record for id {record_id}; {UNCHANGED}"
        )
    return d


def download_search(
    client: UndlClient, query: str, folder: Path, stem: str, what: str
) -> list[Download]:
    """All pages of one search (MARC XML), bounded by ``policy.max_pages``."""
    p = client.policy
    out: list[Download] = []
    for page in range(1, p.max_pages + 1):
        url = search_url(query, client.base, rg=p.page_size, jrec=1 + (page - 1) * p.page_size)
        d = client.get(url, folder / f"{stem}_p{page}.xml")
        d.records = _count_records(d.path, url)
        if d.records:
            out.append(d)
        if d.records < p.page_size:
            return out
    raise ParameterError(
        f"fetch: more than {p.page_size * p.max_pages} voting records match {what}; narrow the "
        f"request (a later --since, or --symbol/--record); {UNCHANGED}"
    )
