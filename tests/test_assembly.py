"""The whole-Assembly layer: built from record copies, validated, coverage by session, ingest.

A small world is built on the mini fixture: one input in the `undl_assembly` layout (a GA record,
a Council resolution, and the catalogue's ES-11/7 record), one in the `undl_ga_79_80` layout that
repeats the GA record and adds one, and a list of records known to exist. Every expected number
is counted from the frames the test writes.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from conftest import needs_shared, tree_digest

from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.core.paths import Paths
from unga_brief.data.assembly import assembly_coverage, load_assembly, validate_committed
from unga_brief.data.assembly_inputs import RECORD_COLUMNS
from unga_brief.data.curate import curate_and_log, run_curate
from unga_brief.data.members import load_council, load_members

SRC = "https://example.org/test-world"


def _pattern(members: list[str], n_no: int, n_abs: int, n_x: int) -> dict[str, str]:
    """A roll call: the first states No, the next Abstain, then non-voting, the rest Yes."""
    codes = ["N"] * n_no + ["A"] * n_abs + ["X"] * n_x
    return {m: (codes[i] if i < len(codes) else "Y") for i, m in enumerate(members)}


def _tally(votes: dict[str, str]) -> dict[str, int]:
    s = pd.Series(list(votes.values()))
    return {k: int((s == c).sum()) for c, k in zip("YNAX", ["yes", "no", "abstain", "non_voting"])}


def _world(paths: Paths) -> dict:
    """Write the test world's sources and curation rules; return what was written."""
    members = sorted(pd.read_csv(paths.sources / "reference/member_states.csv")["iso3"])
    council = pd.read_csv(paths.sources / "security_council/council_members.csv")
    sc23 = sorted(council.loc[council["year"] == 2023, "iso3"])
    ga1 = _pattern(members, 3, 5, 2)
    ga2 = _pattern(members, 1, 0, 7)
    sc1 = _pattern(sc23, 0, 2, 0)
    es117 = pd.read_csv(paths.sources / "record/votes.csv", dtype=str)
    es117 = dict(
        zip(
            es117.loc[es117["symbol"] == "A/RES/ES-11/7", "iso3"],
            es117.loc[es117["symbol"] == "A/RES/ES-11/7", "vote"],
        )
    )
    a = paths.sources / "asm_a"
    b = paths.sources / "asm_b"
    a.mkdir()
    b.mkdir()
    recs = [
        (
            "990001",
            "GA",
            "A/RES/79/901",
            "2024-12-02",
            "First test text : resolution / adopted by the General Assembly",
            ga1,
        ),
        (
            "990002",
            "SC",
            "S/RES/9901(2023)",
            "2023-05-04",
            "Security Council resolution 9901 (2023)",
            sc1,
        ),
        ("4076672", "GA", "A/RES/ES-11/7", "2025-02-24", "Advancing peace", es117),
    ]
    pd.DataFrame(
        [
            {
                "undl_record": r,
                "body": body,
                "symbol": sym,
                "date": d,
                "title": t,
                **_tally(v),
                "total": len(v),
                "tags": "",
            }
            for r, body, sym, d, t, v in recs
        ]
    ).to_csv(a / "records.csv", index=False)
    for body, name in (("GA", "ga_votes.csv"), ("SC", "sc_votes.csv")):
        pd.DataFrame(
            [
                {"symbol": sym, "date": d, "iso3": i, "vote": x, "undl_record": r, "source": SRC}
                for r, bd, sym, d, _, v in recs
                if bd == body
                for i, x in v.items()
            ]
        ).to_csv(a / name, index=False)
    recs_b = [
        ("990001", 79, "2024-12-02", "First test text", ga1),
        ("990003", 80, "2025-12-01", "Second", ga2),
    ]
    pd.DataFrame(
        [
            {"undl_record": r, "session": s, "date": d, "title": t, **_tally(v), "total": len(v)}
            for r, s, d, t, v in recs_b
        ]
    ).to_csv(b / "records.csv", index=False)
    pd.DataFrame(
        [
            {"undl_record": r, "date": d, "iso3": i, "vote": x, "source": SRC}
            for r, _, d, _, v in recs_b
            for i, x in v.items()
        ]
    ).to_csv(b / "ga_votes.csv", index=False)
    pd.DataFrame(
        [
            {
                "undl_record": "990009",
                "date": "2024-12-03",
                "session": 79,
                "title_as_in_source": "Known, not held",
                "source": SRC,
            }
        ]
    ).to_csv(a / "known.csv", index=False)
    rules = yaml.safe_load(paths.curation_yml.read_text())
    expected = {79: 4, 80: 2}  # 79: 990001 + 990009 (known) + two the sources do not name
    rules["assembly"] = {
        "since": "2021-09-01",
        "inputs": [
            {
                "records": "asm_a/records.csv",
                "votes": ["asm_a/ga_votes.csv", "asm_a/sc_votes.csv"],
                "layout": "undl_assembly",
            },
            {
                "records": "asm_b/records.csv",
                "votes": ["asm_b/ga_votes.csv"],
                "layout": "undl_ga_79_80",
            },
        ],
        "known_records": [{"file": "asm_a/known.csv", "title": "title_as_in_source"}],
        "sessions": {
            78: {"opened": "2023-09-05"},
            79: {"opened": "2024-09-10", "records": expected[79], "source": "test"},
            80: {"opened": "2025-09-09", "records": expected[80], "source": "test"},
        },
    }
    paths.curation_yml.write_text(yaml.safe_dump(rules, sort_keys=False))
    return {"ga1": ga1, "ga2": ga2, "sc1": sc1, "expected": expected, "members": members}


