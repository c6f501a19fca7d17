"""unga_brief.undl.records: UN Digital Library MARC XML and bulk CSV readers (DESIGN §7).

Expected values are read from the fixture files themselves (with defusedxml / the csv module,
not with the code under test) rather than typed, except the facts printed in the samples'
README (symbol A/RES/ES-10/27, date 2025-06-12, 149-12-19-13 of 193).
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from defusedxml.ElementTree import fromstring

from unga_brief.core.errors import (
    BadDate,
    BadVoteCode,
    DataError,
    MalformedFile,
    ParameterError,
    TotalsMismatch,
)
from unga_brief.data.source_files import sha256_of
from unga_brief.undl import records
from unga_brief.undl.bulk_csv import read_bulk_csv
from unga_brief.undl.file_kind import sniff
from unga_brief.undl.marc_xml import parse_marc_xml

FIX = Path(__file__).resolve().parent / "fixtures" / "undl"
REC = FIX / "record_4083529.xml"
REC2 = FIX / "record_4088074.xml"
GA = FIX / "ga_bulk_2026.csv"
SC = FIX / "sc_bulk_sample.csv"
NS = {"m": "http://www.loc.gov/MARC21/slim"}
CODE_996 = {"yes": "b", "no": "c", "abstain": "d", "non_voting": "e", "members": "f"}
VOTE_OF = {"yes": "Y", "no": "N", "abstain": "A", "non_voting": "X"}
CSV_TOTAL = {
    "yes": "total_yes",
    "no": "total_no",
    "abstain": "total_abstentions",
    "non_voting": "total_non_voting",
    "members": "total_ms",
}


# ------------------------------------------------------------------ independent readings


def marc(path: Path = REC) -> dict:
    """What the file says, read with defusedxml here (not with unga_brief.undl.records)."""
    rec = fromstring(path.read_bytes()).find("m:record", NS)

    def sub(field, code):
        el = field.find(f"m:subfield[@code='{code}']", NS)
        return None if el is None else el.text

    def first(tag, code):
        return sub(rec.find(f"m:datafield[@tag='{tag}']", NS), code)

    f996 = rec.find("m:datafield[@tag='996']", NS)
    return {
        "id": rec.find("m:controlfield[@tag='001']", NS).text,
        "symbol": first("791", "a"),
        "date": first("269", "a"),
        "title": first("245", "a"),
        "draft": first("993", "a"),
        "meeting": first("952", "a"),
        "totals": {k: int(sub(f996, c)) for k, c in CODE_996.items()},
        "votes": [
            (sub(f, "a"), sub(f, "c"), sub(f, "e"), sub(f, "d"))
            for f in rec.findall("m:datafield[@tag='967']", NS)
        ],
    }


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def rewrite_csv(
    src: Path,
    dst: Path,
    *,
    drop: tuple[str, ...] = (),
    order: Callable[[list[str]], list[str]] | None = None,
    edit: Callable[[int, dict[str, str]], None] | None = None,
) -> Path:
    """A variant of a fixture CSV: columns dropped or reordered, rows edited."""
    with open(src, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = [c for c in reader.fieldnames if c not in drop]
        rows = list(reader)
    if order:
        header = order(header)
    for i, r in enumerate(rows):
        if edit:
            edit(i, r)
    with open(dst, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return dst


def edit_967(xml: bytes, iso3: str, new_d: str | None) -> bytes:
    """Set (or with None remove) the $d of the 967 field of ``iso3``."""
    text = xml.decode("utf-8")
    pat = re.compile(
        r'(<datafield tag="967"[^>]*>\s*<subfield code="a">\d+</subfield>\s*'
        rf'<subfield code="c">{iso3}</subfield>)(\s*<subfield code="d">[^<]*</subfield>)?'
    )
    m = pat.search(text)
    assert m, iso3
    d = "" if new_d is None else f'\n    <subfield code="d">{new_d}</subfield>'
    return (text[: m.start()] + m.group(1) + d + text[m.end() :]).encode("utf-8")


def set_996(xml: bytes, **values: int) -> bytes:
    text = xml.decode("utf-8")
    start = text.index('<datafield tag="996"')
    end = text.index("</datafield>", start)
    block = text[start:end]
    for key, v in values.items():
        block = re.sub(
            rf'(<subfield code="{CODE_996[key]}">)\d+(</subfield>)', rf"\g<1>{v}\2", block
        )
    return (text[:start] + block + text[end:]).encode("utf-8")


def record_body(xml: bytes) -> str:
    text = xml.decode("utf-8")
    return text[text.index("<record>") : text.index("</record>") + len("</record>")]


def collection(*records: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/'
        'MARC21/slim">\n' + "\n".join(records) + "\n</collection>"
    ).encode("utf-8")


def tally(votes: pd.DataFrame) -> dict[str, int]:
    c = Counter(votes["vote"])
    return {k: c.get(v, 0) for k, v in VOTE_OF.items()}


# ------------------------------------------------------------------ MARC XML


def test_fixture_is_the_real_record_byte_for_byte():
    assert sha256_of(REC) == "696dac7e108983cf7f767800f49eed30a147d01c6bf9103bc6d9eca7a6a4d8fd"
    assert sha256_of(REC2) == "ff464c230a650a62876abe571b726f4a2ba3fdf977d14449471840644fb51189"


def test_marc_xml_tally_equals_its_996_totals():
    want = marc()
    got = parse_marc_xml(REC)
    totals = {k: v for k, v in want["totals"].items() if k != "members"}
    assert tally(got.votes) == totals
    assert len(got.votes) == want["totals"]["members"]
    row = got.texts.iloc[0]
    assert {k: int(row[k]) for k in CODE_996} == want["totals"]
    assert (totals["yes"], totals["no"], totals["abstain"]) == (149, 12, 19)  # the README's


def test_marc_xml_text_row_from_the_record():
    want = marc()
    t = parse_marc_xml(REC).texts
    assert list(t.columns) == records.TEXT_COLUMNS
    assert len(t) == 1
    row = t.iloc[0]
    assert row["undl_record"] == want["id"] == "4083529"
    assert row["symbol"] == want["symbol"] == "A/RES/ES-10/27"
    assert row["date"] == want["date"] == "2025-06-12"
    assert want["title"].endswith(" :") and row["title"] == want["title"][:-2]
    assert row["draft"] == want["draft"]
    assert row["meeting"] == want["meeting"]
    assert row["body"] == "GA"
    assert str(t["yes"].dtype) == "Int64"


def test_marc_xml_one_vote_row_per_967_in_file_order():
    want = marc()
    v = parse_marc_xml(REC).votes
    assert list(v.columns) == records.VOTE_COLUMNS
    assert list(v["iso3"]) == [c for _, c, _, _ in want["votes"]]
    assert list(v["name"]) == [e for _, _, e, _ in want["votes"]]
    assert list(v["vote"]) == [d or "X" for _, _, _, d in want["votes"]]
    assert set(v["undl_record"]) == {"4083529"} and set(v["symbol"]) == {"A/RES/ES-10/27"}
    assert set(v["date"]) == {"2025-06-12"}


def test_marc_xml_missing_d_means_non_voting(tmp_path):
    # In the real record, every 967 without $d is non-voting.
    want = marc()
    no_d = {c for _, c, _, d in want["votes"] if d is None}
    assert no_d, "the real record has non-voting states"
    v = parse_marc_xml(REC).votes.set_index("iso3")["vote"]
    assert set(v[v == "X"].index) == no_d
    # Remove the $d of a state that voted No (and move one vote in 996 from No to Non-voting).
    usa = dict((c, d) for _, c, _, d in want["votes"])["USA"]
    assert usa == "N"
    xml = edit_967(REC.read_bytes(), "USA", None)
    t = want["totals"]
    xml = set_996(xml, no=t["no"] - 1, non_voting=t["non_voting"] + 1)
    got = parse_marc_xml(xml)
    assert got.votes.set_index("iso3").at["USA", "vote"] == "X"
    assert tally(got.votes)["non_voting"] == t["non_voting"] + 1
    # Without the 996 change, the tally no longer matches: the missing $d was counted as X.
    with pytest.raises(TotalsMismatch, match=rf"give {t['no'] - 1} No, 996 says {t['no']}"):
        parse_marc_xml(edit_967(REC.read_bytes(), "USA", None))


def test_marc_xml_bad_vote_code_names_record_order_and_iso3():
    xml = edit_967(REC.read_bytes(), "ALB", "Q")
    with pytest.raises(BadVoteCode) as e:
        parse_marc_xml(xml, label="rec.xml")
    msg = str(e.value)
    assert "rec.xml" in msg and "4083529" in msg and "order 2" in msg and "ALB" in msg
    assert "'Q'" in msg


def test_marc_xml_996_off_by_one_raises_totals_mismatch():
    yes = marc()["totals"]["yes"]
    xml = set_996(REC.read_bytes(), yes=yes + 1)
    with pytest.raises(TotalsMismatch) as e:
        parse_marc_xml(xml, label="off.xml")
    assert str(e.value) == (
        f"off.xml: record 4083529 (A/RES/ES-10/27): 967 rows give {yes} Yes, 996 says {yes + 1}"
    )
    # Opting out keeps the file's totals as they are.
    got = parse_marc_xml(xml, check_totals=False)
    assert int(got.texts.at[0, "yes"]) == yes + 1
    assert tally(got.votes)["yes"] == yes


def test_marc_xml_truncated_is_malformed():
    path = FIX / "record_4083529_truncated.xml"
    with pytest.raises(MalformedFile) as e:
        parse_marc_xml(path)
    msg = str(e.value)
    assert str(path) in msg and "malformed XML" in msg and "\n" not in msg


def test_xml_bomb_is_refused():
    path = FIX / "xml_bomb.xml"
    assert b"<!ENTITY lol9" in path.read_bytes()
    t0 = time.perf_counter()
    with pytest.raises(MalformedFile) as e:
        parse_marc_xml(path)
    assert time.perf_counter() - t0 < 2, "the entities must not be expanded"
    msg = str(e.value)
    assert msg.startswith(f"{path}: refused") and "entity" in msg and "\n" not in msg
    with pytest.raises(MalformedFile, match="refused"):
        parse_marc_xml(path.read_bytes())


def test_xml_external_entity_is_refused():
    path = FIX / "xml_external_entity.xml"
    with pytest.raises(MalformedFile) as e:
        parse_marc_xml(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: refused") and "root:x" not in msg


def test_xml_external_dtd_is_refused():
    xml = (
        b'<?xml version="1.0"?>\n<!DOCTYPE collection SYSTEM "http://example.org/x.dtd">\n'
        + REC.read_bytes().split(b"?>", 1)[1]
    )
    with pytest.raises(MalformedFile, match="refused"):
        parse_marc_xml(xml)


def test_marc_xml_two_records():
    a, b = marc(REC), marc(REC2)
    xml = collection(record_body(REC.read_bytes()), record_body(REC2.read_bytes()))
    got = parse_marc_xml(xml)
    assert list(got.texts["undl_record"]) == [a["id"], b["id"]]
    assert list(got.texts["symbol"]) == ["A/RES/ES-10/27", "A/DEC/80/506"]
    assert len(got.votes) == len(a["votes"]) + len(b["votes"])
    for want in (a, b):
        v = got.votes[got.votes["undl_record"] == want["id"]]
        assert tally(v) == {k: x for k, x in want["totals"].items() if k != "members"}


def test_marc_xml_same_record_twice_is_malformed():
    body = record_body(REC.read_bytes())
    with pytest.raises(MalformedFile, match="record 4083529 appears twice"):
        parse_marc_xml(collection(body, body))


def test_marc_xml_bare_record_root():
    body = record_body(REC.read_bytes()).replace(
        "<record>", '<record xmlns="http://www.loc.gov/MARC21/slim">', 1
    )
    got = parse_marc_xml(body.encode("utf-8"))
    ref = parse_marc_xml(REC)
    pd.testing.assert_frame_equal(got.votes, ref.votes)
    pd.testing.assert_frame_equal(got.texts, ref.texts)


@pytest.mark.parametrize("tag", ["791", "269"])
def test_marc_xml_missing_791_or_269_names_the_record(tag):
    text = REC.read_text(encoding="utf-8")
    text = re.sub(rf'<datafield tag="{tag}".*?</datafield>', "", text, flags=re.S)
    with pytest.raises(MalformedFile) as e:
        parse_marc_xml(text.encode("utf-8"), label="x.xml")
    assert "record 4083529" in str(e.value) and tag in str(e.value)


def test_marc_xml_duplicate_iso3_is_malformed():
    text = REC.read_text(encoding="utf-8").replace(
        '<subfield code="c">ALB</subfield>', '<subfield code="c">AFG</subfield>'
    )
    with pytest.raises(MalformedFile, match=r"AFG appears twice \(967 orders 1 and 2\)"):
        parse_marc_xml(text.encode("utf-8"))


def test_marc_xml_bad_date():
    text = REC.read_text(encoding="utf-8").replace(
        '<subfield code="a">2025-06-12</subfield>', '<subfield code="a">12 June 2025</subfield>'
    )
    with pytest.raises(BadDate, match="12 June 2025"):
        parse_marc_xml(text.encode("utf-8"))


def test_marc_xml_without_996_gives_blank_totals():
    text = re.sub(
        r'<datafield tag="996".*?</datafield>', "", REC.read_text(encoding="utf-8"), flags=re.S
    )
    got = parse_marc_xml(text.encode("utf-8"))
    assert got.texts[records.TOTAL_COLUMNS].isna().all(axis=None)
    assert str(got.texts["members"].dtype) == "Int64"
    assert len(got.votes) == len(marc()["votes"])


def test_marc_xml_decision_with_non_ascii_names():
    want = marc(REC2)
    got = parse_marc_xml(REC2)
    assert got.texts.at[0, "symbol"] == want["symbol"] == "A/DEC/80/506"
    names = dict(zip(got.votes["iso3"], got.votes["name"], strict=True))
    assert names["TUR"] == dict((c, e) for _, c, e, _ in want["votes"])["TUR"] == "TÜRKİYE"
    assert tally(got.votes) == {k: v for k, v in want["totals"].items() if k != "members"}


def test_marc_xml_accepts_a_path_a_str_or_bytes():
    ref = parse_marc_xml(REC)
    for src in (str(REC), REC.read_bytes()):
        got = parse_marc_xml(src)
        pd.testing.assert_frame_equal(got.votes, ref.votes)
        pd.testing.assert_frame_equal(got.texts, ref.texts)


@pytest.mark.parametrize(
    "xml, reason",
    [
        (b"<?xml version='1.0'?><html><body/></html>", "root element"),
        (b'<collection xmlns="http://www.loc.gov/MARC21/slim"></collection>', "no MARC <record>"),
        (b"", "malformed XML"),
    ],
)
def test_marc_xml_not_a_voting_record(xml, reason):
    with pytest.raises(MalformedFile, match=re.escape(reason)):
        parse_marc_xml(xml)


def test_marc_xml_missing_file():
    with pytest.raises(MalformedFile, match="file not found"):
        parse_marc_xml(FIX / "nope.xml")


def test_undl_parses_xml_with_defusedxml_only():
    folder = Path(__file__).resolve().parents[1] / "src" / "unga_brief" / "undl"
    seen = []
    for module in sorted(folder.glob("*.py")):
        src = module.read_text(encoding="utf-8")
        imports = [ln for ln in src.splitlines() if re.match(r"\s*(from|import)\s", ln)]
        assert not [ln for ln in imports if re.search(r"\bxml\.|lxml|minidom|expat", ln)], imports
        seen += [module.name for ln in imports if "defusedxml" in ln]
    assert "marc_xml.py" in seen


# ------------------------------------------------------------------ bulk CSV (GA)


def test_bulk_csv_2026_layout_real_rows():
    real = [r for r in csv_rows(GA) if r["undl_id"] == "4025240"]
    assert len(real) == 2
    got = read_bulk_csv(GA, records={"4025240"}, check_totals=False)
    assert list(got.votes.columns) == records.VOTE_COLUMNS
    assert list(got.texts.columns) == records.TEXT_COLUMNS
    assert (
        list(zip(got.votes["iso3"], got.votes["vote"], strict=True))
        == [(r["ms_code"], r["ms_vote"]) for r in real]
        == [("AFG", "Y"), ("BEN", "X")]
    )
    row = got.texts.iloc[0]
    for key, col in CSV_TOTAL.items():  # "120.0" -> 120
        assert int(row[key]) == int(float(real[0][col]))
    assert (int(row["yes"]), int(row["no"]), int(row["abstain"])) == (120, 14, 45)
    assert row["symbol"] == real[0]["resolution"] == "A/RES/ES-10/21"
    assert row["date"] == real[0]["date"] == "2023-10-27"
    assert row["title"] == real[0]["title"].split(" : ")[0]
    assert (row["draft"], row["meeting"], row["body"]) == ("A/ES-10/L.25", "A/ES-10/PV.41", "GA")


def test_bulk_csv_complete_record_tally_equals_its_totals():
    rows = [r for r in csv_rows(GA) if r["undl_id"] == "4083529"]
    got = read_bulk_csv(GA, records={"4083529"})
    assert len(got.votes) == len(rows) == int(float(rows[0]["total_ms"]))
    assert tally(got.votes) == {k: int(float(rows[0][CSV_TOTAL[k]])) for k in VOTE_OF}


def test_bulk_csv_agrees_with_marc_xml_country_by_country():
    from_csv = read_bulk_csv(GA, symbols={"A/RES/ES-10/27"})
    from_xml = parse_marc_xml(REC)
    pd.testing.assert_frame_equal(from_csv.votes, from_xml.votes)
    pd.testing.assert_frame_equal(from_csv.texts, from_xml.texts)


def test_bulk_csv_partial_record_raises_totals_mismatch():
    # The two real rows of record 4025240 are 2 of its 193 votes: the whole file cannot pass.
    with pytest.raises(TotalsMismatch) as e:
        read_bulk_csv(GA)
    assert str(e.value).startswith(
        f"{GA}: record 4025240 (A/RES/ES-10/21): rows give 1 Yes, total_yes says 120"
    )


def test_bulk_csv_older_layout_without_vote_note(tmp_path):
    old = rewrite_csv(GA, tmp_path / "old.csv", drop=("vote_note",))
    header = old.read_text(encoding="utf-8").splitlines()[0]
    assert "vote_note" not in header and header.count(",") == 18
    assert sniff(old) == "ga-bulk-csv"
    ref = read_bulk_csv(GA, records={"4083529"})
    got = read_bulk_csv(old, records={"4083529"})
    pd.testing.assert_frame_equal(got.votes, ref.votes)
    pd.testing.assert_frame_equal(got.texts, ref.texts)


def test_bulk_csv_columns_found_by_name_not_position(tmp_path):
    def retitle(i, r):
        r["title"] = (
            'Protection of civilians, "quoted" : resolution / adopted by the General Assembly'
        )

    shuffled = rewrite_csv(GA, tmp_path / "shuffled.csv", order=lambda h: h[::-1], edit=retitle)
    assert shuffled.read_text(encoding="utf-8").startswith("undl_link,total_ms,")
    ref = read_bulk_csv(GA, records={"4083529"})
    got = read_bulk_csv(shuffled, records={"4083529"})
    pd.testing.assert_frame_equal(got.votes, ref.votes)
    assert got.texts.at[0, "title"] == 'Protection of civilians, "quoted"'
    assert got.texts.at[0, "yes"] == ref.texts.at[0, "yes"]


def test_bulk_csv_nv_and_empty_codes_are_non_voting(tmp_path):
    seen = []

    def nv(i, r):
        if r["ms_vote"] == "X":
            r["ms_vote"] = "NV" if len(seen) % 2 else ""
            seen.append(r["ms_code"])

    path = rewrite_csv(GA, tmp_path / "nv.csv", edit=nv)
    text = path.read_text(encoding="utf-8")
    assert ",NV," in text and ",,2025-06-12," in text
    ref = read_bulk_csv(GA, records={"4083529"})
    got = read_bulk_csv(path, records={"4083529"})
    pd.testing.assert_frame_equal(got.votes, ref.votes)
    assert (got.votes.set_index("iso3").loc[seen[1:], "vote"] == "X").all()


def test_bulk_csv_bad_vote_code_names_line_and_record(tmp_path):
    def bad(i, r):
        if r["undl_id"] == "4083529" and r["ms_code"] == "ALB":
            r["ms_vote"] = "Abs"

    path = rewrite_csv(GA, tmp_path / "bad.csv", edit=bad)
    line = next(
        n
        for n, ln in enumerate(path.read_text().splitlines(), 1)
        if ",ALB," in ln and "4083529" in ln
    )
    with pytest.raises(BadVoteCode) as e:
        read_bulk_csv(path, records={"4083529"})
    msg = str(e.value)
    assert f"line {line}" in msg and "4083529" in msg and "ALB" in msg and "'Abs'" in msg


def test_bulk_csv_filters_by_symbol_record_and_date():
    by_symbol = read_bulk_csv(GA, symbols={"A/RES/ES-10/21"}, check_totals=False)
    assert set(by_symbol.votes["undl_record"]) == {"4025240"} and len(by_symbol.votes) == 2
    since = read_bulk_csv(GA, since="2024-01-01")
    assert set(since.texts["undl_record"]) == {"4083529"}
    assert len(since.votes) == 193
    day = read_bulk_csv(GA, since="2025-06-12")  # on the day counts
    assert len(day.votes) == 193
    none = read_bulk_csv(GA, since="2025-06-13")
    assert len(none.votes) == 0 and len(none.texts) == 0
    assert list(none.votes.columns) == records.VOTE_COLUMNS
    assert list(none.texts.columns) == records.TEXT_COLUMNS
    both = read_bulk_csv(GA, symbols={"A/RES/ES-10/27"}, records={"4025240"})
    assert len(both.votes) == 0


def test_bulk_csv_since_must_be_a_day():
    with pytest.raises(ParameterError, match="since"):
        read_bulk_csv(GA, since="June 2025")


@pytest.mark.parametrize("chunksize", [2, 7, 194])
def test_bulk_csv_chunks_give_the_same_result(chunksize):
    ref = read_bulk_csv(GA, since="2024-01-01")
    got = read_bulk_csv(GA, since="2024-01-01", chunksize=chunksize)
    pd.testing.assert_frame_equal(got.votes, ref.votes)
    pd.testing.assert_frame_equal(got.texts, ref.texts)


def test_bulk_csv_reads_in_chunks_only_the_needed_columns(monkeypatch):
    calls = []
    real = pd.read_csv

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "read_csv", spy)
    read_bulk_csv(GA, records={"4083529"}, chunksize=50)
    assert len(calls) == 1
    kw = calls[0]
    assert kw["chunksize"] == 50 and kw["keep_default_na"] is False
    assert kw["dtype"] in (str, object)  # every value read as written, never inferred
    header = GA.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert set(kw["usecols"]) < set(header)
    assert not {
        "agenda_title",
        "subjects",
        "vote_note",
        "undl_link",
        "committee_report",
        "session",
    } & set(kw["usecols"])


@pytest.mark.parametrize("stamp", ["2025-06-12 00:00:00", "2025-06-12T00:00:00Z"])
def test_bulk_csv_dates_with_a_time_part(tmp_path, stamp):
    def timed(i, r):
        r["date"] = r["date"].replace("2025-06-12", stamp)

    path = rewrite_csv(GA, tmp_path / "t.csv", edit=timed)
    assert stamp in path.read_text(encoding="utf-8")
    got = read_bulk_csv(path, since="2025-06-12")
    assert set(got.votes["date"]) == {"2025-06-12"} and len(got.votes) == 193


def test_bulk_csv_bad_date(tmp_path):
    def bad(i, r):
        r["date"] = r["date"].replace("2025-06-12", "12/06/2025")

    path = rewrite_csv(GA, tmp_path / "d.csv", edit=bad)
    with pytest.raises(BadDate, match="12/06/2025"):
        read_bulk_csv(path, records={"4083529"})
    with pytest.raises(BadDate, match="12/06/2025"):
        read_bulk_csv(path, since="2020-01-01")


def test_bulk_csv_truncated_file_is_malformed():
    path = FIX / "ga_bulk_truncated.csv"
    raw = path.read_bytes()
    assert not raw.endswith(b"\n")
    with pytest.raises(MalformedFile) as e:
        read_bulk_csv(path, records={"4025240"}, check_totals=False)
    msg = str(e.value)
    last_line = raw.count(b"\n") + 1
    assert msg.startswith(f"{path}:{last_line}: ") and "truncated" in msg


def test_bulk_csv_short_last_row_is_malformed(tmp_path):
    lines = GA.read_text(encoding="utf-8").splitlines()
    short = ",".join(lines[-1].split(",")[:12])
    path = tmp_path / "short.csv"
    path.write_text("\n".join([*lines[:-1], short]) + "\n", encoding="utf-8")
    with pytest.raises(MalformedFile) as e:
        read_bulk_csv(path, records={"4025240"}, check_totals=False)
    assert f":{len(lines)}: last row has 12 fields, header has 20" in str(e.value)


def test_bulk_csv_unterminated_quote_is_malformed(tmp_path):
    lines = GA.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Protection", '"Protection', 1)
    path = tmp_path / "quote.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(MalformedFile, match="cannot parse CSV"):
        read_bulk_csv(path)


def test_bulk_csv_missing_column_names_it_and_lists_those_found():
    path = FIX / "ga_bulk_missing_column.csv"
    found = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    with pytest.raises(MalformedFile) as e:
        read_bulk_csv(path)
    msg = str(e.value)
    assert "missing column(s) ms_vote" in msg
    assert f"columns found: {', '.join(found)}" in msg


def test_bulk_csv_rows_of_one_record_disagree_on_totals(tmp_path):
    def bump(i, r):
        if r["ms_code"] == "ZWE":
            r["total_yes"] = "150.0"

    path = rewrite_csv(GA, tmp_path / "disagree.csv", edit=bump)
    with pytest.raises(
        MalformedFile,
        match=r"record 4083529: its rows disagree on total_yes "
        r"\(149, 150\)",
    ):
        read_bulk_csv(path, records={"4083529"})


def test_bulk_csv_totals_mismatch_names_record_and_counts(tmp_path):
    def flip(i, r):
        if r["undl_id"] == "4083529" and r["ms_code"] == "ZWE":
            assert r["ms_vote"] == "Y"
            r["ms_vote"] = "A"

    path = rewrite_csv(GA, tmp_path / "flip.csv", edit=flip)
    with pytest.raises(TotalsMismatch) as e:
        read_bulk_csv(path, records={"4083529"})
    assert str(e.value) == (
        f"{path}: record 4083529 (A/RES/ES-10/27): rows give 148 Yes, "
        "total_yes says 149; rows give 20 Abstain, total_abstentions says 19"
    )


def test_bulk_csv_duplicate_country_in_a_record(tmp_path):
    def dup(i, r):
        if r["undl_id"] == "4083529" and r["ms_code"] == "ALB":
            r["ms_code"] = "AFG"

    path = rewrite_csv(GA, tmp_path / "dup.csv", edit=dup)
    with pytest.raises(MalformedFile, match=r"AFG appears more than once \(lines 4, 5\)"):
        read_bulk_csv(path, records={"4083529"}, check_totals=False)


def test_bulk_csv_ids_and_totals_kept_as_written(tmp_path):
    def ids(i, r):
        r["undl_id"] = f"{r['undl_id']}.0"  # as a float-typed writer would
        r["total_ms"] = ""  # unknown, not zero

    path = rewrite_csv(GA, tmp_path / "ids.csv", edit=ids)
    got = read_bulk_csv(path, records={"4083529"})
    assert set(got.votes["undl_record"]) == {"4083529"} and len(got.votes) == 193
    assert pd.isna(got.texts.at[0, "members"]) and got.texts.at[0, "yes"] == 149


def test_bulk_csv_not_a_voting_file(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("iso3,un_name\nAFG,Afghanistan\n", encoding="utf-8")
    with pytest.raises(MalformedFile, match="unrecognised file"):
        read_bulk_csv(path)


# ------------------------------------------------------------------ bulk CSV (SC)


def test_sc_bulk_csv_real_rows():
    rows = csv_rows(SC)
    got = read_bulk_csv(SC)
    assert list(got.texts["undl_record"]) == ["278791", "278798"]
    assert list(got.texts["symbol"]) == ["S/RES/504(1982)", "S/RES/511(1982)"]
    assert set(got.texts["body"]) == {"SC"}
    assert len(got.votes) == len(rows) == 30
    for rid, t in got.texts.set_index("undl_record").iterrows():
        first = next(r for r in rows if r["undl_id"] == rid)
        assert {k: int(t[k]) for k in CSV_TOTAL} == {k: int(first[c]) for k, c in CSV_TOTAL.items()}
        assert tally(got.votes[got.votes["undl_record"] == rid]) == {
            k: int(first[CSV_TOTAL[k]]) for k in VOTE_OF
        }
        assert t["title"] == first["description"]
        assert t["meeting"] == first["meeting"] and pd.isna(t["draft"])
    v = got.votes.set_index(["undl_record", "iso3"])["vote"]
    assert v[("278798", "SUN")] == "A" and v[("278798", "POL")] == "A"


# ------------------------------------------------------------------ sniff


@pytest.mark.parametrize(
    "name, kind",
    [
        ("record_4083529.xml", "marcxml"),
        ("record_4088074.xml", "marcxml"),
        ("xml_bomb.xml", "marcxml"),  # recognised; the parser then refuses it
        ("ga_bulk_2026.csv", "ga-bulk-csv"),
        ("ga_bulk_missing_column.csv", "ga-bulk-csv"),  # read_bulk_csv then names the column
        ("sc_bulk_sample.csv", "sc-bulk-csv"),
    ],
)
def test_sniff(name, kind):
    assert sniff(FIX / name) == kind


def test_sniff_older_layout_and_bom(tmp_path):
    old = rewrite_csv(GA, tmp_path / "old.csv", drop=("vote_note",))
    assert sniff(old) == "ga-bulk-csv"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + GA.read_bytes())
    assert sniff(bom) == "ga-bulk-csv"
    got = read_bulk_csv(bom, records={"4083529"})
    assert len(got.votes) == 193


@pytest.mark.parametrize(
    "content",
    [
        b"iso3,un_name\nAFG,Afghanistan\n",
        b"<html><body>not a record</body></html>",
        b"%PDF-1.7\n",
        b"",
    ],
)
def test_sniff_unrecognised(tmp_path, content):
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(MalformedFile, match="unrecognised file"):
        sniff(path)


def test_errors_are_data_errors():
    # The CLI turns these into one line and exit code 2.
    for exc in (MalformedFile, BadVoteCode, BadDate, TotalsMismatch):
        assert issubclass(exc, DataError)
