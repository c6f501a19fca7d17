"""`unga-brief ingest` and `diff`: UN Digital Library files come in, partial texts get upgraded."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import ROOT, tree_digest
from undl_builders import marc_record

from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.data.validate import OFFICIAL, validate_data
from unga_brief.live.ingest import ingest

SAMPLES = ROOT / "tests" / "fixtures" / "undl"


def _cat(paths):
    return pd.read_csv(paths.catalog_csv, dtype=str, keep_default_na=False).set_index("id")


def _votes(paths):
    return pd.read_csv(paths.votes_dir / "ga.csv", dtype=str, keep_default_na=False)


def full_roll_call_for(paths, text_id: str, *, flip: str | None = None) -> dict[str, str]:
    """A synthetic complete roll call that agrees with every named row of ``text_id`` and with
    its official totals (the states not named fill the remaining counts)."""
    cat = _cat(paths).loc[text_id]
    members = pd.read_csv(paths.reference_dir / "member_states.csv", dtype=str)["iso3"].tolist()
    named = _votes(paths).query("text_id == @text_id").set_index("iso3")["vote"].to_dict()
    need = {
        c: int(cat[col]) - sum(1 for v in named.values() if v == c) for c, col in OFFICIAL.items()
    }
    votes = dict(named)
    free = [m for m in members if m not in named]
    for c in "NAXY":
        for _ in range(need[c]):
            votes[free.pop(0)] = c
    assert not free and len(votes) == 193
    if flip:  # make the record disagree with one named row, keeping the totals
        other = next(i for i, v in votes.items() if v == "Y" and i not in named)
        votes[flip], votes[other] = "Y", votes[flip]
    return votes


def test_real_marc_record_is_stored_byte_for_byte_with_sha256(mini_curated):
    src = SAMPLES / "record_4083529.xml"
    res = ingest(mini_curated, [src], retrieved_at="2026-11-23T10:00:00Z")
    stored = mini_curated.root / res.stored[0]
    assert stored.read_bytes() == src.read_bytes()
    meta = yaml.safe_load(stored.with_name(stored.name + ".meta.yml").read_text())
    import hashlib

    assert meta["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert meta["retrieved_at"] == "2026-11-23T10:00:00Z" and meta["texts"] == {
        "4083529": "ga-es10-27"
    }
    v = _votes(mini_curated).query("text_id == 'ga-es10-27'")
    assert v["source"].str.contains("data/raw/record_4083529").all()
    # the record brings no new vote: the change log says what git would see instead
    ch = res.changes
    assert not ch["change"].isin(["vote changed", "vote added", "vote removed"]).any()
    assert set(ch.query("change == 'source changed' and iso3 != ''")["iso3"]) == set(v["iso3"])
    assert ch.query("change == 'input added'")["field"].tolist() == [res.stored[0]]


def test_complete_record_upgrades_the_partial_2026_text_to_full(mini_curated, tmp_path, capsys):
    tid = "ga-es11-2026-02-24"
    before = _cat(mini_curated).loc[tid]
    assert before["coverage"] == "partial"
    xml = tmp_path / "es11_10.xml"
    xml.write_bytes(
        marc_record(
            "9990001",
            "A/RES/ES-11/10",
            "2026-02-24",
            "Support for lasting peace in Ukraine",
            full_roll_call_for(mini_curated, tid),
        )
    )
    assert (
        main(
            [
                "--root",
                str(mini_curated.root),
                "--sources",
                str(mini_curated.sources),
                "ingest",
                str(xml),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    after = _cat(mini_curated).loc[tid]
    assert (after["coverage"], after["complete_lists"], after["basis_mix"]) == (
        "full",
        "YNAX",
        "record:193",
    )
    assert [after[c] for c in OFFICIAL.values()] == [before[c] for c in OFFICIAL.values()]
    table = validate_data(mini_curated).set_index("id")
    assert table.loc[tid, "coverage"] == "full" and table.loc[tid, "rows"] == 193
    assert "coverage partial→full" in out and f"{193 - int(before['rows'])} votes added" in out
    log = pd.read_csv(mini_curated.changes_dir / "changes.csv", dtype=str)
    assert (log["text_id"] == tid).any()


def test_record_disagreeing_with_a_named_row_wins_and_the_row_is_listed(mini_curated, tmp_path):
    tid = "ga-es11-2026-02-24"
    named_a = _votes(mini_curated).query("text_id == @tid and vote == 'A'")["iso3"].iloc[0]
    xml = tmp_path / "es11_10.xml"
    xml.write_bytes(
        marc_record(
            "9990001",
            "A/RES/ES-11/10",
            "2026-02-24",
            "t",
            full_roll_call_for(mini_curated, tid, flip=named_a),
        )
    )
    ingest(mini_curated, [xml])
    row = _votes(mini_curated).query("text_id == @tid and iso3 == @named_a").iloc[0]
    assert (row["vote"], row["basis"]) == ("Y", "record")
    c = pd.read_csv(mini_curated.conflicts_csv, dtype=str)
    hit = c[(c["text_id"] == tid) & (c["iso3"] == named_a)]
    assert len(hit) >= 1 and set(hit["status"]) == {"listed"} and set(hit["other"]) == {"A"}


def test_unknown_record_is_refused_without_add_and_nothing_is_written(mini_curated):
    before = tree_digest(mini_curated.data)
    with pytest.raises(
        errors.UnknownText, match=r"nothing to ingest.*record 4088074 \(A/DEC/80/506"
    ):
        ingest(mini_curated, [SAMPLES / "record_4088074.xml"])
    assert tree_digest(mini_curated.data) == before


def test_add_needs_a_topic_and_then_adds_the_text(mini_curated):
    with pytest.raises(errors.ParameterError, match="--add needs --topic"):
        ingest(mini_curated, [SAMPLES / "record_4088074.xml"], add=True)
    res = ingest(mini_curated, [SAMPLES / "record_4088074.xml"], add=True, topic="gaza")
    assert res.added == ["ga-dec-80-506"]
    t = _cat(mini_curated).loc["ga-dec-80-506"]
    assert (t["coverage"], t["kind"], t["topic"]) == ("full", "decision", "gaza")
    assert "# Human-edited" in mini_curated.texts_yml.read_text(), "the file's comments are kept"


def test_record_whose_totals_disagree_with_its_rows_is_refused(mini_curated, tmp_path):
    tid = "ga-es11-2026-02-24"
    votes = full_roll_call_for(mini_curated, tid)
    xml = tmp_path / "bad.xml"
    xml.write_bytes(
        marc_record(
            "9990002",
            "A/RES/ES-11/10",
            "2026-02-24",
            "t",
            votes,
            totals={"Y": 108, "N": 12, "A": 50, "X": 23},
        )
    )
    before = tree_digest(mini_curated.data)
    with pytest.raises(errors.TotalsMismatch, match="9990002"):
        ingest(mini_curated, [xml])
    assert tree_digest(mini_curated.data) == before


def test_record_contradicting_known_totals_is_refused_unless_confirmed(
    mini_curated, tmp_path, capsys
):
    """A record whose own tally is consistent but whose totals differ from the official totals
    known from another source (and that would turn the partial text full) is refused, naming
    both figures; --accept-totals lets it win, and the change log records the confirmation."""
    tid = "ga-es11-2026-02-24"
    cat = _cat(mini_curated).loc[tid]
    known = "-".join(cat[c] for c in OFFICIAL.values())
    votes = full_roll_call_for(mini_curated, tid)
    y = next(i for i, v in votes.items() if v == "Y")
    votes[y] = "A"  # one Yes becomes an Abstain: consistent 996, other totals
    mine = "-".join(str(sum(1 for v in votes.values() if v == c)) for c in OFFICIAL)
    xml = tmp_path / "odd.xml"
    xml.write_bytes(marc_record("9990003", "A/RES/ES-11/10", "2026-02-24", "t", votes))
    before = tree_digest(mini_curated.data)
    argv = ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "ingest"]
    assert main([*argv, str(xml)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"gives Y-N-A-X {mine}" in err[0] and f"are {known}" in err[0]
    assert "turn the partial text full" in err[0] and "--accept-totals" in err[0]
    assert tree_digest(mini_curated.data) == before, "nothing written"

    assert main([*argv, str(xml), "--accept-totals"]) == 0
    assert "confirmed (--accept-totals)" in capsys.readouterr().out
    t = _cat(mini_curated).loc[tid]
    assert "-".join(t[c] for c in OFFICIAL.values()) == mine, "the record's totals now win"
    log = pd.read_csv(mini_curated.changes_dir / "changes.csv", dtype=str, keep_default_na=False)
    ok = log[log["change"] == "totals override confirmed"]
    assert (
        len(ok) == 1 and ok["old"].iloc[0].startswith(known) and ok["new"].iloc[0].startswith(mine)
    )
    c = pd.read_csv(mini_curated.conflicts_csv, dtype=str)
    assert ((c["text_id"] == tid) & (c["kind"] == "totals")).any(), "the other totals are listed"


def test_reingesting_the_same_file_changes_nothing(mini_curated):
    ingest(mini_curated, [SAMPLES / "record_4083529.xml"])
    before = tree_digest(mini_curated.data)
    res = ingest(mini_curated, [SAMPLES / "record_4083529.xml"])
    assert res.already and not res.stored
    assert tree_digest(mini_curated.data) == before


def test_bulk_csv_keeps_only_catalogue_records(mini_curated):
    res = ingest(mini_curated, [SAMPLES / "ga_bulk_2026.csv"], topic="gaza")
    assert res.mapped == {"4083529": "ga-es10-27"}
    stored = mini_curated.root / res.stored[0]
    assert stored.name.endswith(".extract.csv")
    assert sum(1 for _ in stored.open()) == 194, "header + the 193 rows of the one mapped record"


def test_diff_reports_changed_votes_between_snapshots(mini_curated, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(mini_curated.data, old)
    ga = mini_curated.votes_dir / "ga.csv"
    df = pd.read_csv(ga, dtype=str, keep_default_na=False)
    df.loc[(df["text_id"] == "ga-es11-07") & (df["iso3"] == "FRA"), "vote"] = "A"
    df.to_csv(ga, index=False, lineterminator="\n")
    assert main(["diff", str(old), str(mini_curated.data)]) == 0
    assert "A/RES/ES-11/7: votes changed: FRA Y→A" in capsys.readouterr().out
