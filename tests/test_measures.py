"""The definitions of DESIGN §4 and the abstention comparison, as a specification.

Tiny hand-built worlds (tests/fixtures/analysis/frames.py) with the expected values worked out
in comments; then the shipped data, where every denominator must reconcile with the vote
tables (expectations derived from the data, never typed).
"""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.analysis import frames as F  # noqa: E402  (tests/ is on sys.path)

from unga_brief.analysis import (
    abstention,
    ballot_frame,
    definitions,
    hedging,
    inputs,
    membership,
    tables,
    text_selection,
)
from unga_brief.core import vocab
from unga_brief.core.errors import DataError, ParameterError, UnknownText
from unga_brief.core.paths import Paths
from unga_brief.data import catalog, electorate

# ---------------------------------------------------------------------------------------------
# The small world. States in order: USA RUS CHN EGY FIN IND DEU
#   u1 es11 2023-03-01 full           Y N A A Y A Y
#   g1 es10 2023-11-01 full           N Y Y Y A Y A
#   u2 es11 2024-03-01 full           Y N A X Y A Y     (Egypt non-voting)
#   g2 es10 2024-05-01 full           N Y N Y Y Y A
#   u3 es11 2024-06-01 partial (Y,N)  Y N A Y Y . Y     (India not named: Abstain or Non-voting)
# ---------------------------------------------------------------------------------------------
TEXTS = [
    F.text("u1", "ukraine", "es11", "2023-03-01"),
    F.text("g1", "gaza", "es10", "2023-11-01"),
    F.text("u2", "ukraine", "es11", "2024-03-01"),
    F.text("g2", "gaza", "es10", "2024-05-01"),
    F.text("u3", "ukraine", "es11", "2024-06-01", coverage="partial", complete_lists="YN"),
]
VOTES = {"u1": "YNAAYAY", "g1": "NYYYAYA", "u2": "YNAXYAY", "g2": "NYNYYYA", "u3": "YNAYY.Y"}


@pytest.fixture
def world():
    return F.make_votes(TEXTS, VOTES)


def _row(df, **kw):
    sel = df
    for k, v in kw.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (kw, len(sel))
    return sel.iloc[0]


# --- definitions ------------------------------------------------------------------------------


def test_abstention_rate_is_abstain_over_present_non_voting_apart():
    # 2 Yes, 1 No, 1 Abstain present (a fifth member did not vote): 1 / (2 + 1 + 1) = 0.25
    assert definitions.abstention_rate(2, 1, 1) == pytest.approx(0.25)
    assert pd.isna(definitions.abstention_rate(0, 0, 0))


def test_state_2017_method_reproduces_the_published_checks():
    # (80 + 0.5 × 9) / (80 + 1 + 9) = 84.5 / 90 = 0.9389 → 94 %
    assert round(100 * definitions.coincidence_from_counts(80, 1, 9)) == 94
    # (53 + 0.5 × 23) / (53 + 17 + 23) = 64.5 / 93 = 0.6935 → 69 %
    assert round(100 * definitions.coincidence_from_counts(53, 17, 23)) == 69


def test_state_2017_method_from_votes_counts_both_abstaining_as_same_and_drops_absences():
    # 70 Yes-Yes + 10 Abstain-Abstain = 80 same; 1 Yes-No opposite; 9 Abstain-Yes partial;
    # 3 absences (excluded) → 84.5 / 90 → 94 %, n = 90
    us = ["Y"] * 70 + ["A"] * 10 + ["Y"] + ["A"] * 9 + ["Y"] * 3
    other = ["Y"] * 70 + ["A"] * 10 + ["N"] + ["Y"] * 9 + ["X"] * 3
    r = definitions.coincidence_2017(other, us)
    assert (r["same"], r["opposite"], r["partial"], r["excluded"], r["n"]) == (80, 1, 9, 3, 90)
    assert round(100 * r["coincidence"]) == 94
    assert r["method"] == "state_2017"