@pytest.fixture
def world(mini):
    w = _world(mini)
    run_curate(mini)
    return mini, w


def test_every_record_is_held_once_with_its_own_totals(world):
    paths, w = world
    rec = pd.read_csv(paths.data / "assembly/records.csv", dtype=str, keep_default_na=False)
    votes = pd.read_csv(paths.data / "assembly/votes.csv", dtype=str, keep_default_na=False)
    assert list(rec.columns) == RECORD_COLUMNS
    held = rec[rec["held"] == "true"].set_index("undl_record")
    assert set(held.index) == {"990001", "990002", "990003", "4076672"}
    assert rec.set_index("undl_record").at["990009", "held"] == "false"
    r1 = held.loc["990001"]
    assert (r1["yes"], r1["no"], r1["abstain"], r1["non_voting"]) == tuple(
        str(v) for v in _tally(w["ga1"]).values()
    )
    assert r1["symbol"] == "A/RES/79/901", "the symbol comes from the input that has one"
    assert r1["title"] == "First test text", "the UNDL title tail is dropped"
    assert r1["source"] == "asm_a/records.csv + asm_b/records.csv"
    assert (r1["session"], r1["meeting"]) == ("79", "regular")
    es = held.loc["4076672"]
    assert (es["meeting"], es["text_id"]) == ("ES-11", "ga-es11-07")
    sc = votes.set_index("undl_record").loc["990002"]
    assert set(sc[sc != ""].index) == set(w["sc1"]), "a Council record lists that year's members"


def test_coverage_names_known_missing_records_and_counts_the_rest(world):
    paths, w = world
    cov = assembly_coverage(paths).set_index(["body", "session"])
    s79 = cov.loc[("GA", "79")]
    held_regular = 1  # 990001; ES-11/7 is an emergency special session record
    assert (s79["regular"], s79["emergency special"]) == (held_regular, 1)
    assert s79["expected"] == str(w["expected"][79])
    missing = w["expected"][79] - held_regular
    assert s79["missing"] == str(missing)
    assert s79["missing records"] == f"990009, {missing - 1} not identified"
    s80 = cov.loc[("GA", "80")]
    assert (s80["records held"], s80["missing"], s80["missing records"]) == (
        1,
        "1",
        "1 not identified",
    )
    assert cov.loc[("SC", "2023"), "records held"] == 1


def test_validate_prints_the_coverage_table(world, capsys):
    paths, _ = world
    assert main(["--root", str(paths.root), "--sources", str(paths.sources), "validate"]) == 0
    out = capsys.readouterr().out
    assert "whole Assembly" in out and "990009" in out
    assert "country rows by basis: record" in out


