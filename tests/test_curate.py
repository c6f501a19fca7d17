"""Curation: the specification of how data/ is built from the gathered sources."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import (
    ABSTAIN,
    DROPPED_MESSAGE,
    ES11_7_TALLY,
    NO,
    NONV,
    YES,
    needs_shared,
    tree_digest,
)

from unga_brief.core import errors
from unga_brief.data.curate import curate, output_files, run_curate
from unga_brief.data.validate import OFFICIAL


def _read(paths, rel):
    return pd.read_csv(paths.data / rel, dtype=str, keep_default_na=False)


def test_curate_rerun_is_byte_identical(mini):
    _, first = run_curate(mini)
    before = tree_digest(mini.data)
    _, second = run_curate(mini)
    assert first, "the first run writes the curated files"
    assert second == [], "a second run on the same inputs changes nothing"
    assert tree_digest(mini.data) == before


@needs_shared
def test_curate_on_shipped_sources_equals_committed_data(shipped):
    """`curate` on ../shared is byte-identical to what is committed under data/."""
    files = output_files(curate(shipped))
    for rel, data in files.items():
        committed = (shipped.data / rel).read_bytes()
        assert committed == data, f"data/{rel} differs from a fresh curate: run `unga-brief curate`"


def test_every_full_text_reproduces_its_official_totals(shipped):
    """Per-country rows must reproduce the tally announced in the hall."""
    cat = _read(shipped, "catalog/catalog.csv")
    votes = pd.concat([_read(shipped, "votes/ga.csv"), _read(shipped, "votes/sc.csv")])
    counts = votes.groupby(["text_id", "vote"]).size().unstack(fill_value=0)
    full = cat[cat["coverage"] == "full"]
    assert len(full) > 0
    for _, t in full.iterrows():
        for code, col in OFFICIAL.items():
            assert int(counts.loc[t["id"]].get(code, 0)) == int(t[col]), (t["id"], code)
        assert counts.loc[t["id"]].sum() == int(t["members"])


def test_partial_text_keeps_official_totals_and_names_its_complete_lists(mini_curated):
    cat = _read(mini_curated, "catalog/catalog.csv").set_index("label")
    t = cat.loc["A/RES/ES-11/10"]
    votes = _read(mini_curated, "votes/ga.csv")
    rows = votes[votes["text_id"] == t["id"]]["vote"].value_counts()
    assert t["coverage"] == "partial"
    # a list is complete exactly when the named rows reach the official count
    expected = "".join(c for c, col in OFFICIAL.items() if int(rows.get(c, 0)) == int(t[col]))
    assert t["complete_lists"] == expected
    assert "N" in expected and "Y" not in expected
    assert int(t["official_yes"]) > int(rows.get("Y", 0)), (
        "official totals are kept, not the named count"
    )


def test_text_without_confirmed_symbol_keeps_its_label_and_says_why(mini_curated):
    cat = _read(mini_curated, "catalog/catalog.csv").set_index("label")
    t = cat.loc["A/RES/ES-11/10"]
    assert t["symbol"] == "" and t["symbol_confirmed"] == "false"
    assert "not confirmed" in t["note"]


def test_lower_rank_disagreement_is_listed_not_fatal(mini_curated):
    conflicts = _read(mini_curated, "conflicts.csv")
    egy = conflicts[(conflicts["iso3"] == "EGY") & (conflicts["symbol"] == "A/RES/ES-11/7")]
    assert len(egy) == 1
    r = egy.iloc[0]
    assert (r["kept_rank"], r["other_rank"], r["status"]) == ("1", "4", "listed")
    votes = _read(mini_curated, "votes/ga.csv")
    kept = votes[(votes["text_id"] == "ga-es11-07") & (votes["iso3"] == "EGY")].iloc[0]
    assert kept["vote"] == r["kept"] and kept["basis"] == "record"


def test_every_vote_keeps_its_basis_and_source_file(mini_curated):
    votes = _read(mini_curated, "votes/ga.csv")
    assert set(votes["basis"]) <= {"record", "list", "derived", "named"}
    assert (votes["source"] != "").all() and (votes["citation"] != "").all()
    assert set(votes.loc[votes["text_id"] == "ga-es11-2026-02-24", "basis"]) == {"named"}


def test_sources_yml_gives_origin_and_sha256_of_every_input(mini_curated):
    import hashlib

    import yaml

    doc = yaml.safe_load((mini_curated.data / "sources.yml").read_text())
    by_file = {d["file"]: d for d in doc["inputs"]}
    for rel, d in by_file.items():
        assert d["sha256"] == hashlib.sha256((mini_curated.sources / rel).read_bytes()).hexdigest()
    assert by_file["record/votes.csv"]["origin"]
    assert "ga-es11-07" in by_file["record/votes.csv"]["texts"]


# --- bad inputs: each refused with a clear message, and nothing written ------------------------


def _edit_csv(path, fn):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(fn(lines)), encoding="utf-8")


def _drop_row(iso3):
    return lambda ls: [ln for ln in ls if f",{iso3}," not in ln or "A/RES/ES-11/7" not in ln]


def _replace_in_row(iso3, old, new):
    def fn(ls):
        out = []
        for ln in ls:
            if ln.startswith("A/RES/ES-11/7,") and f",{iso3}," in ln:
                ln = ln.replace(old, new, 1)
            out.append(ln)
        return out

    return fn


BAD_INPUTS = {
    # name: (file, edit, error class, message pattern)
    "dropped row": (
        "record/votes.csv",
        _drop_row("FRA"),
        errors.TotalsMismatch,
        re.escape(DROPPED_MESSAGE),
    ),
    "duplicated country": (
        "record/votes.csv",
        lambda ls: ls + [next(ln for ln in ls if ",FRA," in ln)],
        errors.DuplicateVote,
        r"A/RES/ES-11/7: FRA appears twice",
    ),
    "unknown ISO3": (
        "record/votes.csv",
        _replace_in_row("FRA", ",FRA,", ",FRX,"),
        errors.UnknownCountry,
        r"'FRX' on A/RES/ES-11/7 is not a UN Member State",
    ),
    "vote code Q": (
        "record/votes.csv",
        _replace_in_row("FRA", ",Y,", ",Q,"),
        errors.BadVoteCode,
        r"vote 'Q' for FRA on A/RES/ES-11/7",
    ),
    "malformed date": (
        "record/votes.csv",
        _replace_in_row("FRA", "2025-02-24", "2025-02-30"),
        errors.BadDate,
        r"date '2025-02-30' for A/RES/ES-11/7 is not YYYY-MM-DD",
    ),
    "truncated CSV": (
        "record/votes.csv",
        lambda ls: ls[:-1] + [ls[-1][:25]],
        errors.MalformedFile,
        r"record/votes.csv:\d+: .*truncated",
    ),
    "wrong header": (
        "record/votes.csv",
        lambda ls: ["symbol,date,iso,country,vote,source\n"] + ls[1:],
        errors.MalformedFile,
        r"record/votes.csv:1: wrong header",
    ),
    "text missing from the catalogue": (
        "record/votes.csv",
        lambda ls: ls + [ls[1].replace("A/RES/ES-11/7", "A/RES/ES-11/99")],
        errors.UnknownText,
        r"text label 'A/RES/ES-11/99' is not in data/catalog/texts.yml",
    ),
    "two top-rank sources in conflict": (
        "record/votes.csv",
        lambda ls: (
            ls
            + [
                next(ln for ln in ls if ln.startswith("A/RES/ES-11/7,") and ",FRA," in ln).replace(
                    ",Y,", ",N,"
                )
            ]
        ),
        errors.DuplicateVote,
        r"FRA appears twice",
    ),
    "totals do not add up to the rows": (
        "record/totals.csv",
        lambda ls: [
            ln.replace(f",{ES11_7_TALLY},", f",{YES + 1},{NO},{ABSTAIN},{NONV - 1},") for ln in ls
        ],
        errors.TotalsMismatch,
        rf"A/RES/ES-11/7: rows give {YES} Yes, official {YES + 1}",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_refused_and_nothing_is_written(mini_curated, case):
    rel, edit, err, pattern = BAD_INPUTS[case]
    before = tree_digest(mini_curated.data)
    _edit_csv(mini_curated.sources / rel, edit)
    with pytest.raises(err, match=pattern):
        run_curate(mini_curated)
    assert tree_digest(mini_curated.data) == before, "a refused input must leave data/ untouched"


def test_conflict_between_two_top_rank_files_fails_unless_resolved(mini_curated):
    """Two different files of rank 1 that disagree on a country are fatal."""
    import yaml

    rules_p = mini_curated.curation_yml
    rules = yaml.safe_load(rules_p.read_text())
    second = mini_curated.sources / "record" / "votes2.csv"
    lines = (mini_curated.sources / "record" / "votes.csv").read_text().splitlines(keepends=True)
    fra = next(ln for ln in lines if ln.startswith("A/RES/ES-11/7,") and ",FRA," in ln)
    second.write_text(lines[0] + fra.replace(",Y,", ",A,"))
    rules["inputs"]["votes"].insert(1, {"file": "record/votes2.csv", "body": "GA", "rank": 1})
    rules_p.write_text(yaml.safe_dump(rules, sort_keys=False))
    before = tree_digest(mini_curated.data / "votes")
    with pytest.raises(errors.SourceConflict, match=r"ga-es11-07: FRA: sources of rank 1 disagree"):
        run_curate(mini_curated)
    assert tree_digest(mini_curated.data / "votes") == before

    texts_p = mini_curated.texts_yml
    doc = yaml.safe_load(texts_p.read_text())
    for t in doc["texts"]:
        if t["id"] == "ga-es11-07":
            t["resolutions"] = {"FRA": {"vote": "Y", "note": "test: the record copy is kept"}}
    texts_p.write_text(yaml.safe_dump(doc, sort_keys=False))
    cur, _ = run_curate(mini_curated)
    c = cur.conflicts[(cur.conflicts["iso3"] == "FRA")]
    assert c["status"].tolist() == ["resolved"] and c["note"].iloc[0].startswith("test:")


def test_totals_only_text_has_no_rows_and_blank_unknown_totals(shipped):
    cat = _read(shipped, "catalog/catalog.csv")
    t = cat[cat["coverage"] == "totals"]
    assert len(t) > 0
    votes = pd.concat([_read(shipped, "votes/ga.csv"), _read(shipped, "votes/sc.csv")])
    assert not votes["text_id"].isin(t["id"]).any()
    rus = cat.set_index("id").loc["ga-amend-2025-02-24-rus"]
    assert rus["official_abstain"] == "" and rus["official_non_voting"] == "", (
        "unknown stays blank, never 0"
    )


def test_clone_without_sources_recurates_byte_identical(mini_curated):
    """A user's clone has no ../shared: curate rebuilds data/ from what is committed."""
    from unga_brief.core.paths import Paths

    before = tree_digest(mini_curated.data)
    clone = Paths.default(mini_curated.root, mini_curated.root / "no-such-sources")
    _, changed = run_curate(clone)
    assert changed == []
    assert tree_digest(mini_curated.data) == before