def test_the_three_state_department_methods_differ_on_one_case():
    # pairs: Y-Y identical, Y-N opposite, N-N identical, A-Y partial, Y-X absence
    a = ["Y", "Y", "N", "A", "Y"]
    b = ["Y", "N", "N", "Y", "X"]
    vo, s17, s21 = (
        definitions.coincidence_votes_only(a, b),
        definitions.coincidence_2017(a, b),
        definitions.coincidence_2021(a, b),
    )
    # votes only: 2 identical / (2 + 1 opposite) = 0.667, n = 3 (abstention and absence excluded)
    assert vo["coincidence"] == pytest.approx(2 / 3) and vo["n"] == 3 and vo["excluded"] == 2
    # 2017: (2 + 0.5 × 1) / (2 + 1 + 1) = 0.625, n = 4 (absence excluded)
    assert s17["coincidence"] == pytest.approx(0.625) and s17["n"] == 4 and s17["excluded"] == 1
    # 2021: the absence scores like an abstention: (2 + 0.5 × 2) / 5 = 0.6, n = 5
    assert s21["coincidence"] == pytest.approx(0.6) and s21["n"] == 5 and s21["excluded"] == 0
    assert [vo["method"], s17["method"], s21["method"]] == list(vocab.COINCIDENCE_METHODS)


def test_unknown_votes_are_left_out_of_pairwise_measures():
    # A-A (same), ?-Y (unknown: left out), X-A (absence)
    a, b = ["A", None, "X"], ["A", "Y", "A"]
    assert definitions.coincidence_2017(a, b)[
        ["coincidence", "n", "unknown", "excluded"]
    ].tolist() == [
        1.0,
        1,
        1,
        1,
    ]
    # 2021: X against A is scored as both abstaining = same → 2 / 2
    assert definitions.coincidence_2021(a, b)[["coincidence", "n", "unknown"]].tolist() == [
        1.0,
        2,
        1,
    ]
    # votes only: nothing left to count → NaN, n = 0
    r = definitions.coincidence_votes_only(a, b)
    assert pd.isna(r["coincidence"]) and r["n"] == 0


def test_agreement_index_scores_yes_1_abstain_half_no_0_over_texts_both_voted():
    # (Y,Y) = 1, (A,Y) = 0.5, (N,Y) = 0; (X,Y) and (Y,?) left out → 1.5 / 3 = 0.5, n = 3
    r = definitions.agreement_index(["Y", "A", "N", "X", "Y"], ["Y", "Y", "Y", "Y", None])
    assert r["agreement"] == pytest.approx(0.5) and r["n"] == 3


def test_switch_kinds_separate_non_voting():
    assert definitions.switch_kind("Y", "A") == "vote change"
    assert definitions.switch_kind("A", "X") == "to non-voting"
    assert definitions.switch_kind("X", "N") == "from non-voting"
    assert definitions.switch_kind("Y", "Y") is None
    assert definitions.switch_kind("Y", None) is None


def test_definitions_are_the_docstrings_quoted_verbatim():
    d = definitions.definitions()
    assert {
        "Abstention rate",
        "Coincidence (votes only, until 2016)",
        "Coincidence (2017–2020 method)",
        "Coincidence (2021 method)",
        "Agreement index",
        "Switch",
        "Hedger",
        "US isolation",
    } <= set(d["term"])
    row = _row(d, term="Abstention rate")
    assert row["definition"] == " ".join(definitions.abstention_rate.__doc__.split())
    assert d["definition"].str.len().min() > 80


# --- known votes ------------------------------------------------------------------------------


def test_unnamed_state_on_partial_text_is_unknown_not_zero(world):
    b = ballot_frame.ballots(world)
    ind = _row(b, text_id="u3", iso3="IND")
    # u3 has complete Yes and No lists: India, not named, abstained or did not vote
    assert pd.isna(ind["vote"]) and ind["possible"] == "AX" and ind["basis"] == "unknown"
    assert _row(b, text_id="u3", iso3="EGY")["vote"] == "Y"


def test_three_complete_lists_name_the_fourth_vote():
    texts = [
        F.text("u1", "ukraine", "es11", "2023-03-01"),
        F.text("u9", "ukraine", "es11", "2023-04-01", coverage="partial", complete_lists="YNA"),
    ]
    b = ballot_frame.ballots(F.make_votes(texts, {"u1": "YNAAYAY", "u9": "YNA.YAY"}))
    egy = _row(b, text_id="u9", iso3="EGY")
    assert egy["vote"] == "X" and egy["basis"] == "inferred"


def test_a_row_for_a_state_not_entitled_to_vote_is_an_error(world):
    el = electorate.electorate_from_votes(world)
    with pytest.raises(DataError, match="not entitled"):
        ballot_frame.ballots(world, electorate=el[el["iso3"] != "DEU"])


