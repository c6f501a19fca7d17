"""Guarded records and text from outside (issue 13, items 3-5, for `ingest` and the parsers).

Crafted records are built here (``undl_builders``) from the mini fixture's own catalogue and
roll calls; every expected figure is computed from them, never typed.
"""

from __future__ import annotations

import os
import signal
import time
import unicodedata

import pandas as pd
import pytest
from conftest import ROOT, tree_digest
from test_ingest import full_roll_call_for
from undl_builders import NS, marc_record

from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.live.ingest import ingest
from unga_brief.live.ingest_checks import normal_symbol
from unga_brief.undl.bulk_csv import read_bulk_csv
from unga_brief.undl.cleaning import TITLE_MAX, clean_text
from unga_brief.undl.marc_xml import parse_marc_xml

SAMPLES = ROOT / "tests" / "fixtures" / "undl"
TID = "ga-es11-2026-02-24"  # the mini catalogue's partial text (A/RES/ES-11/10)


def _cli(paths, *args):
    return main(["--root", str(paths.root), "--sources", str(paths.sources), "ingest", *args])


def _cat(paths):
    return pd.read_csv(paths.catalog_csv, dtype=str, keep_default_na=False).set_index("id")


def _collection(*records: bytes) -> bytes:
    """Several one-record collections merged into one collection."""
    parts = [
        b"<record>" + r.split(b"<record>", 1)[1].rsplit(b"</record>", 1)[0] + b"</record>"
        for r in records
    ]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="{NS}">'.encode()
        + b"".join(parts)
        + b"</collection>"
    )


# --- record ids, symbols -------------------------------------------------------------------------