@needs_shared
def test_palestine_texts_reproduce_the_official_totals_of_their_un_records(shipped):
    """Each Palestine text copied from a UN Digital Library record (undl_scrape): its official
    totals are counted from the source's own rows, agree with the source's totals file, and the
    curated rows equal the source's rows country by country."""
    from conftest import SHARED_SOURCES

    src_votes = pd.read_csv(SHARED_SOURCES / "undl_scrape/votes.csv", dtype=str)
    src_totals = pd.read_csv(SHARED_SOURCES / "undl_scrape/totals.csv", dtype=str).set_index(
        "symbol"
    )
    cat = _read(shipped, "catalog/catalog.csv")
    votes = _read(shipped, "votes/ga.csv")
    gaza = cat[(cat["topic"] == "gaza") & cat["symbol"].isin(src_votes["symbol"])]
    regular = gaza[gaza["symbol"].str.match(r"^A/RES/\d+/")]
    assert len(regular) >= 20, "the 20 regular-session Palestine texts of 2022-2024 are curated"
    for _, t in gaza.iterrows():
        rows = src_votes[src_votes["symbol"] == t["symbol"]]
        counted = rows["vote"].value_counts()
        for code, col in OFFICIAL.items():
            official = int(counted.get(code, 0))
            assert int(src_totals.at[t["symbol"], col.removeprefix("official_")]) == official
            assert int(t[col]) == official, (t["symbol"], code)
        kept = votes[votes["text_id"] == t["id"]].set_index("iso3")
        assert t["coverage"] == "full" and set(kept["basis"]) == {"record"}
        assert kept["vote"].to_dict() == dict(zip(rows["iso3"], rows["vote"])), t["symbol"]
        assert t["undl_record"] and t["undl_record"] in rows["source"].iloc[0]