# --- membership on the vote's date -----------------------------------------------------------


def test_membership_is_judged_on_the_vote_date():
    texts = pd.DataFrame(
        {"id": ["t2023", "t2024"], "date": pd.to_datetime(["2023-03-01", "2024-03-01"])}
    )
    bm = membership.bloc_membership(F.GROUPS, texts, ["BRICS", "NATO"])
    brics = lambda t: set(bm[(bm.text_id == t) & (bm.group == "BRICS")].iso3)  # noqa: E731
    nato = lambda t: set(bm[(bm.text_id == t) & (bm.group == "NATO")].iso3)  # noqa: E731
    assert "EGY" not in brics("t2023") and "EGY" in brics("t2024")  # Egypt joins 2024-01-01
    assert "FIN" not in nato("t2023") and "FIN" in nato("t2024")  # Finland joins 2023-04-04


def test_unknown_group_is_a_parameter_error():
    with pytest.raises(ParameterError, match="QUAD"):
        membership.bloc_membership(
            F.GROUPS, pd.DataFrame({"id": ["t"], "date": [pd.Timestamp("2024-01-01")]}), ["QUAD"]
        )


def test_vectorised_membership_equals_members_group_membership(shipped_inputs):
    some = shipped_inputs.catalog[
        shipped_inputs.catalog["id"].isin(["ga-es11-06", "ga-es10-21", "ga-es10-23", "ga-80-223"])
    ]
    names = ["BRICS", "NATO", "EU", "AU"]
    ours = membership.bloc_membership(shipped_inputs.groups, some, names).sort_values(
        ["text_id", "group", "iso3"], ignore_index=True
    )
    theirs = F.group_membership(shipped_inputs.groups, some, names).sort_values(
        ["text_id", "group", "iso3"], ignore_index=True
    )
    pd.testing.assert_frame_equal(ours, theirs)


# --- abstention rates ---------------------------------------------------------------------------


def test_group_abstention_rates_on_a_full_text(world):
    r = abstention.group_abstention_rates(world, F.GROUPS, texts=["u2"])
    # u2: Y = USA FIN DEU (3), N = RUS (1), A = CHN IND (2), X = EGY (1) → 2 / 6, non-voting 1
    allm = _row(r, text_id="u2", scope="All members")
    assert (allm["present"], allm["non_voting"], allm["n"]) == (6, 1, 6)
    assert allm["abstention_rate"] == pytest.approx(2 / 6)
    # Asia-Pacific: CHN A, IND A → 2 / 2
    assert _row(r, text_id="u2", scope="Asia-Pacific")["abstention_rate"] == pytest.approx(1.0)
    # African: Egypt did not vote → no one present, rate undefined, non-voting reported
    afr = _row(r, text_id="u2", scope="African")
    assert afr["n"] == 0 and pd.isna(afr["abstention_rate"]) and afr["non_voting"] == 1
    # BRICS on 2024-03-01 includes Egypt: RUS N, CHN A, IND A, EGY X → 2 / 3, members 4
    brics = _row(r, text_id="u2", scope="BRICS")
    assert brics["members"] == 4 and brics["abstention_rate"] == pytest.approx(2 / 3)


def test_bloc_counts_follow_the_vote_date(world):
    r = abstention.group_abstention_rates(world, F.GROUPS, texts=["u1", "u2"])
    # BRICS on u1 (2023): RUS CHN IND only; NATO on u1: USA DEU (Finland joins 2023-04-04)
    assert _row(r, text_id="u1", scope="BRICS")["members"] == 3
    assert _row(r, text_id="u1", scope="NATO")["members"] == 2
    assert _row(r, text_id="u2", scope="NATO")["members"] == 3


def test_partial_text_is_left_out_of_abstention_rates_and_named(world):
    r = abstention.group_abstention_rates(world, F.GROUPS, topic="ukraine")
    assert set(r["text_id"]) == {"u1", "u2"}
    note = r["coverage_note"].iloc[0]
    assert "Left out" in note and "U3" in note and "Yes, No" in note


