"""Validation of the committed data/ and the `unga-brief validate` command."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import DROPPED_MESSAGE, tree_digest

from unga_brief.cli import main
from unga_brief.core import errors
from unga_brief.data.validate import validate_data


def _rewrite(path, fn):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    fn(df).to_csv(path, index=False, lineterminator="\n")


def test_validate_lists_every_text_with_coverage_and_basis(shipped, capsys):
    assert main(["--root", str(shipped.root), "validate"]) == 0
    out = capsys.readouterr().out
    cat = pd.read_csv(shipped.catalog_csv, dtype=str, keep_default_na=False)
    for _, t in cat.iterrows():
        assert (t["symbol"] or t["label"]) in out, t["id"]
    for cov in ("full", "partial", "totals"):
        assert cov in out
    assert "record:193" in out


def test_dropped_row_in_committed_votes_names_text_and_difference(mini_curated):
    ga = mini_curated.votes_dir / "ga.csv"
    _rewrite(ga, lambda d: d[~((d["text_id"] == "ga-es11-07") & (d["iso3"] == "FRA"))])
    with pytest.raises(
        errors.TotalsMismatch,
        match=rf"^{re.escape(DROPPED_MESSAGE)}$",
    ):
        validate_data(mini_curated)


def test_partial_rows_may_not_exceed_official_totals(mini_curated):
    cat = mini_curated.catalog_csv
    _rewrite(
        cat,
        lambda d: d.assign(
            official_no=d["official_no"].where(d["label"] != "A/RES/ES-11/10", "11")
        ),
    )
    with pytest.raises(
        errors.TotalsMismatch, match=r"partial rows give 12 No, more than the official 11"
    ):
        validate_data(mini_curated)


def test_vote_code_outside_the_set_is_refused(mini_curated):
    _rewrite(
        mini_curated.votes_dir / "ga.csv",
        lambda d: d.assign(vote=d["vote"].where(d["iso3"] != "FRA", "Q")),
    )
    with pytest.raises(errors.BadVoteCode):
        validate_data(mini_curated)


def test_unknown_iso3_in_committed_votes_is_refused(mini_curated):
    _rewrite(
        mini_curated.votes_dir / "ga.csv",
        lambda d: d.assign(iso3=d["iso3"].where(d["iso3"] != "FRA", "FRX")),
    )
    with pytest.raises(errors.UnknownCountry, match="FRX is not a UN Member State"):
        validate_data(mini_curated)


def test_sc_vote_by_a_state_not_on_the_council_is_refused(mini_curated):
    _rewrite(
        mini_curated.votes_dir / "sc.csv",
        lambda d: d.assign(iso3=d["iso3"].where(d["iso3"] != "MLT", "DEU")),
    )
    with pytest.raises(errors.UnknownCountry, match="DEU was not on the Security Council"):
        validate_data(mini_curated)


def test_veto_must_agree_with_the_rows(mini_curated):
    # swap the vetoing member's No with an abstainer's vote: totals still match, the veto does not
    def swap(d):
        sc = d["text_id"] == "sc-2023-970"
        abstainer = d.loc[sc & (d["vote"] == "A"), "iso3"].iloc[0]
        d.loc[sc & (d["iso3"] == "USA"), "vote"] = "A"
        d.loc[sc & (d["iso3"] == abstainer), "vote"] = "N"
        return d

    _rewrite(mini_curated.votes_dir / "sc.csv", swap)
    with pytest.raises(errors.DataError, match="vetoed_by USA, but its recorded vote is A"):
        validate_data(mini_curated)


def test_malformed_date_in_catalogue_is_refused(mini_curated):
    _rewrite(
        mini_curated.catalog_csv,
        lambda d: d.assign(date=d["date"].str.replace("2025-02-24", "24/02/2025")),
    )
    with pytest.raises(errors.DataError, match="YYYY-MM-DD"):
        validate_data(mini_curated)


def test_validate_failure_is_one_line_and_exit_2(mini_curated, capsys):
    _rewrite(
        mini_curated.votes_dir / "ga.csv",
        lambda d: d[~((d["text_id"] == "ga-es11-07") & (d["iso3"] == "FRA"))],
    )
    before = tree_digest(mini_curated.data)
    code = main(["--root", str(mini_curated.root), "validate"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0
    assert DROPPED_MESSAGE in err
    assert tree_digest(mini_curated.data) == before


def test_curate_failure_exit_2_names_the_file_and_line(mini_curated, capsys):
    p = mini_curated.sources / "record" / "votes.csv"
    p.write_text(p.read_text().replace(",FRA,France,Y,", ",FRA,France,Q,", 1))
    code = main(
        ["--root", str(mini_curated.root), "--sources", str(mini_curated.sources), "curate"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "record/votes.csv:" in err and "'Q'" in err
