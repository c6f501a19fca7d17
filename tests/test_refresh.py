"""`unga-brief run --refresh`: unattended regeneration from `refresh.yml` (fetch + inbox)."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
import yaml
from conftest import ROOT, needs_shared, tree_digest
from test_fetch import RECORD, SAMPLES, Reply, UndlStub, Waits, closed_port
from test_ingest import full_roll_call_for
from undl_builders import marc_record

from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.core.paths import Paths
from unga_brief.live import refresh
from unga_brief.undl import client


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv(client.BASE_URL_ENV, f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setattr(
        client,
        "DEFAULT_POLICY",
        client.FetchPolicy(
            connect_timeout=2, read_timeout=2, tries=2, backoff_base=0.01, pause=0, sleep=Waits()
        ),
    )


def pristine_copy(dest) -> Paths:
    """A scratch copy of the project (data, notebooks, params) as it is before any ingest: the
    working tree's data/raw/ and data/changes/ are left out and data/ re-curated without them,
    so that no test depends on what this clone has ingested (issue 14.4)."""
    root = dest
    root.mkdir()
    for d in ("data", "notebooks"):
        shutil.copytree(
            ROOT / d,
            root / d,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "raw", "changes"),
        )
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    (root / "pyproject.toml").write_text("# marker\n")
    paths = Paths.default(root, ROOT.parent / "shared" / "data" / "sources")
    if (ROOT / "data" / "raw").is_dir() and paths.sources.is_dir():
        from unga_brief.data.curate import run_curate

        run_curate(paths)  # the curated files without the ingested layer
    return paths


@pytest.fixture
def project(tmp_path) -> Paths:
    """A pristine scratch copy of the project with a 'previous' report."""
    paths = pristine_copy(tmp_path / "proj")
    for d, name in (("report", "briefing.html"), ("figures", "old.svg")):
        (paths.root / d).mkdir()
        (paths.root / d / name).write_text("previous good output\n")
    return paths


def _write(paths: Paths, cfg: dict) -> None:
    (paths.root / "refresh.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def _cat(paths):
    return pd.read_csv(paths.catalog_csv, dtype=str, keep_default_na=False).set_index("id")


def test_without_refresh_yml_refresh_brings_in_nothing(mini_curated):
    before = tree_digest(mini_curated.data)
    res = refresh.refresh(mini_curated)
    assert res.fetched is None and res.ingested is None
    assert tree_digest(mini_curated.data) == before


def test_refresh_fetches_records_then_ingests_the_inbox(mini_curated, monkeypatch):
    tid = "ga-es11-2026-02-24"
    inbox = mini_curated.root / "inbox"
    inbox.mkdir()
    (inbox / "es11_10.xml").write_bytes(
        marc_record(
            "9990001", "A/RES/ES-11/10", "2026-02-24", "t", full_roll_call_for(mini_curated, tid)
        )
    )
    (inbox / "notes.txt").write_text("not matched by the glob\n")
    _write(mini_curated, {"fetch": {"records": [4083529, 4088074]}, "ingest": ["inbox/*.xml"]})
    other = (SAMPLES / "record_4088074.xml").read_bytes()
    lines: list[str] = []
    with UndlStub([Reply(200, RECORD), Reply(200, other)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        res = refresh.refresh(mini_curated, progress=lines.append)
    assert [r["path"] for r in undl.requests] == [
        "/record/4083529/export/xm",
        "/record/4088074/export/xm",
    ]
    assert res.fetched.ingest.mapped == {"4083529": "ga-es10-27"}
    assert any("4088074" in s and "not in the catalogue" in s for s in res.fetched.skipped), (
        "unattended, a record outside the catalogue is skipped, never added"
    )
    assert res.ingested.mapped == {"9990001": tid}
    assert _cat(mini_curated).loc[tid, "coverage"] == "full"
    assert any(
        line.startswith("refresh: es11_10.xml: ingested (as data/raw/es11_10-") for line in lines
    )
    assert any(
        line.startswith("refresh: fetched record_4083529.xml: ingested (as data/raw/")
        for line in lines
    ), "the fetched files' outcomes are logged too"

    # the next refresh finds the same files: nothing changes
    before = tree_digest(mini_curated.data)
    with UndlStub([Reply(200, RECORD), Reply(200, other)]) as undl:
        monkeypatch.setenv(client.BASE_URL_ENV, undl.base)
        res = refresh.refresh(mini_curated)
    assert res.fetched.ingest.already and res.ingested.already
    assert tree_digest(mini_curated.data) == before


def test_every_inbox_file_gets_its_outcome_and_an_unmatched_one_fails_exit_6(mini_curated):
    """Ingested before, new and good, outside the catalogue, broken, a FIFO: each file gets its
    line; the unmatched and the refused ones fail the refresh, and nothing is stored."""
    import os

    inbox = mini_curated.root / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "record_4083529.xml", inbox / "a_known.xml")
    _write(mini_curated, {"ingest": ["inbox/*.xml"]})
    refresh.refresh(mini_curated)  # the normal state: the inbox keeps files ingested earlier
    tid = "ga-es11-2026-02-24"
    (inbox / "b_new.xml").write_bytes(
        marc_record(
            "9990001", "A/RES/ES-11/10", "2026-02-24", "t", full_roll_call_for(mini_curated, tid)
        )
    )
    shutil.copy(SAMPLES / "record_4088074.xml", inbox / "c_outside.xml")
    before = tree_digest(mini_curated.data)
    sha = hashlib.sha256((inbox / "a_known.xml").read_bytes()).hexdigest()
    lines: list[str] = []
    with pytest.raises(errors.UnknownText, match="nothing to ingest from c_outside.xml") as e:
        refresh.refresh(mini_curated, progress=lines.append)
    assert e.value.exit_code == 6
    assert lines == [
        f"refresh: a_known.xml: already ingested (as data/raw/a_known-{sha[:8]}.xml)",
        "refresh: b_new.xml: ingested (as data/raw/b_new-" + lines[1].split("data/raw/b_new-")[1],
        "refresh: c_outside.xml: matched no text (1 record(s) selected, none in the catalogue: "
        "record 4088074 (A/DEC/80/506, 2025-09-12) is not in the catalogue)",
    ]
    assert tree_digest(mini_curated.data) == before, "all or nothing"

    os.mkfifo(inbox / "d_pipe.xml")
    (inbox / "e_broken.xml").write_bytes(b"<collection><record>")
    lines.clear()
    with pytest.raises(errors.MalformedFile) as e:
        refresh.refresh(mini_curated, progress=lines.append)
    assert e.value.exit_code == 2, "a refused file outranks an unmatched one"
    outcome = {line.split(": ")[1]: line.split(": ", 2)[2] for line in lines}
    assert outcome["d_pipe.xml"].startswith("refused (") and "FIFO" in outcome["d_pipe.xml"]
    assert (
        outcome["e_broken.xml"].startswith("refused (")
        and "malformed XML" in outcome["e_broken.xml"]
    )
    assert set(outcome) == {
        "a_known.xml",
        "b_new.xml",
        "c_outside.xml",
        "d_pipe.xml",
        "e_broken.xml",
    }
    assert tree_digest(mini_curated.data) == before


def test_run_refresh_with_an_unmatched_inbox_file_exits_6_with_one_line(project, capsys):
    inbox = project.root / "inbox"
    inbox.mkdir()
    (inbox / "r.xml").write_bytes(
        marc_record("9990002", "A/RES/99/999", "2026-01-01", "t", {"FRA": "Y"})
    )
    _write(project, {"ingest": ["inbox/*.xml"]})
    before = (tree_digest(project.report), tree_digest(project.data))
    code = main(["--root", str(project.root), "run", "--refresh"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 6
    assert err[-2].startswith("refresh: r.xml: matched no text")
    assert err[-1].startswith("unga-brief: nothing to ingest from r.xml: ")
    assert (tree_digest(project.report), tree_digest(project.data)) == before


@pytest.mark.parametrize(
    "cfg, pattern",
    [
        ({"fetch": {"records": [1]}, "inbox": ["x"]}, r"unknown key\(s\) inbox"),
        ({"fetch": {"record": [1]}}, r"fetch: unknown key\(s\) record"),
        ({"fetch": {"since": "yesterday"}}, "expected a day"),
        ({"fetch": {"base_url": "file:///tmp"}}, "expected http"),
        ({"ingest": {"a": 1}}, "ingest: expected a list"),
    ],
)
def test_bad_refresh_yml_is_named(mini, cfg, pattern):
    _write(mini, cfg)
    with pytest.raises(errors.ParameterError, match=pattern):
        refresh.load_refresh_config(mini)


def test_refresh_yml_reads_dates_and_single_values(mini):
    (mini.root / "refresh.yml").write_text(
        "fetch:\n  since: 2026-01-01\n  symbols: A/RES/ES-11/7\ningest: in/*\n"
    )
    cfg = refresh.load_refresh_config(mini)
    assert cfg["fetch"]["since"] == "2026-01-01" and cfg["fetch"]["symbols"] == ["A/RES/ES-11/7"]
    assert cfg["ingest"] == ["in/*"]


def test_run_refresh_with_unreachable_undl_exits_3_and_keeps_everything(project, capsys):
    port = closed_port()
    _write(project, {"fetch": {"records": [4083529], "base_url": f"http://127.0.0.1:{port}"}})
    before = (tree_digest(project.report), tree_digest(project.figures), tree_digest(project.data))
    code = main(["--root", str(project.root), "run", "--refresh"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[-1] == (
        f"unga-brief: network: could not reach 127.0.0.1:{port} after 2 tries "
        "(connection refused); data/ unchanged"
    )
    assert not any("notebooks:" in line for line in err), "no notebook may start"
    after = (tree_digest(project.report), tree_digest(project.figures), tree_digest(project.data))
    assert after == before, "report/, figures/ and data/ byte-identical"


def test_run_refresh_with_a_bad_refresh_yml_exits_2(project, capsys):
    _write(project, {"fetch": {"records": ["abc"]}})
    before = tree_digest(project.report)
    assert main(["--root", str(project.root), "run", "--refresh"]) == 2
    assert "not a UNDL record id" in capsys.readouterr().err
    assert tree_digest(project.report) == before


@pytest.mark.slow
@needs_shared
def test_run_refresh_ingests_the_inbox_and_publishes(project, capsys):
    inbox = project.root / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "record_4083529.xml", inbox)
    _write(project, {"ingest": ["inbox/*.xml"]})
    html = project.root / "html.yaml"
    html.write_text(yaml.safe_dump({"formats": ["html"]}))
    code = main(["--root", str(project.root), "run", "--refresh", "--params", str(html)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "refresh: record_4083529.xml: ingested (as data/raw/record_4083529-" in err
    assert len(list(project.raw_dir.glob("record_4083529-*.xml.meta.yml"))) == 1
    votes = pd.read_csv(project.votes_dir / "ga.csv", dtype=str, keep_default_na=False)
    assert votes.query("text_id == 'ga-es10-27'")["source"].str.contains("data/raw/").all()
    assert "data/raw/record_4083529-" in project.sources_yml.read_text()
    assert (project.report / "briefing.html").read_text() != "previous good output\n"
    manifest = json.loads((project.report / "manifest.json").read_text())
    ga_sha = hashlib.sha256((project.votes_dir / "ga.csv").read_bytes()).hexdigest()
    assert manifest["inputs"]["data/votes/ga.csv"] == ga_sha, "the run used the refreshed data"