def test_two_copies_that_disagree_fail_naming_record_and_state(mini):
    w = _world(mini)
    p = mini.sources / "asm_b/ga_votes.csv"
    df = pd.read_csv(p, dtype=str)
    first = w["members"][0]
    flip = "Y" if w["ga1"][first] != "Y" else "N"
    df.loc[(df["undl_record"] == "990001") & (df["iso3"] == first), "vote"] = flip
    df.to_csv(p, index=False)
    with pytest.raises(errors.DataError, match=rf"record 990001: {first} is .* asm_a/records.csv"):
        run_curate(mini)


@pytest.mark.parametrize(
    "case, edit, err, pattern",
    [
        (
            "row missing",
            lambda v: v[~((v["undl_record"] == "990003") & (v.index == v.index.max()))],
            errors.TotalsMismatch,
            r"record 990003 .*cells give",
        ),
        (
            "vote flipped",
            lambda v: v.assign(
                vote=v["vote"].where(~((v["undl_record"] == "990003") & (v["vote"] == "N")), "Y")
            ),
            errors.TotalsMismatch,
            r"record 990003",
        ),
    ],
)
def test_a_record_whose_cells_miss_its_totals_is_refused(mini, case, edit, err, pattern):
    _world(mini)
    p = mini.sources / "asm_b/ga_votes.csv"
    edit(pd.read_csv(p, dtype=str)).to_csv(p, index=False)
    before = tree_digest(mini.root / "data")
    with pytest.raises(err, match=pattern):
        run_curate(mini)
    assert tree_digest(mini.root / "data") == before


def test_committed_layer_edits_are_caught_by_validate(world):
    paths, w = world
    members = load_members(paths)
    council = load_council(paths)
    p = paths.data / "assembly/votes.csv"
    votes = pd.read_csv(p, dtype=str, keep_default_na=False)
    # a GA record with a state left blank
    bad = votes.copy()
    bad.loc[bad["undl_record"] == "990003", w["members"][-1]] = ""
    bad.to_csv(p, index=False, lineterminator="\n")
    with pytest.raises((errors.DataError, errors.TotalsMismatch), match="990003"):
        validate_committed(paths, members, council)
    # a Council record with a state that did not sit that year
    bad = votes.copy()
    outsider = next(m for m in w["members"] if m not in w["sc1"])
    bad.loc[bad["undl_record"] == "990002", outsider] = "Y"
    sitting = next(iter(w["sc1"]))
    bad.loc[bad["undl_record"] == "990002", sitting] = ""
    bad.to_csv(p, index=False, lineterminator="\n")
    with pytest.raises((errors.UnknownCountry, errors.TotalsMismatch), match="990002"):
        validate_committed(paths, members, council)


def test_load_assembly_long_and_wide(world):
    paths, w = world
    long = load_assembly(paths)
    n_sc = len(w["sc1"])
    assert len(long) == 3 * len(w["members"]) + n_sc, "every sitting state of every held record"
    assert set(long["vote"].cat.categories) == {"Y", "N", "A", "X"}
    r = long[long["undl_record"] == "990003"]
    assert r["vote"].value_counts()["X"] == _tally(w["ga2"])["non_voting"]
    wide = load_assembly(paths, wide=True)
    assert len(wide) == 4 and wide["date"].dtype.kind == "M"


def test_clone_without_sources_recurates_the_layer_byte_identical(world):
    paths, _ = world
    before = tree_digest(paths.data)
    clone = Paths.default(paths.root, paths.root / "no-such-sources")
    _, changed = run_curate(clone)
    assert changed == []
    assert tree_digest(paths.data) == before