def test_abstention_by_topic_pools_known_texts_side_by_side(world):
    r = abstention.abstention_by_topic(
        world, F.GROUPS, ukraine_texts=["u1", "u2", "u3"], gaza_texts=["g1", "g2"]
    )
    allm = _row(r, scope="All members")
    # Ukraine (u3 left out): u1 A = CHN EGY IND (3 of 7 present), u2 A = 2 of 6 → 5 / 13
    assert (allm["ukraine_texts"], allm["ukraine_A"], allm["ukraine_n"]) == (2, 5, 13)
    assert allm["ukraine_non_voting"] == 1
    # Gaza: g1 A = FIN DEU (2 of 7), g2 A = DEU (1 of 7) → 3 / 14
    assert allm["gaza_rate"] == pytest.approx(3 / 14) and allm["gaza_n"] == 14
    assert allm["difference"] == pytest.approx(5 / 13 - 3 / 14)
    assert "U3" in allm["coverage_note"]


# --- profiles, hedgers, switches ----------------------------------------------------------------


def test_profiles_count_known_votes_and_non_voting_apart(world):
    p = hedging.country_profiles(world, ukraine_texts=["u1", "u2", "u3"], gaza_texts=["g1", "g2"])
    ind = _row(p, iso3="IND", topic="ukraine")
    # India: u1 A, u2 A, u3 unknown → 2 of 2 known present votes are Abstain
    assert (ind["texts"], ind["known"], ind["unknown"], ind["A"], ind["present"]) == (3, 2, 1, 2, 2)
    assert ind["rate_A"] == 1.0 and ind["profile"] == "mostly Abstain"
    egy = _row(p, iso3="EGY", topic="ukraine")
    # Egypt: u1 A, u2 X, u3 Y → present 2 (A, Y), X counted apart → "mixed", rate_X = 1 / 3
    assert (egy["present"], egy["X"], egy["profile"]) == (2, 1, "mixed")
    assert egy["rate_X"] == pytest.approx(1 / 3)
    assert "U3" in ind["coverage_note"]


def test_hedgers_and_the_reverse_group(world):
    p = hedging.country_profiles(world, ukraine_texts=["u1", "u2", "u3"], gaza_texts=["g1", "g2"])
    h = hedging.hedgers(p)
    # India abstains on 2 of 2 known Ukraine votes, Yes on 2 of 2 Gaza → hedger.
    # Egypt: Abstain on 1 of 2 present (X apart) → not a majority. China: Gaza Y 1 of 2 → no.
    # Germany: Yes 3 of 3 on Ukraine, Abstain 2 of 2 on Gaza → reverse.
    assert h[h["group"] == "hedger"]["iso3"].tolist() == ["IND"]
    assert h[h["group"] == "reverse"]["iso3"].tolist() == ["DEU"]
    assert _row(h, iso3="IND")[
        ["ukraine_A", "ukraine_present", "gaza_Y", "gaza_present"]
    ].tolist() == [2, 2, 2, 2]


def test_profile_crosstab_names_the_states_in_each_cell(world):
    p = hedging.country_profiles(world, ukraine_texts=["u1", "u2", "u3"], gaza_texts=["g1", "g2"])
    x = hedging.profile_crosstab(p)
    assert _row(x, ukraine_profile="mostly Abstain", gaza_profile="mostly Yes")["names"] == "India"
    assert (
        _row(x, ukraine_profile="mostly Yes", gaza_profile="mostly No")["names"] == "United States"
    )
    assert _row(x, ukraine_profile="mostly Abstain", gaza_profile="mixed")["names"] == "China"
    assert x["states"].sum() == len(F.STATES)


def test_switches_only_within_a_series(world):
    s = hedging.switches(world, series=["es11", "es10"])
    got = {(r.from_text, r.to_text, r.iso3, r.change, r.kind) for r in s.itertuples()}
    assert got == {
        ("u1", "u2", "EGY", "A→X", "to non-voting"),
        ("u2", "u3", "EGY", "X→Y", "from non-voting"),
        ("g1", "g2", "CHN", "Y→N", "vote change"),
        ("g1", "g2", "FIN", "A→Y", "vote change"),
    }
    # g1 (Nov 2023) is followed in time by u2 (Mar 2024), but the US's N → Y there is no switch
    assert not ((s["from_text"] == "g1") & (s["to_text"] == "u2")).any()
    # India's vote on u3 is unknown: not compared, and the note says so
    assert "1 states not compared" in s["coverage_note"].iloc[0]


