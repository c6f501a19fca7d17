"""`unga-brief fetch`: the live path, polite and all-or-nothing, tested against a local stub.

Every test here talks to a scripted HTTP server on 127.0.0.1 (an ephemeral port, a thread that
stops by itself) or to a closed port; nothing ever reaches a real host.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest
import yaml
from conftest import ROOT, tree_digest

from unga_brief import __version__
from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.live import fetch
from unga_brief.undl import client

SAMPLES = ROOT / "tests" / "fixtures" / "undl"
RECORD = (SAMPLES / "record_4083529.xml").read_bytes()  # A/RES/ES-10/27 -> ga-es10-27
OTHER = (SAMPLES / "record_4088074.xml").read_bytes()  # A/DEC/80/506, not in the mini catalogue
EMPTY = b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">\n</collection>'
XML = {"Content-Type": "application/xml; charset=utf-8"}


# --- a scripted UNDL on 127.0.0.1 -------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=lambda: dict(XML))
    delay: float = 0.0  # seconds the server waits before answering (at most 2)
    length: int | None = None  # a Content-Length other than the body's (a short body)


class UndlStub:
    """Answers with ``replies`` in order and records every request (path, query, headers).

    A request beyond the script gets 404 (never retried), so a runaway client shows up as a
    failure. The serving thread stops by itself after ``lifetime`` seconds at the latest.
    """

    def __init__(self, replies: list[Reply], *, lifetime: float = 15.0):
        self.replies = list(replies)
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                parts = urllib.parse.urlsplit(self.path)
                stub.requests.append(
                    {
                        "path": parts.path,
                        "query": dict(urllib.parse.parse_qsl(parts.query)),
                        "headers": dict(self.headers),
                    }
                )
                reply = stub.replies.pop(0) if stub.replies else Reply(404, b"unexpected")
                if reply.delay:
                    time.sleep(min(reply.delay, 2.0))
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    length = len(reply.body) if reply.length is None else reply.length
                    self.send_header("Content-Length", str(length))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (read timeout): nothing to do
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.server.timeout = 0.05
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            self.server.handle_request()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> UndlStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.server.server_close()
        assert not self._thread.is_alive(), "the stub server stops"


def closed_port() -> int:
    """A local port with nothing listening (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Waits(list):
    """A stand-in for time.sleep that records the waits (so back-off costs no test time)."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 6))


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    """No proxy and no real UNDL: a test that forgot its stub fails on a closed port."""
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv(client.BASE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.delenv(client.CONTACT_ENV, raising=False)


@pytest.fixture
def waits(monkeypatch) -> Waits:
    """Tiny back-off (base 0.01 s), no pause between requests, short timeouts."""
    w = Waits()
    monkeypatch.setattr(
        client,
        "DEFAULT_POLICY",
        client.FetchPolicy(
            connect_timeout=2,
            read_timeout=2,
            tries=4,
            backoff_base=0.01,
            max_wait=5,
            pause=0,
            sleep=w,
        ),
    )
    return w


def cli(paths, *args: str) -> int:
    return main(["--root", str(paths.root), "--sources", str(paths.sources), *args])


def _votes(paths):
    return pd.read_csv(paths.votes_dir / "ga.csv", dtype=str, keep_default_na=False)


# --- success ------------------------------------------------------------------------------------


def test_fetched_record_is_stored_byte_for_byte_with_its_url_and_ingested(
    mini_curated, waits, monkeypatch, capsys
):
    with UndlStub([Reply(200, RECORD)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini_curated, "fetch", "--record", "4083529") == 0
    assert [r["path"] for r in undl.requests] == ["/record/4083529/export/xm"]
    ua = undl.requests[0]["headers"]["User-Agent"]
    assert ua == f"unga-brief/{__version__} (+README; contact in docs)"
    stored = sorted(mini_curated.raw_dir.glob("record_4083529-*.xml"))
    assert len(stored) == 1 and stored[0].read_bytes() == RECORD
    meta = yaml.safe_load(stored[0].with_name(stored[0].name + ".meta.yml").read_text())
    assert meta["texts"] == {"4083529": "ga-es10-27"}
    assert f"{undl.base}/record/4083529/export/xm" in meta["origin"]
    assert meta["retrieved_at"].endswith("Z") and "downloaded on" in meta["attribution"]
    v = _votes(mini_curated).query("text_id == 'ga-es10-27'")
    assert len(v) > 0 and v["source"].str.contains("data/raw/record_4083529").all()
    assert "stored data/raw/record_4083529-" in capsys.readouterr().out
    assert waits == [], "one request, no retry, no wait"


def test_contact_address_goes_into_the_user_agent(monkeypatch):
    monkeypatch.setenv(client.CONTACT_ENV, "briefing@example.org")
    assert client.user_agent() == (
        f"unga-brief/{__version__} (+README; contact: briefing@example.org)"
    )


def test_base_url_is_the_real_site_unless_configured(monkeypatch):
    monkeypatch.delenv(client.BASE_URL_ENV)
    assert client.base_url() == "https://digitallibrary.un.org"
    assert client.record_url(4083529) == "https://digitallibrary.un.org/record/4083529/export/xm"
    monkeypatch.setenv(client.BASE_URL_ENV, "http://127.0.0.1:9/undl/")
    assert client.base_url() == "http://127.0.0.1:9/undl"
    assert client.base_url("http://mirror.example/") == "http://mirror.example"
    with pytest.raises(errors.ParameterError, match="expected http"):
        client.base_url("ftp://example.org")


def test_429_then_200_waits_what_retry_after_asks(mini_curated, waits, monkeypatch):
    with UndlStub([Reply(429, b"slow down", {"Retry-After": "1"}), Reply(200, RECORD)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini_curated, "fetch", "--record", "4083529") == 0
    assert len(undl.requests) == 2
    assert waits == [1.0], "Retry-After: 1 outranks the 0.01 s back-off"
    assert len(list(mini_curated.raw_dir.glob("record_4083529-*.xml"))) == 1


def test_retry_after_longer_than_the_longest_wait_gives_up_at_once(mini, waits, monkeypatch):
    before = tree_digest(mini.data)
    with UndlStub([Reply(429, b"", {"Retry-After": "3600"})]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        with pytest.raises(errors.NetworkError, match=r"asks to wait 3600 s.*data/ unchanged"):
            fetch.fetch(mini, records=["4083529"])
    assert len(undl.requests) == 1 and waits == []
    assert tree_digest(mini.data) == before


def test_symbol_is_one_search_of_the_voting_data_returning_marc_xml(
    mini_curated, waits, monkeypatch
):
    with UndlStub([Reply(200, RECORD)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini_curated, "fetch", "--symbol", "A/RES/ES-10/27") == 0
    (req,) = undl.requests
    assert req["path"] == "/search"
    q = req["query"]
    assert (q["p"], q["of"], q["cc"], q["c"]) == (
        'documentsymbol:"A/RES/ES-10/27"',
        "xm",
        "Voting Data",
        "Voting Data",
    )
    assert (q["rg"], q["jrec"]) == ("100", "1")
    assert (
        (_votes(mini_curated).query("text_id == 'ga-es10-27'")["source"])
        .str.contains("data/raw/undl_A_RES_ES-10_27_p1")
        .all()
    )


def test_unknown_symbol_is_an_error_and_changes_nothing(mini, waits, monkeypatch, capsys):
    before = tree_digest(mini.data)
    with UndlStub([Reply(200, EMPTY)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini, "fetch", "--symbol", "A/RES/ES-99/1") == 2
    assert "no voting record with symbol 'A/RES/ES-99/1'" in capsys.readouterr().err
    assert tree_digest(mini.data) == before


def test_since_follows_pages_until_a_short_one(mini_curated, monkeypatch):
    monkeypatch.setattr(
        client, "DEFAULT_POLICY", client.FetchPolicy(page_size=1, pause=0, sleep=Waits())
    )
    with UndlStub([Reply(200, RECORD), Reply(200, EMPTY)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini_curated, "fetch", "--since", "2025-06-01") == 0
    assert [r["query"]["jrec"] for r in undl.requests] == ["1", "2"]
    assert {r["query"]["p"] for r in undl.requests} == {"269:2025-06-01->9999-12-31"}
    assert len(list(mini_curated.raw_dir.glob("undl_since_2025-06-01_p1-*.xml"))) == 1


def test_since_matching_more_than_the_page_bound_is_refused(mini, monkeypatch):
    policy = client.FetchPolicy(page_size=1, max_pages=2, pause=0, sleep=Waits())
    before = tree_digest(mini.data)
    with UndlStub([Reply(200, RECORD), Reply(200, OTHER)]) as undl:
        with pytest.raises(errors.ParameterError, match="more than 2 voting records match"):
            fetch.fetch(mini, since="2025-01-01", base=undl.base, policy=policy)
    assert len(undl.requests) == 2 and tree_digest(mini.data) == before


def test_fetching_the_same_record_again_changes_nothing(mini_curated, waits, monkeypatch, capsys):
    with UndlStub([Reply(200, RECORD), Reply(200, RECORD)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        assert cli(mini_curated, "fetch", "--record", "4083529") == 0
        before = tree_digest(mini_curated.data)
        capsys.readouterr()
        assert cli(mini_curated, "fetch", "--record", "4083529") == 0
    assert "already ingested, nothing to do" in capsys.readouterr().out
    assert tree_digest(mini_curated.data) == before


def test_record_outside_the_catalogue_needs_add_like_ingest(mini_curated, waits, monkeypatch):
    before = tree_digest(mini_curated.data)
    with UndlStub([Reply(200, OTHER), Reply(200, OTHER)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        with pytest.raises(errors.UnknownText, match="use --add --topic T"):
            fetch.fetch(mini_curated, records=["4088074"])
        assert tree_digest(mini_curated.data) == before
        res = fetch.fetch(mini_curated, records=["4088074"], add=True, topic="gaza")
    assert res.ingest.added == ["ga-dec-80-506"]


# --- failures: one line, the documented exit code, data/ untouched ----------------------------------


def test_a_run_of_500s_ends_in_network_error_exit_3_with_data_untouched(
    mini_curated, waits, monkeypatch, capsys
):
    before = tree_digest(mini_curated.data)
    with UndlStub([Reply(500, b"oops")] * 4) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        code = cli(mini_curated, "fetch", "--record", "4083529")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1] == (
        f"unga-brief: network: could not reach {undl.host} after 4 tries (HTTP 500); "
        "data/ unchanged"
    )
    assert len(undl.requests) == 4, "a bounded number of tries"
    assert waits == [0.01, 0.02, 0.04], "exponential back-off between the tries"
    assert tree_digest(mini_curated.data) == before


def test_backoff_is_capped_by_the_longest_wait(mini, monkeypatch):
    w = Waits()
    policy = client.FetchPolicy(tries=5, backoff_base=1, max_wait=3, pause=0, sleep=w)
    with UndlStub([Reply(503, b"")] * 5) as undl:
        with pytest.raises(errors.NetworkError, match=r"after 5 tries \(HTTP 503\)"):
            fetch.fetch(mini, records=["1"], base=undl.base, policy=policy)
    assert w == [1, 2, 3, 3]


def test_read_timeout_is_a_network_error(mini, monkeypatch):
    policy = client.FetchPolicy(
        connect_timeout=2, read_timeout=0.2, tries=2, backoff_base=0.01, pause=0, sleep=Waits()
    )
    before = tree_digest(mini.data)
    t0 = time.monotonic()
    with UndlStub([Reply(200, RECORD, delay=1.0)] * 2) as undl:
        with pytest.raises(errors.NetworkError) as e:
            fetch.fetch(mini, records=["4083529"], base=undl.base, policy=policy)
    assert str(e.value) == (
        f"network: could not reach {undl.host} after 2 tries "
        "(no answer within 0.2 s (read timeout)); data/ unchanged"
    )
    assert time.monotonic() - t0 < 1.8, "the client did not wait for the slow server"
    assert tree_digest(mini.data) == before


def test_connection_refused_is_a_network_error(mini, waits, capsys):
    before = tree_digest(mini.data)
    code = cli(mini, "fetch", "--record", "4083529")  # the closed port of _offline
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and len(err) == 1
    assert err[0].startswith("unga-brief: network: could not reach 127.0.0.1:")
    assert err[0].endswith("after 4 tries (connection refused); data/ unchanged")
    assert tree_digest(mini.data) == before


def test_client_errors_are_not_retried(mini, waits, monkeypatch):
    with UndlStub([Reply(404, b"not found")]) as undl:
        with pytest.raises(errors.NetworkError, match=r"answered HTTP 404 Not Found for http"):
            fetch.fetch(mini, records=["999999999"], base=undl.base)
    assert len(undl.requests) == 1 and waits == []


def test_empty_202_bot_answer_is_explained(mini, waits):
    with UndlStub([Reply(202, b"", {})]) as undl:
        with pytest.raises(errors.NetworkError, match=r"HTTP 202 with an empty body.*ingest"):
            fetch.fetch(mini, records=["4083529"], base=undl.base)
    assert len(undl.requests) == 1


@pytest.mark.parametrize(
    "body, headers, pattern",
    [
        ((SAMPLES / "record_4083529_truncated.xml").read_bytes(), XML, "malformed XML"),
        ((SAMPLES / "xml_bomb.xml").read_bytes(), XML, "refused: the XML has a DOCTYPE"),
        ((SAMPLES / "xml_external_entity.xml").read_bytes(), XML, "refused"),
        (
            b"<!DOCTYPE html><html><body>Checking your browser</body></html>",
            {"Content-Type": "text/html"},
            "an HTML page, not MARC XML",
        ),
        (b"", XML, "the answer is empty"),
    ],
    ids=["truncated", "billion-laughs", "external-entity", "html", "empty"],
)
def test_a_bad_answer_is_refused_with_exit_2_and_nothing_written(
    mini, waits, monkeypatch, capsys, body, headers, pattern
):
    before = tree_digest(mini.data)
    with UndlStub([Reply(200, body, headers)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        code = cli(mini, "fetch", "--record", "4083529")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert pattern in err[0] and f"{undl.base}/record/4083529/export/xm" in err[0]
    assert err[0].endswith("data/ unchanged")
    assert len(undl.requests) == 1, "a bad answer is not retried"
    assert tree_digest(mini.data) == before


def test_oversized_answer_is_refused(mini, monkeypatch):
    policy = client.FetchPolicy(max_bytes=1000, pause=0, sleep=Waits())
    with UndlStub([Reply(200, RECORD)]) as undl:
        with pytest.raises(errors.MalformedFile, match="more than the 1,000 allowed"):
            fetch.fetch(mini, records=["4083529"], base=undl.base, policy=policy)


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--record", "12x"], "not a UNDL record id"),
        (["--since", "2025-13-01"], "expected a day"),
        (["--record", "1", "--add"], "--add needs --topic"),
    ],
)
def test_bad_request_is_refused_before_any_network_use(mini, capsys, args, pattern):
    assert cli(mini, "fetch", *args) == 2
    assert pattern in capsys.readouterr().err


def test_fetch_holds_the_run_lock(mini, waits, capsys):
    from unga_brief.core.lock import project_lock

    with project_lock(mini, "run"):
        assert cli(mini, "fetch", "--record", "4083529") == 5
    assert "another unga-brief run holds" in capsys.readouterr().err


# --- only fetch goes online ---------------------------------------------------------------------------


def test_no_command_but_fetch_opens_a_socket(mini, monkeypatch, capsys, tmp_path):
    opened = []

    def no_network(self, address):
        opened.append(address)
        raise OSError("network use forbidden in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    assert cli(mini, "curate") == 0
    assert cli(mini, "validate") == 0
    assert cli(mini, "ingest", str(SAMPLES / "record_4083529.xml")) == 0
    assert cli(mini, "diff", str(mini.data), str(mini.data)) == 0
    assert opened == []
    # the guard does catch a socket: fetch is refused by it
    policy = client.FetchPolicy(tries=1, pause=0, sleep=Waits())
    monkeypatch.setattr(client, "DEFAULT_POLICY", policy)
    assert cli(mini, "fetch", "--record", "4083529") == 3
    assert opened and "network use forbidden" in capsys.readouterr().err


def test_short_body_is_a_network_failure_exit_3(mini_curated, waits, capsys):
    """A body shorter than its Content-Length is a dropped connection (retried, then exit 3),
    not malformed XML (exit 2)."""
    cut = RECORD[: len(RECORD) // 2]
    before = tree_digest(mini_curated.data)
    tries = client.DEFAULT_POLICY.tries
    with UndlStub([Reply(200, cut, length=len(RECORD))] * tries) as undl:
        code = main(
            [
                "--root",
                str(mini_curated.root),
                "fetch",
                "--record",
                "4083529",
                "--base-url",
                undl.base,
            ]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3, err
    assert err[-1] == (
        f"unga-brief: network: could not reach {undl.host} after {tries} tries "
        "(answer cut off before its end); data/ unchanged"
    )
    assert len(undl.requests) == tries, "retried like any dropped connection"
    assert tree_digest(mini_curated.data) == before


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/record.xml", "file:///etc/passwd"])
def test_redirect_to_a_non_http_address_is_refused(mini_curated, waits, capsys, target):
    before = tree_digest(mini_curated.data)
    with UndlStub([Reply(302, b"", headers={"Location": target})]) as undl:
        code = main(
            [
                "--root",
                str(mini_curated.root),
                "fetch",
                "--record",
                "4083529",
                "--base-url",
                undl.base,
            ]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and len(err) == 1, err
    assert "not an http(s) address; refused" in err[0] and target in err[0]
    assert len(undl.requests) == 1, "nothing followed"
    assert tree_digest(mini_curated.data) == before


def test_redirect_to_http_is_followed(mini_curated, waits):
    with UndlStub(
        [Reply(302, b"", headers={"Location": "/elsewhere"}), Reply(200, RECORD)]
    ) as undl:
        res = fetch.fetch(mini_curated, records=["4083529"], base=undl.base)
    assert [r["path"] for r in undl.requests] == ["/record/4083529/export/xm", "/elsewhere"]
    assert res.ingest.mapped == {"4083529": "ga-es10-27"}