@needs_shared
def test_every_text_copied_from_a_un_record_carries_its_record_id(shipped):
    """A text whose rows come from a UNDL record copy that names the record has its id."""
    from unga_brief.data.vote_merge import CITED_RECORD

    cat = _read(shipped, "catalog/catalog.csv").set_index("id")
    votes = pd.concat([_read(shipped, "votes/ga.csv"), _read(shipped, "votes/sc.csv")])
    cited = votes.assign(rid=votes["citation"].str.extract(CITED_RECORD)[0]).dropna(subset=["rid"])
    for tid, rid in cited.drop_duplicates("text_id").set_index("text_id")["rid"].items():
        assert cat.at[tid, "undl_record"] == rid, tid


def test_a_record_id_that_contradicts_the_sources_is_refused(mini):
    import yaml

    doc = yaml.safe_load(mini.texts_yml.read_text())
    for t in doc["texts"]:
        if t["id"] == "ga-es11-07":
            t["undl_record"] = int(t["undl_record"]) + 1
    mini.texts_yml.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(
        errors.DataError, match=r"ga-es11-07: undl_record \d+, but its sources copy"
    ):
        run_curate(mini)


@needs_shared
def test_population_is_curated_for_every_member_and_missing_gdp_stays_blank(shipped):
    from conftest import SHARED_SOURCES

    from unga_brief.data.population import load_population

    members = set(_read(shipped, "reference/member_states.csv")["iso3"])
    pop = _read(shipped, "reference/population.csv")
    src_pop = pd.read_csv(SHARED_SOURCES / "reference/population.csv", dtype=str)
    src_gdp = pd.read_csv(SHARED_SOURCES / "reference/gdp_per_capita_ppp.csv", dtype=str)
    years = sorted(src_pop["year"].unique())
    assert len(pop) == len(members) * len(years)
    for y in years:
        assert set(pop.loc[pop["year"] == y, "iso3"]) == members
    have = set(zip(src_gdp["iso3"], src_gdp["year"]))
    lacking = pop[[(i, y) not in have for i, y in zip(pop["iso3"], pop["year"])]]
    assert len(lacking) > 0, "some members have no GDP value in the source"
    assert (lacking["gdp_per_capita_ppp"] == "").all() and (lacking["gdp_source"] == "").all()
    assert not (pop["gdp_per_capita_ppp"] == "0").any() and (pop["population_source"] != "").all()
    typed = load_population(shipped)
    assert typed["gdp_per_capita_ppp"].isna().sum() == len(lacking)
