"""The change log and `unga-brief diff` agree with git (issue 14.2): empty exactly when every
data file (the change log aside) is byte-identical, and every ingest that changes data/ writes
an entry listing texts added, coverage and basis changes, changed votes and moved totals.
(The change log is compared too: git sees it.)"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from conftest import ROOT, tree_digest

from unga_brief.cli import main
from unga_brief.data.changes import diff, snapshot, summary
from unga_brief.live.ingest import ingest

SAMPLES = ROOT / "tests" / "fixtures" / "undl"


def _data_digest(data):
    return {k: v for k, v in tree_digest(data).items() if not k.rsplit("/", 1)[-1].startswith(".")}


def _edit_vote(data, text_id, iso3, vote):
    ga = data / "votes" / "ga.csv"
    df = pd.read_csv(ga, dtype=str, keep_default_na=False)
    df.loc[(df["text_id"] == text_id) & (df["iso3"] == iso3), "vote"] = vote
    df.to_csv(ga, index=False, lineterminator="\n")


def _edit_catalog(data, text_id, column, value):
    p = data / "catalog" / "catalog.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df.loc[df["id"] == text_id, column] = value
    df.to_csv(p, index=False, lineterminator="\n")


MUTATIONS = {
    "nothing": lambda d: None,
    "a vote": lambda d: _edit_vote(d, "ga-es11-07", "FRA", "A"),
    "a total": lambda d: _edit_catalog(d, "ga-es11-07", "official_yes", "1"),
    "a note": lambda d: _edit_catalog(d, "ga-es11-07", "note", "edited"),
    "a citation": lambda d: _edit_catalog(d, "ga-es11-07", "source_citation", "elsewhere"),
    "a reference file": lambda d: (d / "reference" / "tile_grid.csv").write_text("x\n"),
    "a new file": lambda d: (d / "raw").mkdir() or (d / "raw" / "x.xml").write_text("<x/>"),
    "the change log only": lambda d: (
        (d / "changes").mkdir() or (d / "changes" / "n.md").write_text("n")
    ),
}


@pytest.mark.parametrize("what", list(MUTATIONS))
def test_diff_is_empty_exactly_when_the_data_files_are_identical(mini_curated, tmp_path, what):
    old = tmp_path / "old"
    shutil.copytree(mini_curated.data, old)
    MUTATIONS[what](mini_curated.data)
    ch = diff(snapshot(old), snapshot(mini_curated.data))
    identical = _data_digest(old) == _data_digest(mini_curated.data)
    assert ch.empty == identical, ch
    assert (summary(ch) == ["no change"]) == identical


def test_diff_cli_prints_each_change_and_no_change_only_when_identical(
    mini_curated, tmp_path, capsys
):
    old = tmp_path / "old"
    shutil.copytree(mini_curated.data, old)
    assert main(["diff", str(old), str(mini_curated.data)]) == 0
    assert capsys.readouterr().out.strip() == "no change"
    MUTATIONS["a reference file"](mini_curated.data)
    assert main(["diff", str(old), str(mini_curated.data)]) == 0
    assert "file changed: data/reference/tile_grid.csv" in capsys.readouterr().out


def test_an_ingest_that_moves_no_vote_still_logs_what_git_sees(mini_curated, tmp_path):
    """The real record of A/RES/ES-10/27 agrees with the gathered copy vote for vote: git shows
    the catalogue, the votes' sources, sources.yml and the new raw files changed; so does the
    log."""
    before = tmp_path / "before"
    shutil.copytree(mini_curated.data, before)
    res = ingest(mini_curated, [SAMPLES / "record_4083529.xml"])
    assert not res.changes.empty
    assert _data_digest(before) != _data_digest(mini_curated.data)
    log = pd.read_csv(mini_curated.changes_dir / "changes.csv", dtype=str, keep_default_na=False)
    assert len(log) == len(res.changes) and set(log["action"]) == {"ingest"}
    notes = list(mini_curated.changes_dir.glob("*-ingest.md"))
    assert len(notes) == 1
    text = notes[0].read_text(encoding="utf-8")
    assert "input added: data/raw/record_4083529-" in text and "source changed for" in text
    again = diff(snapshot(before), snapshot(mini_curated.data))
    logged = again[~again["field"].str.startswith("data/changes/")]
    assert len(logged) == len(res.changes), "diff of the snapshots = the logged change + the log"
    assert set(again.loc[logged.index.symmetric_difference(again.index), "change"]) == {
        "file added"
    }


def test_summary_names_texts_added_coverage_basis_each_vote_and_moved_totals():
    ch = pd.DataFrame(
        [
            ("text added", "t1", "A/1", "", "coverage", "", "full"),
            ("coverage changed", "t2", "A/2", "", "coverage", "partial", "full"),
            ("totals moved", "t2", "A/2", "", "official_yes", "10", "11"),
            ("basis changed", "t2", "A/2", "FRA", "basis", "named", "record"),
            ("basis changed", "t2", "A/2", "DEU", "basis", "named", "record"),
            ("vote changed", "t2", "A/2", "ITA", "vote", "A", "Y"),
            ("vote added", "t2", "A/2", "ESP", "vote", "", "Y"),
        ],
        columns=["change", "text_id", "symbol", "iso3", "field", "old", "new"],
    )
    lines = summary(ch)
    assert lines[0] == "A/1: coverage ∅→full"
    assert "coverage partial→full" in lines[1] and "official_yes 10→11" in lines[1]
    assert "basis changed for 2 votes (named→record: 2)" in lines[1]
    assert "votes changed: ITA A→Y" in lines[1]
    assert "1 votes added" in lines[1]


def test_catalog_changes_are_listed_text_by_text_and_field_by_field():
    """Every changed catalogue field of a text kept is one row (the log lists coverage and
    totals before other metadata); a text added or removed is one row; an unchanged field is
    not listed."""
    cols = ["id", "symbol", "label", "coverage", "official_yes", "title"]
    old = pd.DataFrame(
        [
            ["t1", "A/1", "", "full", "100", "One"],
            ["t2", "A/2", "", "partial", "10", "Two"],
            ["t3", "A/3", "", "full", "5", "Three"],
        ],
        columns=cols,
    )
    new = pd.DataFrame(
        [
            ["t2", "A/2", "", "full", "11", "Two"],
            ["t1", "A/1", "", "full", "100", "One, retitled"],
            ["t4", "", "decision 4", "full", "7", "Four"],
        ],
        columns=cols,
    )
    empty = {"votes": pd.DataFrame(), "files": {}}
    rows = diff({**empty, "catalog": old}, {**empty, "catalog": new})
    got = [tuple(r) for r in rows[["change", "text_id", "symbol", "field", "old", "new"]].values]
    assert got == [
        ("text added", "t4", "decision 4", "coverage", "", "full"),
        ("text removed", "t3", "A/3", "coverage", "full", ""),
        ("coverage changed", "t2", "A/2", "coverage", "partial", "full"),
        ("totals moved", "t2", "A/2", "official_yes", "10", "11"),
        ("metadata changed", "t1", "A/1", "title", "One", "One, retitled"),
    ]