def test_switch_order_breaks_date_ties_by_symbol():
    texts = [
        F.text("b", "ukraine", "es11", "2025-02-24", symbol="A/RES/ES-11/10"),
        F.text("a", "ukraine", "es11", "2025-02-24", symbol="A/RES/ES-11/9"),
        F.text("c", "ukraine", "es11", "2025-12-01", symbol="A/RES/ES-11/11"),
    ]
    v = F.make_votes(texts, {"b": "YNAAYAY", "a": "NNAAYAY", "c": "NNAAYAY"})
    s = hedging.switches(v, series=["es11"])
    # ES-11/9 then ES-11/10 (natural order) then ES-11/11: the US goes N → Y → N
    assert s[["from_text", "to_text", "iso3", "change"]].values.tolist() == [
        ["a", "b", "USA", "N→Y"],
        ["b", "c", "USA", "Y→N"],
    ]
    assert hedging.switch_summary(s)["states"].tolist() == [1, 1]


def test_unknown_series_or_text_is_rejected(world):
    with pytest.raises(ParameterError):
        hedging.switches(world, series=["es99"])
    with pytest.raises(UnknownText):
        hedging.country_profiles(world, ukraine_texts=["nope"])
    with pytest.raises(ParameterError):
        hedging.country_profiles(world, window=("2030-01-01", None))


# --- firm votes only ----------------------------------------------------------------------------


def test_firm_only_sets_aside_derived_rows_and_their_lists(world):
    # u2's Abstain and Non-voting rows are derived: with firm votes only, the A and X lists of
    # u2 are no longer complete, so u2 leaves the abstention rates and India's and Egypt's votes
    # on it become unknown.
    v = F.make_votes(TEXTS, VOTES, bases={"u2": "rrddrdr"})
    r_all = abstention.group_abstention_rates(v, F.GROUPS, topic="ukraine")
    r_firm = abstention.group_abstention_rates(v, F.GROUPS, topic="ukraine", firm_only=True)
    assert "u2" in set(r_all["text_id"]) and "u2" not in set(r_firm["text_id"])
    assert (
        "derived" in r_firm["coverage_note"].iloc[0]
        and "Firm votes only" in r_firm["coverage_note"].iloc[0]
    )
    b = ballot_frame.ballots(v, firm_only=True)
    assert b.loc[b["text_id"] == "u2", "known_lists"].iloc[0] == "YN"
    assert pd.isna(_row(b, text_id="u2", iso3="IND")["vote"])
    assert set(b["basis"].dropna()) <= {"record", "list", "inferred", "unknown"}


# =============================================================================================
# Shipped data: every denominator reconciles with the vote tables
# =============================================================================================


@pytest.fixture(scope="module")
def shipped_inputs():
    return inputs.load_inputs(Paths.default())


@pytest.fixture(scope="module")
def shipped_counts(shipped_inputs):
    return tables.vote_counts(shipped_inputs.votes, shipped_inputs.catalog, shipped_inputs.groups)


def _full_ids(shipped_inputs, ids):
    st = ballot_frame.text_status(
        ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    )
    full = set(st.loc[(st["known_lists"] == "YNAX") & (st["unknown"] == 0), "text_id"])
    return [i for i in ids if i in full]


def test_shipped_abstention_denominators_reconcile_with_vote_tables(shipped_inputs, shipped_counts):
    r = abstention.group_abstention_rates(
        shipped_inputs.votes,
        shipped_inputs.groups,
        topic="ukraine",
        electorate=shipped_inputs.electorate,
    )
    merged = r.merge(shipped_counts, on=["text_id", "scope_type", "scope"], suffixes=("", "_t"))
    assert len(merged) == len(r)
    assert (merged["present"] == merged["Y_t"] + merged["N_t"] + merged["A_t"]).all()
    assert (merged["non_voting"] == merged["X_t"]).all()
    # the regional groups partition the membership: their present votes add up to the whole
    reg = r[r["scope_type"] == "regional group"].groupby("text_id")["present"].sum()
    allm = r[r["scope_type"] == "all"].set_index("text_id")["present"]
    assert reg.sort_index().tolist() == allm.sort_index().tolist()


def _series_texts(inputs, series: str) -> list[str]:
    """The texts of one series, ordered as the measures order them."""
    return [
        i
        for i in text_selection.topic_texts(inputs.votes)
        if i in set(inputs.catalog.loc[inputs.catalog["series"] == series, "id"])
    ]