def test_non_numeric_record_id_is_refused_in_xml(mini_curated, tmp_path, capsys):
    xml = tmp_path / "r.xml"
    votes = full_roll_call_for(mini_curated, TID)
    xml.write_bytes(marc_record("99x01", "A/RES/ES-11/10", "2026-02-24", "t", votes))
    before = tree_digest(mini_curated.data)
    assert _cli(mini_curated, str(xml)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "record id '99x01' is not a number" in err[0]
    assert tree_digest(mini_curated.data) == before


def test_non_numeric_record_id_is_refused_in_a_bulk_csv(tmp_path):
    src = (SAMPLES / "ga_bulk_2026.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "bulk.csv"
    bad.write_text(src[0] + src[1].replace("4025240", "4025240abc", 1), encoding="utf-8")
    with pytest.raises(errors.MalformedFile, match=r"line 2: refused: record id '4025240abc'"):
        read_bulk_csv(bad, check_totals=False)


def test_add_refuses_what_is_not_a_un_symbol(mini_curated, tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_bytes(marc_record("9990010", "=HYPERLINK(1)", "2026-02-24", "t", {"FRA": "Y"}))
    before = tree_digest(mini_curated.data)
    with pytest.raises(errors.DataError, match=r"'=HYPERLINK\(1\)' is not a UN document symbol"):
        ingest(mini_curated, [xml], add=True, topic="ukraine")
    assert tree_digest(mini_curated.data) == before


@pytest.mark.parametrize(
    "lookalike",
    [
        "A/RES/ES\u201011/10",
        "A/RES/ES\u221211/10",
        "a/res/es-11/10",
        "A/RES/ES-11/ 10",
        "Ａ/RES/ES-11/10",
    ],
)
def test_add_refuses_a_lookalike_of_a_catalogue_symbol(mini_curated, tmp_path, lookalike):
    """A Unicode hyphen, a minus sign, lower case, a space or a full-width letter: the same
    text again, which would be counted twice."""
    label = _cat(mini_curated).loc[TID, "label"]
    assert normal_symbol(lookalike) == normal_symbol(label) and lookalike != label
    votes = full_roll_call_for(mini_curated, TID)
    xml = tmp_path / "r.xml"
    xml.write_bytes(marc_record("9990011", lookalike, "2026-02-24", "t", votes))
    before = tree_digest(mini_curated.data)
    with pytest.raises(errors.DataError, match=r"refused") as e:
        ingest(mini_curated, [xml], add=True, topic="ukraine")
    msg = str(e.value)
    assert f"is the catalogue's {label} (text {TID}) written differently" in msg
    assert msg.isascii() or "\u2026" in msg, "the look-alike is shown escaped"
    assert ascii(lookalike) in msg
    assert tree_digest(mini_curated.data) == before


# --- filters apply to XML, and a different filter ingests what it selects ---------------------------


def _two_record_file(paths, tmp_path):
    """A collection with the 2026 text and the real record of A/RES/ES-10/27."""
    es11 = marc_record(
        "9990001", "A/RES/ES-11/10", "2026-02-24", "t", full_roll_call_for(paths, TID)
    )
    real = (SAMPLES / "record_4083529.xml").read_bytes()
    f = tmp_path / "two.xml"
    f.write_bytes(_collection(es11, real))
    assert len(parse_marc_xml(f).texts) == 2
    return f


def test_filters_apply_to_xml_and_another_filter_ingests_what_it_selects(mini_curated, tmp_path):
    f = _two_record_file(mini_curated, tmp_path)
    res = ingest(mini_curated, [f], symbols=["A/RES/ES-10/27"])
    assert res.mapped == {"4083529": "ga-es10-27"}, "--symbols selects one record of the XML"
    assert _cat(mini_curated).loc[TID, "coverage"] == "partial"

    again = ingest(mini_curated, [f], symbols=["A/RES/ES-10/27"])
    assert again.already and not again.stored, "same file, same filter: nothing to do"

    res = ingest(mini_curated, [f], records=["9990001"])
    assert res.mapped == {"9990001": TID}, "another filter brings in what it selects"
    assert _cat(mini_curated).loc[TID, "coverage"] == "full"
    metas = list(mini_curated.raw_dir.glob("*.meta.yml"))
    assert len(metas) == 1, "one stored copy of the file, its mapping extended"


def test_since_and_topic_apply_to_xml(mini_curated, tmp_path):
    f = _two_record_file(mini_curated, tmp_path)
    res = ingest(mini_curated, [f], since="2026-01-01")
    assert res.mapped == {"9990001": TID}
    res = ingest(mini_curated, [f], topic="gaza")
    assert res.mapped == {"4083529": "ga-es10-27"}


def test_bulk_reingest_with_another_filter_merges_the_extract(mini_curated, tmp_path):
    """A bulk file with two catalogue records: --records picks one, then the other; the second
    ingest of the same file is not 'already ingested' but adds its record to the stored
    extract."""
    from unga_brief.live.ingest_store import bulk_extract
    from unga_brief.undl.records import UndlRecords

    es11 = parse_marc_xml(_two_record_file(mini_curated, tmp_path))
    both = UndlRecords(votes=es11.votes, texts=es11.texts)
    bulk = tmp_path / "ga_bulk.csv"
    bulk.write_bytes(bulk_extract(both, "ga-bulk-csv"))
    first = ingest(mini_curated, [bulk], records=["4083529"])
    assert first.mapped == {"4083529": "ga-es10-27"}
    stored = mini_curated.root / first.stored[0]
    per_record = es11.votes.groupby("undl_record").size()
    assert sum(1 for _ in stored.open()) == 1 + per_record["4083529"]
    assert _cat(mini_curated).loc[TID, "coverage"] == "partial"

    second = ingest(mini_curated, [bulk], records=["9990001"])
    assert second.mapped == {"9990001": TID} and second.stored == first.stored
    assert sum(1 for _ in stored.open()) == 1 + per_record.sum(), "both records kept"
    assert _cat(mini_curated).loc[TID, "coverage"] == "full"
    assert _cat(mini_curated).loc["ga-es10-27", "basis_mix"].startswith("record")

    third = ingest(mini_curated, [bulk])
    assert third.already and not third.stored, "no filter: every record is stored already"


# --- non-regular files ---------------------------------------------------------------------------


def _kinds(tmp_path):
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.xml"
    os.symlink(loop, loop)
    folder = tmp_path / "folder.xml"
    folder.mkdir()
    return {"FIFO": fifo, "loop": loop, "directory": folder}


@pytest.mark.parametrize(
    "kind, words", [("FIFO", "a FIFO"), ("loop", "cannot read it"), ("directory", "a directory")]
)
def test_non_regular_files_are_refused_at_once_with_one_line(
    mini_curated, tmp_path, capsys, kind, words
):
    path = _kinds(tmp_path)[kind]
    before = tree_digest(mini_curated.data)
    signal.signal(signal.SIGALRM, lambda *a: pytest.fail(f"ingest of a {kind} blocked"))
    signal.alarm(10)
    try:
        code = _cli(mini_curated, str(path))
    finally:
        signal.alarm(0)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert words in err[0] and path.name in err[0]
    assert tree_digest(mini_curated.data) == before


# --- text from outside -----------------------------------------------------------------------------


#: What XML 1.0 can carry: C1 controls (\x9b is a terminal's CSI), bidi overrides and
#: isolates, zero-width characters, tabs and line breaks. (C0 controls other than tab and line
#: breaks cannot appear in XML at all: the parser refuses them as malformed.)
HOSTILE = "Peace\u202e in \x9b31mUkraine\t\n\u200b  \u2066now\u2069\x85"
#: A CSV can carry anything.
HOSTILE_CSV = "Peace\u202e in \x1b[31mUkraine\x07\u200b  \u2066now\u2069"


def _no_hidden(value: str) -> None:
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in value), repr(value)
    assert "  " not in value and value == value.strip()


def test_hostile_title_and_names_are_cleaned_where_they_enter(mini_curated, tmp_path, capsys):
    votes = full_roll_call_for(mini_curated, TID)
    some = sorted(votes)[0]
    xml = tmp_path / "r.xml"
    xml.write_bytes(
        marc_record(
            "9990001", "A/RES/ES-11/10", "2026-02-24", HOSTILE, votes, names={some: HOSTILE}
        )
    )
    rec = parse_marc_xml(xml)
    _no_hidden(rec.texts["title"].iloc[0])
    _no_hidden(rec.votes.set_index("iso3").loc[some, "name"])
    assert rec.texts["title"].iloc[0] == clean_text(HOSTILE, TITLE_MAX)
    assert _cli(mini_curated, str(xml)) == 0
    out = capsys.readouterr()
    for ch in ("\x9b", "\u202e", "\u2066"):
        assert ch not in out.out + out.err
    catalog_text = mini_curated.catalog_csv.read_text(encoding="utf-8")
    assert "\u202e" not in catalog_text and "\x9b" not in catalog_text


def test_hostile_bulk_csv_values_are_cleaned(tmp_path):
    import csv
    import io

    rows = list(
        csv.DictReader(io.StringIO((SAMPLES / "ga_bulk_2026.csv").read_text(encoding="utf-8")))
    )
    head = list(rows[0])
    for r in rows[:2]:
        r["title"] = HOSTILE_CSV + " : resolution / adopted"
        r["ms_name"] = HOSTILE_CSV
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=head, lineterminator="\n")
    w.writeheader()
    w.writerows(rows[:2])
    f = tmp_path / "b.csv"
    f.write_text(buf.getvalue(), encoding="utf-8")
    rec = read_bulk_csv(f, check_totals=False)
    _no_hidden(rec.texts["title"].iloc[0])
    assert rec.texts["title"].iloc[0] == clean_text(HOSTILE_CSV, TITLE_MAX)
    for name in rec.votes["name"]:
        _no_hidden(name)


def test_symbol_with_a_control_character_is_refused_and_shown_escaped(
    mini_curated, tmp_path, capsys
):
    xml = tmp_path / "r.xml"
    xml.write_bytes(marc_record("9990001", "A/RES/ES-11/10\x9b2J", "2026-02-24", "t", {"FRA": "Y"}))
    assert _cli(mini_curated, str(xml)) == 2
    err = capsys.readouterr().err
    assert "\x9b" not in err and "\\x9b" in err and "refused" in err and len(err.splitlines()) == 1


def test_file_name_with_escape_sequences_is_printed_escaped(mini_curated, tmp_path, capsys):
    f = tmp_path / "evil\x1b[2Jname.xml"
    f.write_bytes(b"not xml at all\n")
    assert _cli(mini_curated, str(f)) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b" in err


def test_long_values_are_capped_in_messages(tmp_path):
    f = tmp_path / "r.xml"
    f.write_bytes(marc_record("9990001", "A/RES/1", "2026-02-24", "t", {"FRA": "Q" * 70_000}))
    with pytest.raises(errors.BadVoteCode) as e:
        parse_marc_xml(f)
    assert len(str(e.value)) < 400


@pytest.mark.parametrize("reader", ["xml", "bulk"])
def test_a_294_kb_title_of_space_runs_is_read_in_linear_time(tmp_path, reader):
    """Long runs of spaces between words made the title regexes backtrack (quadratic): a
    294 KB record was still running after 60 s. Now a few milliseconds per 100 KB."""
    title = ("word" + " " * 4000) * 73 + ": resolution / adopted"
    assert len(title) > 290_000
    if reader == "xml":
        f = tmp_path / "big.xml"
        f.write_bytes(marc_record("9990001", "A/RES/1", "2026-02-24", title, {"FRA": "Y"}))
        t0 = time.perf_counter()
        got = parse_marc_xml(f).texts["title"].iloc[0]
    else:
        rows = (SAMPLES / "ga_bulk_2026.csv").read_text(encoding="utf-8").splitlines()
        header = rows[0].split(",")
        import csv
        import io

        recs = list(csv.DictReader(io.StringIO("\n".join(rows[:2]) + "\n")))
        recs[0]["title"] = title
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(recs)
        f = tmp_path / "big.csv"
        f.write_text(buf.getvalue(), encoding="utf-8")
        t0 = time.perf_counter()
        got = read_bulk_csv(f, check_totals=False).texts["title"].iloc[0]
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert len(got) <= TITLE_MAX and got.startswith("word word")
