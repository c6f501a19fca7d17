"""Provenance per file (issue 14.1): each ingested file keeps its origin and the day *it* was
downloaded; the credits and the sources page list every UN Digital Library input with its own
date, never today's date for a file fetched elsewhere."""

from __future__ import annotations

import datetime as dt
import shutil
from types import SimpleNamespace

import pandas as pd
import yaml
from conftest import ROOT

from unga_brief.cli import main
from unga_brief.data.catalog import load_catalog
from unga_brief.data.ingested import attribution, attribution_lines, raw_files
from unga_brief.live.ingest import ingest
from unga_brief.report import briefing

SAMPLES = ROOT / "tests" / "fixtures" / "undl"
TODAY = dt.datetime.now(dt.UTC).date().isoformat()


def _meta(paths, stored: str) -> dict:
    return yaml.safe_load((paths.root / (stored + ".meta.yml")).read_text(encoding="utf-8"))


def test_retrieval_date_stated_with_the_flag(mini_curated):
    day = "2025-09-29"  # any day other than today: the test's own choice
    argv = ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "ingest"]
    assert main([*argv, str(SAMPLES / "record_4083529.xml"), "--retrieved-on", day]) == 0
    (f,) = raw_files(mini_curated).itertuples()
    assert (f.retrieved, f.ingested) == (day, TODAY)
    assert f.attribution.endswith(
        f"© United Nations, {day[:4]}, https://digitallibrary.un.org, downloaded on {day}"
    )
    assert f.retrieved_basis == "stated by the user"


def test_retrieval_date_from_a_sidecar_beside_the_file(mini_curated, tmp_path):
    src = tmp_path / "record_4083529.xml"
    shutil.copy(SAMPLES / "record_4083529.xml", src)
    (tmp_path / "record_4083529.xml.source.yml").write_text(
        "retrieved_on: 2024-02-03\norigin: a colleague's download\n"
    )
    res = ingest(mini_curated, [src])
    meta = _meta(mini_curated, res.stored[0])
    assert meta["retrieved_at"] == "2024-02-03" and meta["origin"] == "a colleague's download"
    assert meta["retrieved_basis"] == "stated in record_4083529.xml.source.yml"
    assert "downloaded on 2024-02-03" in meta["attribution"]


def test_without_a_stated_date_the_credit_says_so_never_today(mini_curated):
    res = ingest(mini_curated, [SAMPLES / "record_4083529.xml"])
    meta = _meta(mini_curated, res.stored[0])
    assert meta["retrieved_at"] is None and meta["ingested_at"].startswith(TODAY)
    assert f"downloaded on {TODAY}" not in meta["attribution"]
    assert "downloaded on a date not stated" in meta["attribution"]
    v = pd.read_csv(mini_curated.votes_dir / "ga.csv", dtype=str, keep_default_na=False)
    cites = v.loc[v["text_id"] == "ga-es10-27", "citation"]
    assert cites.str.contains("retrieval date not stated").all()


def test_bad_retrieval_date_is_refused_exit_2(mini_curated, capsys):
    argv = ["--root", str(mini_curated.root), "ingest", str(SAMPLES / "record_4083529.xml")]
    assert main([*argv, "--retrieved-on", "2025-02-30"]) == 2
    assert "--retrieved-on '2025-02-30': expected a day" in capsys.readouterr().err


def test_attribution_lists_each_undl_input_with_its_own_date(mini_curated):
    ingest(mini_curated, [SAMPLES / "record_4083529.xml"], retrieved_at="2025-09-29")
    a = attribution(mini_curated).set_index("file")
    doc = yaml.safe_load(mini_curated.sources_yml.read_text(encoding="utf-8"))["inputs"]
    raw = [d["file"] for d in doc if d["file"].startswith("data/raw/")]
    gathered = [
        d["file"] for d in doc if d.get("rank") == 1 and not d["file"].startswith("data/raw/")
    ]
    assert raw and gathered
    assert a.loc[raw[0], "retrieved"] == "2025-09-29"
    for f in gathered:  # third parties' copies: their date is not stated, and the line says so
        assert (
            a.loc[f, "retrieved"] == ""
            and "a date the copy does not state" in a.loc[f, "attribution"]
        )
    lines = attribution_lines(mini_curated)
    assert len(lines) == len(a) and not any(f"downloaded on {TODAY}" in x for x in lines)


def _ctx(paths):
    cat = load_catalog(paths)
    window = (cat["date"].min(), cat["date"].max())  # every text of the fixture
    return SimpleNamespace(paths=paths, catalog=cat, params=SimpleNamespace(window=window))


def test_sources_page_reflects_data_raw(mini_curated):
    page = briefing.sources_block(_ctx(mini_curated))
    assert "No UN Digital Library file has been ingested" in page
    ingest(mini_curated, [SAMPLES / "record_4083529.xml"], retrieved_at="2025-09-29")
    shutil.rmtree(mini_curated.changes_dir)  # even without a change log, data/raw/ is what counts
    page = briefing.sources_block(_ctx(mini_curated))
    assert "No UN Digital Library file has been ingested" not in page
    assert "downloaded on 2025-09-29" in page and "data/raw/record_4083529-" in page
    table = briefing.sources_table(_ctx(mini_curated)).set_index("file")
    stored = next(f for f in table.index if f.startswith("data/raw/"))
    assert table.loc[stored, "retrieved"] == "2025-09-29"


def test_a_gathered_copy_shows_the_download_date_curation_yml_states(mini):
    """curation.yml may state when a third party downloaded its copy (`retrieved:`); the credit
    then carries that date instead of 'not stated'."""
    from unga_brief.data.curate import run_curate

    rules = yaml.safe_load(mini.curation_yml.read_text(encoding="utf-8"))
    spec = next(v for v in rules["inputs"]["votes"] if v["rank"] == 1)
    spec["retrieved"] = "2025-07-07"
    mini.curation_yml.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    run_curate(mini)
    a = attribution(mini).set_index("file")
    assert a.loc[spec["file"], "retrieved"] == "2025-07-07"
    assert a.loc[spec["file"], "attribution"].endswith("downloaded on 2025-07-07")