def test_shipped_partial_texts_leave_abstention_rates_but_answer_yes_no(shipped_inputs):
    cat = shipped_inputs.catalog.set_index("id")
    partial = [
        i
        for i in text_selection.topic_texts(shipped_inputs.votes, "ukraine")
        if cat.loc[i, "coverage"] == "partial"
    ]
    assert partial, "the shipped data has partial Ukraine texts"
    r = abstention.group_abstention_rates(
        shipped_inputs.votes,
        shipped_inputs.groups,
        topic="ukraine",
        electorate=shipped_inputs.electorate,
    )
    assert not set(partial) & set(r["text_id"])
    for i in partial:
        assert (
            catalog.text_label(cat.loc[i].to_dict() | {"text_id": i}) in r["coverage_note"].iloc[0]
        )
    # a text with a complete Yes list answers "did this state vote Yes?" for every state
    yes_complete = [i for i in partial if "Y" in cat.loc[i, "complete_lists"]]
    for i in yes_complete:
        p = hedging.country_profiles(
            shipped_inputs.votes,
            ukraine_texts=[i],
            gaza_texts=text_selection.topic_texts(shipped_inputs.votes, "gaza")[:1],
            electorate=shipped_inputs.electorate,
        )
        assert p.loc[p["topic"] == "ukraine", "Y"].sum() == cat.loc[i, "official_yes"]


def test_shipped_profiles_reconcile_with_official_totals(shipped_inputs):
    u = _full_ids(shipped_inputs, _series_texts(shipped_inputs, "es11"))
    g = _full_ids(shipped_inputs, _series_texts(shipped_inputs, "es10"))
    p = hedging.country_profiles(
        shipped_inputs.votes, ukraine_texts=u, gaza_texts=g, electorate=shipped_inputs.electorate
    )
    cat = shipped_inputs.catalog.set_index("id")
    for topic, ids in (("ukraine", u), ("gaza", g)):
        pt = p[p["topic"] == topic]
        for c, col in zip(
            "YNAX",
            ["official_yes", "official_no", "official_abstain", "official_non_voting"],
            strict=True,
        ):
            assert pt[c].sum() == cat.loc[ids, col].sum(), (topic, c)
        assert pt["unknown"].sum() == 0


def test_shipped_hedgers_are_the_abstain_yes_cell_of_the_crosstab(shipped_inputs):
    p = hedging.country_profiles(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    h = hedging.hedgers(p)
    x = hedging.profile_crosstab(p)
    cell = x[(x["ukraine_profile"] == "mostly Abstain") & (x["gaza_profile"] == "mostly Yes")]
    assert sorted(h.loc[h["group"] == "hedger", "iso3"]) == sorted(cell["iso3"].iloc[0].split())
    assert x["states"].sum() == p["iso3"].nunique()
    # every hedger really abstained on more than half of its known present Ukraine votes
    hh = h[h["group"] == "hedger"]
    assert (2 * hh["ukraine_A"] > hh["ukraine_present"]).all() and (
        2 * hh["gaza_Y"] > hh["gaza_present"]
    ).all()


def test_shipped_switches_reconcile_with_the_vote_table(shipped_inputs):
    s = hedging.switches(
        shipped_inputs.votes, series=["es10"], electorate=shipped_inputs.electorate
    )
    ids = _series_texts(shipped_inputs, "es10")
    w = tables.vote_table(
        shipped_inputs.votes, texts=ids, electorate=shipped_inputs.electorate
    ).set_index("iso3")
    for a, b in zip(ids, ids[1:], strict=False):
        differ = int((w[a] != w[b]).sum())
        assert len(s[(s["from_text"] == a) & (s["to_text"] == b)]) == differ, (a, b)


def test_shipped_firm_only_uses_only_record_and_list_rows(shipped_inputs):
    b = ballot_frame.ballots(
        shipped_inputs.votes, electorate=shipped_inputs.electorate, firm_only=True
    )
    assert set(b["basis"].dropna()) <= {"record", "list", "inferred", "unknown"}
    derived_only = shipped_inputs.catalog.loc[
        shipped_inputs.catalog["basis_mix"].str.fullmatch(r"derived:\d+"), "id"
    ]
    for i in derived_only:
        assert b.loc[b["text_id"] == i, "vote"].isna().all(), i
