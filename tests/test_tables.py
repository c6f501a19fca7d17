"""Vote tables: counts by text, group and bloc; the wide table; the trend across a series."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.analysis import frames as F  # noqa: E402  (tests/ is on sys.path)

from unga_brief.analysis import ballot_frame, inputs, membership, tables
from unga_brief.core.paths import Paths

# States in order: USA RUS CHN EGY FIN IND DEU
#   u1 es11 GA 2023-03-01 full            Y N A A Y A Y     official 3-1-3-0
#   s1 SC 2024-03-01 full (council of 5)  N Y Y . Y . A     official 3-1-1-0, vetoed by the US
#   u2 es11 GA 2024-03-01 full            Y N A X Y A Y     official 3-1-2-1
#   u3 es11 GA 2024-06-01 partial (Y, N)  Y N A Y Y . Y     official 4-1-2-0 (India not named)
#   t1 GA amendment 2024-06-01 totals     no rows           official 2-?-?-?
TEXTS = [
    F.text("u1", "ukraine", "es11", "2023-03-01"),
    F.text("s1", "gaza", "sc-gaza", "2024-03-01", body="SC", kind="draft", vetoed_by="USA"),
    F.text("u2", "ukraine", "es11", "2024-03-01"),
    F.text("u3", "ukraine", "es11", "2024-06-01", coverage="partial", complete_lists="YN"),
]
TOTALS_ONLY = F.text(
    "t1", "ukraine", "es11-amendments", "2024-06-01", kind="amendment", coverage="totals"
)
VOTES = {"u1": "YNAAYAY", "s1": "NYY.Y.A", "u2": "YNAXYAY", "u3": "YNAYY.Y"}
OFFICIAL = {
    "u1": (3, 1, 3, 0),
    "s1": (3, 1, 1, 0),
    "u2": (3, 1, 2, 1),
    "u3": (4, 1, 2, 0),
    "t1": (2, None, None, None),
}


@pytest.fixture
def world():
    return F.make_votes(TEXTS, VOTES)


@pytest.fixture
def catalog():
    return F.catalog_of(TEXTS + [TOTALS_ONLY], OFFICIAL)


def _row(df, **kw):
    sel = df
    for k, v in kw.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (kw, len(sel))
    return sel.iloc[0]


def test_counts_by_regional_group_with_shares_and_n(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    weog = _row(c, text_id="u1", scope="WEOG")
    # WEOG on u1: USA Y, FIN Y, DEU Y → 3 of 3 Yes, share 1.0, n = 3
    assert weog[["members", "Y", "N", "A", "X", "n"]].tolist() == [3, 3, 0, 0, 0, 3]
    assert weog["share_Y"] == 1.0 and weog["count_source"] == "country rows"
    asia = _row(c, text_id="u1", scope="Asia-Pacific")
    # Asia-Pacific on u1: CHN A, IND A → share of Abstain 2 / 2
    assert asia[["A", "share_A"]].tolist() == [2, 1.0]


def test_overall_row_takes_the_official_totals(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    u1 = _row(c, text_id="u1", scope="All members")
    assert u1[["Y", "N", "A", "X", "members"]].tolist() == [3, 1, 3, 0, 7]
    assert u1["count_source"] == "official totals"
    # without a catalogue the overall row counts the country rows
    c2 = tables.vote_counts(world)
    assert _row(c2, text_id="u1", scope="All members")[["Y", "A", "count_source"]].tolist() == [
        3,
        3,
        "country rows",
    ]


def test_partial_text_counts_only_its_complete_lists(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    asia = _row(c, text_id="u3", scope="Asia-Pacific")
    # u3 has complete Yes and No lists: Asia-Pacific (CHN, IND) has 0 Yes and 0 No — known;
    # its Abstain and Non-voting counts are unknown (CHN named A, IND not named), never zero.
    assert asia["Y"] == 0 and asia["N"] == 0
    assert pd.isna(asia["A"]) and pd.isna(asia["X"]) and pd.isna(asia["share_A"])
    assert asia["known_lists"] == "YN" and "U3" in asia["coverage_note"]
    # the overall row is complete from the official totals
    assert _row(c, text_id="u3", scope="All members")[["Y", "N", "A", "X"]].tolist() == [4, 1, 2, 0]


def test_totals_only_text_appears_in_the_overall_row_only(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    t1 = c[c["text_id"] == "t1"]
    assert t1["scope"].tolist() == ["All members"]
    assert t1["Y"].iloc[0] == 2 and pd.isna(t1["N"].iloc[0]) and pd.isna(t1["share_A"].iloc[0])
    assert "official totals only" in t1["coverage_note"].iloc[0]


def test_bloc_counts_use_membership_on_the_vote_date(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    # Egypt joins BRICS on 2024-01-01: 3 members on u1 (2023), 4 on u2 (2024)
    assert _row(c, text_id="u1", scope="BRICS")["members"] == 3
    b2 = _row(c, text_id="u2", scope="BRICS")
    assert b2["members"] == 4 and b2["X"] == 1  # Egypt's non-vote counts for BRICS in 2024
    # Security Council: only the council members of a bloc are counted (BRICS: RUS, CHN)
    assert _row(c, text_id="s1", scope="BRICS")[["members", "Y"]].tolist() == [2, 2]


def test_regional_groups_add_up_to_the_whole_on_full_texts(world, catalog):
    c = tables.vote_counts(world, catalog, F.GROUPS)
    for tid in ("u1", "u2", "s1"):
        reg = c[(c["text_id"] == tid) & (c["scope_type"] == "regional group")][list("YNAX")].sum()
        whole = _row(c, text_id=tid, scope="All members")[list("YNAX")]
        assert reg.tolist() == whole.tolist(), tid


def test_wide_table_marks_unknown_and_not_entitled(world):
    w = tables.vote_table(world, topic="ukraine").set_index("iso3")
    assert [c for c in w.columns if c in {"u1", "u2", "u3"}] == ["u1", "u2", "u3"]
    assert w.loc["IND", "u3"] == "?" and w.loc["EGY", "u2"] == "X"
    assert "U3" in w.loc["IND", "coverage_note"] and w.loc["USA", "coverage_note"] == ""
    mixed = tables.vote_table(world, texts=["u1", "s1"]).set_index("iso3")
    # Egypt was not on the Council for s1: blank, not unknown
    assert (
        mixed.loc["EGY", "s1"] == ""
        and mixed.loc["USA", "s1"] == "N"
        and mixed.loc["EGY", "u1"] == "A"
    )


def test_trend_across_a_series_by_date(world, catalog):
    tr = tables.count_trend(tables.vote_counts(world, catalog), "es11")
    assert tr["text_id"].tolist() == ["u1", "u2", "u3"]
    # u1 3-1-3-0 → u2 3-1-2-1 → u3 4-1-2-0
    assert tr["change_Y"].tolist()[1:] == [0, 1]
    assert tr["change_A"].tolist()[1:] == [-1, 0]
    assert tr["change_X"].tolist()[1:] == [1, -1]
    assert pd.isna(tr["change_Y"].iloc[0])


# =============================================================================================
# Shipped data
# =============================================================================================


@pytest.fixture(scope="module")
def shipped_inputs():
    return inputs.load_inputs(Paths.default())


@pytest.fixture(scope="module")
def counts(shipped_inputs):
    return tables.vote_counts(
        shipped_inputs.votes,
        shipped_inputs.catalog,
        shipped_inputs.groups,
        electorate=shipped_inputs.electorate,
    )


_OFF = {
    "Y": "official_yes",
    "N": "official_no",
    "A": "official_abstain",
    "X": "official_non_voting",
}


def test_shipped_full_texts_regional_counts_equal_official_totals(shipped_inputs, counts):
    cat = shipped_inputs.catalog.set_index("id")
    for tid in cat.index[cat["coverage"] == "full"]:
        reg = counts[(counts["text_id"] == tid) & (counts["scope_type"] == "regional group")]
        for c in "YNAX":
            assert reg[c].sum() == cat.loc[tid, _OFF[c]], (tid, c)
        assert reg["members"].sum() == cat.loc[tid, "members"], tid


def test_shipped_partial_texts_count_only_complete_lists(shipped_inputs, counts):
    cat = shipped_inputs.catalog.set_index("id")
    for tid in cat.index[cat["coverage"] == "partial"]:
        reg = counts[(counts["text_id"] == tid) & (counts["scope_type"] == "regional group")]
        for c in "YNAX":
            if c in cat.loc[tid, "complete_lists"]:
                assert reg[c].notna().all() and reg[c].sum() == cat.loc[tid, _OFF[c]], (tid, c)
            elif len(cat.loc[tid, "complete_lists"]) < 3:
                assert reg[c].isna().all(), (tid, c)
        assert reg["coverage_note"].str.contains("unknown").all()


def test_shipped_totals_only_texts_show_only_official_totals(shipped_inputs, counts):
    cat = shipped_inputs.catalog.set_index("id")
    for tid in cat.index[cat["coverage"] == "totals"]:
        rows = counts[counts["text_id"] == tid]
        assert rows["scope_type"].tolist() == ["all"], tid
        for c in "YNAX":
            off = cat.loc[tid, _OFF[c]]
            assert (pd.isna(rows[c].iloc[0]) and pd.isna(off)) or rows[c].iloc[0] == off, (tid, c)


def test_shipped_bloc_membership_dated_egypt_brics_finland_nato(shipped_inputs, counts):
    cat = shipped_inputs.catalog.set_index("id")
    b = ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    sm = membership.scope_membership(b, shipped_inputs.groups, ["BRICS", "NATO"])

    def members(tid, bloc):
        return set(sm[(sm["text_id"] == tid) & (sm["scope"] == bloc)]["iso3"])

    # ES-11/6 (Feb 2023): Egypt not yet BRICS, Finland not yet NATO; ES-10/23 (May 2024): both in
    assert cat.loc["ga-es11-06", "date"] < pd.Timestamp("2023-04-04")
    assert "EGY" not in members("ga-es11-06", "BRICS") and "FIN" not in members(
        "ga-es11-06", "NATO"
    )
    assert "EGY" in members("ga-es10-23", "BRICS") and "FIN" in members("ga-es10-23", "NATO")
    assert "SAU" not in members("ga-es10-23", "BRICS")  # status unclear: never counted
    for tid in ("ga-es11-06", "ga-es10-23"):
        for bloc in ("BRICS", "NATO"):
            expected = len(F.members_on(shipped_inputs.groups, bloc, cat.loc[tid, "date"]))
            assert _row(counts, text_id=tid, scope=bloc)["members"] == expected


def test_shipped_trend_follows_the_official_totals(shipped_inputs, counts):
    cat = shipped_inputs.catalog.set_index("id")
    tr = tables.count_trend(counts, "es11")
    assert list(tr["date"]) == sorted(tr["date"])
    for r in tr.itertuples():
        assert (
            r.Y == cat.loc[r.text_id, "official_yes"]
            and r.A == cat.loc[r.text_id, "official_abstain"]
        )
    assert (tr["change_Y"].iloc[1:] == tr["Y"].diff().iloc[1:]).all()


def test_shipped_wide_table_agrees_with_the_rows(shipped_inputs):
    w = tables.vote_table(
        shipped_inputs.votes, topic="gaza", electorate=shipped_inputs.electorate
    ).set_index("iso3")
    v = shipped_inputs.votes[
        (shipped_inputs.votes["topic"] == "gaza") & (shipped_inputs.votes["body"] == "GA")
    ]
    for r in v.sample(200, random_state=1).itertuples():
        assert w.loc[r.iso3, r.text_id] == r.vote
    unknown_cells = int(
        (w.drop(columns=["display_name", "group_short", "coverage_note"]) == "?").sum().sum()
    )
    b = ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    b = b[(b["topic"] == "gaza") & (b["body"] == "GA")]
    assert unknown_cells == int(b["vote"].isna().sum())