def test_ingest_of_a_bulk_csv_fills_the_layer(world):
    from conftest import TESTS

    from unga_brief.live.ingest import ingest

    paths, _ = world
    bulk = TESTS / "fixtures" / "undl" / "ga_bulk_2026.csv"
    raw = pd.read_csv(bulk, dtype=str)
    per = raw.groupby("undl_id").size()
    whole = [r for r, n in per.items() if n == 193]
    part = [r for r, n in per.items() if n < 193]
    ingest(paths, [bulk], topic="gaza")
    rec = pd.read_csv(paths.data / "assembly/records.csv", dtype=str, keep_default_na=False)
    rec = rec.set_index("undl_record")
    for r in whole:
        assert rec.at[r, "held"] == "true"
        assert "data/raw/assembly/" in rec.at[r, "source"]
    for r in part:
        assert rec.at[r, "held"] == "false", "an incomplete record is known, not held"
    cov = assembly_coverage(paths)
    assert any(r in m for m in cov["missing records"] for r in part)
    assert (paths.raw_dir / "assembly").is_dir()


def test_curate_logs_basis_changes_with_old_and_new(world):
    paths, _ = world
    ga = paths.votes_dir / "ga.csv"
    df = pd.read_csv(ga, dtype=str, keep_default_na=False)
    i = df.index[df["text_id"] == "ga-es11-07"][0]
    df.loc[i, "basis"] = "named"  # as if it had been a news-named row before
    df.to_csv(ga, index=False, lineterminator="\n")
    _, changed, ch = curate_and_log(paths, when="2026-01-01T00:00:00Z")
    assert "votes/ga.csv" in changed
    row = ch[ch["change"] == "basis changed"].iloc[0]
    assert (row["text_id"], row["old"], row["new"]) == ("ga-es11-07", "named", "record")
    log = pd.read_csv(paths.changes_dir / "changes.csv", dtype=str, keep_default_na=False)
    assert ((log["change"] == "basis changed") & (log["old"] == "named")).any()
    _, changed, ch = curate_and_log(paths, when="2026-01-02T00:00:00Z")
    assert changed == [] and ch.empty


@needs_shared
def test_shipped_layer_is_valid_and_complete_for_the_regular_sessions(shipped):
    validate_committed(shipped, load_members(shipped), load_council(shipped))
    rules = yaml.safe_load(shipped.curation_yml.read_text())
    cov = assembly_coverage(shipped)
    ga = cov[cov["body"] == "GA"].set_index("session")
    for s, spec in rules["assembly"]["sessions"].items():
        assert ga.at[str(s), "regular"] == spec["records"], s
    votes = pd.read_csv(shipped.data / "assembly/votes.csv", dtype=str, keep_default_na=False)
    assert len(votes.columns) == 1 + len(load_members(shipped))


def test_a_catalogue_text_that_disagrees_with_its_record_fails_naming_both():
    """``check_against_catalog``: a catalogue text held as the same UNDL record must give every
    state the record's vote; the first that differs is named (a state missing from the record
    reads as blank)."""
    from unga_brief.data.assembly_checks import check_against_catalog

    records = pd.DataFrame(
        {"text_id": ["t1", "", "t2"], "undl_record": ["101", "102", "103"], "held": ["true"] * 3}
    )
    wide = pd.DataFrame(
        {"undl_record": ["101", "102", "103"], "AAA": ["Y", "N", "A"], "BBB": ["N", "Y", None]}
    )
    agree = pd.DataFrame(
        {
            "text_id": ["t1", "t1", "t2", "t2", "t3"],
            "iso3": ["AAA", "BBB", "AAA", "BBB", "AAA"],
            "vote": ["Y", "N", "A", "", "N"],
            "basis": ["record", "record", "record", "record", "record"],
        }
    )
    check_against_catalog(records, wide, agree)  # t3 has no record: not compared
    totals_only = agree.assign(vote=["N", "N", "A", "", "N"], basis=["totals"] + ["record"] * 4)
    check_against_catalog(records, wide, totals_only)  # a totals row is not a record's
    with pytest.raises(
        errors.DataError, match="record 103 gives BBB blank, the catalogue text t2 Y"
    ):
        check_against_catalog(records, wide, agree.assign(vote=["Y", "N", "A", "Y", "N"]))
    with pytest.raises(
        errors.DataError, match="record 101 gives CCC blank, the catalogue text t1 Y"
    ):
        check_against_catalog(records, wide, agree.assign(iso3=["CCC", "BBB", "AAA", "BBB", "AAA"]))
