"""US posture: its votes and vetoes, isolation, coincidence, agreement, and the 2026 amendment."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.analysis import frames as F  # noqa: E402  (tests/ is on sys.path)

from unga_brief.analysis import (
    abstention,
    ballot_frame,
    definitions,
    inputs,
    posture,
    text_selection,
)
from unga_brief.core import vocab
from unga_brief.core.errors import ParameterError, UnknownCountry, UnknownText
from unga_brief.core.paths import Paths

#: The amendment voted on the 2026 text (a catalogue id; its figures come from the data).
AMENDMENT_2026 = "ga-amend-2026-02-24-usa"

# States in order: USA RUS CHN EGY FIN IND DEU
#   u1 ukraine GA 2023-03-01 full            Y N A Y Y A Y
#   g1 gaza    GA 2023-11-01 full            N Y Y Y A Y A
#   s1 gaza    SC 2024-03-01 full (5 seats)  N Y Y . Y . A     vetoed by the US
#   s2 ukraine SC 2024-04-01 full (5 seats)  Y N A . Y . Y     vetoed by Russia
#   u2 ukraine GA 2024-03-01 full            Y N A X Y A Y
#   g2 gaza    GA 2024-05-01 full            N Y N Y Y Y A
#   u4 ukraine GA 2025-02-24 full            N N A A A A Y     (the US votes No with Russia)
#   a1 ukraine GA 2025-02-24 amendment, partial, no complete list: US Y, RUS Y named; official 3-2-1-1
TEXTS = [
    F.text("u1", "ukraine", "es11", "2023-03-01"),
    F.text("g1", "gaza", "es10", "2023-11-01"),
    F.text("s1", "gaza", "sc-gaza", "2024-03-01", body="SC", kind="draft", vetoed_by="USA"),
    F.text("u2", "ukraine", "es11", "2024-03-01"),
    F.text("s2", "ukraine", "sc-ukraine", "2024-04-01", body="SC", kind="draft", vetoed_by="RUS"),
    F.text("g2", "gaza", "es10", "2024-05-01"),
    F.text("u4", "ukraine", "es11", "2025-02-24"),
    F.text(
        "a1",
        "ukraine",
        "es11-amendments",
        "2025-02-24",
        kind="amendment",
        coverage="partial",
        complete_lists="",
    ),
]
VOTES = {
    "u1": "YNAYYAY",
    "g1": "NYYYAYA",
    "s1": "NYY.Y.A",
    "u2": "YNAXYAY",
    "s2": "YNA.Y.Y",
    "g2": "NYNYYYA",
    "u4": "NNAAAAY",
    "a1": "YY.....",
}
OFFICIAL = {
    "u1": (4, 1, 2, 0),
    "g1": (4, 1, 2, 0),
    "s1": (3, 1, 1, 0),
    "u2": (3, 1, 2, 1),
    "s2": (3, 1, 1, 0),
    "g2": (5, 2, 0, 0),
    "u4": (1, 2, 4, 0),
    "a1": (3, 2, 1, 1),
}


@pytest.fixture
def world():
    return F.make_votes(TEXTS, VOTES)


@pytest.fixture
def catalog():
    return F.catalog_of(TEXTS, OFFICIAL)


def _row(df, **kw):
    sel = df
    for k, v in kw.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, (kw, len(sel))
    return sel.iloc[0]


def test_us_vote_on_every_text_with_vetoes_marked(world):
    u = posture.us_votes(world)
    assert u["text_id"].tolist() == [
        "u1",
        "g1",
        "s1",
        "u2",
        "s2",
        "g2",
        "a1",
        "u4",
    ]  # date, then symbol
    assert _row(u, text_id="s1")[["us_vote", "us_veto", "vetoed"]].tolist() == ["N", True, True]
    assert _row(u, text_id="s2")[["us_vote", "us_veto", "vetoed"]].tolist() == ["Y", False, True]
    assert not _row(u, text_id="u4")["vetoed"]


def test_us_isolation_counts_other_states_voting_alike(world, catalog):
    iso = posture.us_isolation(world, catalog)
    # u1: US Y; FIN, DEU and EGY also Y → 3 of 6 others
    assert _row(iso, text_id="u1")[["same_as_us", "others", "exact"]].tolist() == [3, 6, True]
    # g1: US N; nobody else → 0; u4: US N with Russia → 1
    assert _row(iso, text_id="g1")["same_as_us"] == 0 and _row(iso, text_id="u4")["same_as_us"] == 1
    # a1 is partial with no complete list: 1 other named (Russia) → at least 1; the official
    # Yes total (3) minus the US gives the exact count 2
    a1 = _row(iso, text_id="a1")
    assert a1[["same_as_us_at_least", "same_as_us", "count_source"]].tolist() == [
        1,
        2,
        "official totals",
    ]
    bare = _row(posture.us_isolation(world), text_id="a1")
    assert (
        pd.isna(bare["same_as_us"]) and not bare["exact"] and "lower bound" in bare["coverage_note"]
    )


def test_coincidence_with_us_by_topic_under_the_three_methods(world):
    c = posture.coincidence_with_us(world, by=("topic",))
    # Default texts: GA resolutions from 2022 (a1, an amendment, and the SC texts are not counted).
    # Egypt on Ukraine: u1 Y-Y identical, u2 X-Y absence, u4 A-N partial
    egy = c[(c["iso3"] == "EGY") & (c["topic"] == "ukraine")].set_index("method")
    # votes only: 1 / 1 (abstention and absence excluded)
    assert egy.loc["votes_only", ["coincidence", "n", "excluded"]].tolist() == [1.0, 1, 2]
    # 2017: (1 + 0.5 × 1) / 2 = 0.75, the absence excluded
    assert egy.loc["state_2017", ["coincidence", "n", "excluded"]].tolist() == [0.75, 2, 1]
    # 2021: the absence scored 0.5: (1 + 0.5 × 2) / 3 = 0.667
    assert (
        egy.loc["state_2021", "coincidence"] == pytest.approx(2 / 3)
        and egy.loc["state_2021", "n"] == 3
    )
    # Russia on Ukraine: u1 Y-N, u2 Y-N opposite, u4 N-N identical → 1 / 3 under every method
    rus = c[(c["iso3"] == "RUS") & (c["topic"] == "ukraine")]
    assert rus["coincidence"].round(4).tolist() == [round(1 / 3, 4)] * 3 and (rus["n"] == 3).all()
    assert "USA" not in set(c["iso3"])
    assert (
        set(c["method"]) == set(vocab.COINCIDENCE_METHODS)
        and c["coverage_note"].str.len().min() > 0
    )


def test_coincidence_by_year_and_a_single_method(world):
    c = posture.coincidence_with_us(world, methods=["state_2017"], by=("year",))
    # Russia 2023: u1 Y-N, g1 N-Y → 0 / 2; 2025: u4 N-N → 1 / 1
    rus = c[c["iso3"] == "RUS"].set_index("year")
    assert rus.loc[2023, ["coincidence", "n"]].tolist() == [0.0, 2]
    assert rus.loc[2025, ["coincidence", "n"]].tolist() == [1.0, 1]
    with pytest.raises(ParameterError):
        posture.coincidence_with_us(world, methods=["state_1999"])
    with pytest.raises(ParameterError):
        posture.coincidence_with_us(world, by=("decade",))


def test_agreement_with_allies_uses_members_on_the_vote_date_without_the_us(world):
    a = posture.agreement_with_us(world, F.GROUPS, partners=["NATO", "RUS"], by=("topic",))
    nato_u = _row(a, partner="NATO", topic="ukraine")
    # NATO without the US: u1 (Mar 2023) DEU only: Y-Y = 1; u2: DEU 1, FIN 1; u4: DEU Y-N = 0,
    # FIN A-N = 0.5 → (1 + 2 + 0.5) / 5 pairs = 0.7
    assert nato_u[["agreement", "n", "texts", "members"]].tolist() == [0.7, 5, 3, 2]
    nato_g = _row(a, partner="NATO", topic="gaza")
    # g1 (Nov 2023, Finland in): DEU A-N 0.5, FIN A-N 0.5; g2: DEU 0.5, FIN Y-N 0 → 1.5 / 4
    assert nato_g[["agreement", "n"]].tolist() == [0.375, 4]
    # Russia on Ukraine: 0, 0, 1 → 1/3 over 3 texts
    assert _row(a, partner="RUS", topic="ukraine")["agreement"] == pytest.approx(1 / 3)
    with pytest.raises(UnknownCountry):
        posture.agreement_with_us(world, F.GROUPS, partners=["XYZ"])


def test_texts_where_the_us_voted_with_russia(world, catalog):
    w = posture.us_with_russia(world, catalog)
    # u4 (both No) and the amendment a1 (both Yes); s1, s2 and the rest differ
    assert w[["text_id", "vote"]].values.tolist() == [["a1", "Y"], ["u4", "N"]]
    assert (w["compared"] == len(TEXTS)).all()
    assert _row(w, text_id="u4")["same_as_us"] == 1


def test_amendment_positions_come_from_the_rows(world, catalog):
    a = posture.amendment_positions(world, "a1", catalog)
    assert a[a["backed"]]["iso3"].tolist() == ["RUS", "USA"]
    assert a["official"].tolist() == [3, 3]
    assert "Yes: 2 named of 3" in a["coverage_note"].iloc[0]
    with pytest.raises(UnknownText):
        posture.amendment_positions(world, "nope")


def test_firm_only_leaves_out_pairs_on_derived_rows(world):
    # On u4, Russia's No and Germany's Yes are derived: without them neither the Yes nor the No
    # list is complete, so Russia's vote is unknown (Yes or No). (Had only one list lost a row,
    # the three others would still name the missing vote.)
    v = F.make_votes(TEXTS, VOTES, bases={"u4": "rdrrrrd"})
    c = posture.coincidence_with_us(v, by=("topic",), firm_only=True, methods=["state_2017"])
    rus = _row(c, iso3="RUS", topic="ukraine")
    # u4 leaves the Russia pair: u1, u2 opposite → 0 / 2, one text unknown
    assert rus[["coincidence", "n", "unknown"]].tolist() == [0.0, 2, 1]
    assert "Firm votes only" in rus["coverage_note"]
    assert posture.us_with_russia(v, firm_only=True)["text_id"].tolist() == ["a1"]


# =============================================================================================
# Shipped data
# =============================================================================================


@pytest.fixture(scope="module")
def shipped_inputs():
    return inputs.load_inputs(Paths.default())


def test_shipped_named_methods_agree_with_the_table(shipped_inputs):
    c = posture.coincidence_with_us(
        shipped_inputs.votes, by=(), electorate=shipped_inputs.electorate
    )
    b = ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    ids = text_selection.topic_texts(b)
    v = b[b["text_id"].isin(ids)].pivot(index="text_id", columns="iso3", values="vote").reindex(ids)
    for iso3 in ("RUS", "CHN", "GBR", "IND"):
        for method, fn in definitions.COINCIDENCE_FUNCTIONS.items():
            expected = fn(v[iso3].astype(object), v["USA"].astype(object))
            got = _row(c, iso3=iso3, method=method)
            assert got["n"] == expected["n"]
            assert got["coincidence"] == pytest.approx(expected["coincidence"], nan_ok=True)


def test_shipped_coincidence_denominators_reconcile_with_isolation(shipped_inputs):
    c = posture.coincidence_with_us(
        shipped_inputs.votes, by=(), methods=["state_2017"], electorate=shipped_inputs.electorate
    )
    b = ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    ids = text_selection.topic_texts(b)
    iso = posture.us_isolation(
        shipped_inputs.votes, texts=ids, electorate=shipped_inputs.electorate
    )
    assert len(iso) == len(ids)  # the US vote is known on every default text
    # every (state, text) pair is counted once: n + excluded + unknown = others on every text
    assert (c["n"] + c["excluded"] + c["unknown"]).sum() == iso["others"].sum()
    # "same" summed over states = the states known to have voted as the US, text by text
    assert c["same"].sum() == iso["same_as_us_at_least"].sum()


def test_shipped_agreement_pairs_reconcile_with_bloc_counts(shipped_inputs):
    st = ballot_frame.text_status(
        ballot_frame.ballots(shipped_inputs.votes, electorate=shipped_inputs.electorate)
    )
    full = set(st.loc[st["known_lists"] == "YNAX", "text_id"])
    ids = [i for i in text_selection.topic_texts(shipped_inputs.votes, "gaza") if i in full]
    a = posture.agreement_with_us(
        shipped_inputs.votes,
        shipped_inputs.groups,
        partners=["EU", "NATO"],
        by=(),
        texts=ids,
        electorate=shipped_inputs.electorate,
    )
    r = abstention.group_abstention_rates(
        shipped_inputs.votes,
        shipped_inputs.groups,
        texts=ids,
        blocs=["EU", "NATO"],
        electorate=shipped_inputs.electorate,
    )
    us_votes = posture.us_votes(shipped_inputs.votes).set_index("text_id").loc[ids, "us_vote"]
    assert us_votes.isin(["Y", "N", "A"]).all()
    assert _row(a, partner="EU")["n"] == r.loc[r["scope"] == "EU", "present"].sum()
    # the US is a NATO member: its own vote is not a pair
    assert _row(a, partner="NATO")["n"] == r.loc[r["scope"] == "NATO", "present"].sum() - len(ids)


def test_shipped_us_vetoes_follow_the_catalogue(shipped_inputs):
    u = posture.us_votes(shipped_inputs.votes, shipped_inputs.catalog)
    cat = shipped_inputs.catalog
    expected = set(cat.loc[cat["vetoed_by"].str.split().apply(lambda s: "USA" in s), "id"])
    assert set(u.loc[u["us_veto"], "text_id"]) == expected
    assert set(u["text_id"]) == set(cat["id"])
    # a US veto is a US No
    assert (u.loc[u["us_veto"], "us_vote"] == "N").all()


def test_shipped_2026_amendment_backers_are_read_from_the_rows(shipped_inputs):
    a = posture.amendment_positions(
        shipped_inputs.votes, AMENDMENT_2026, catalog=shipped_inputs.catalog
    )
    rows = shipped_inputs.votes[(shipped_inputs.votes["text_id"] == AMENDMENT_2026)]
    assert sorted(a.loc[a["backed"], "iso3"]) == sorted(rows.loc[rows["vote"] == "Y", "iso3"])
    assert a["coverage_note"].str.contains("named of").all()


def test_shipped_us_with_russia_matches_the_rows(shipped_inputs):
    w = posture.us_with_russia(
        shipped_inputs.votes, shipped_inputs.catalog, electorate=shipped_inputs.electorate
    )
    v = shipped_inputs.votes[shipped_inputs.votes["iso3"].isin(["USA", "RUS"])].pivot(
        index="text_id", columns="iso3", values="vote"
    )
    v = v.dropna()
    expected = set(
        v[
            (v["USA"].astype(str) == v["RUS"].astype(str)) & v["USA"].astype(str).isin(["Y", "N"])
        ].index
    )
    assert set(w["text_id"]) == expected


def test_window_keeps_only_texts_inside_it(world):
    # 2025 only: u4, where Russia and the US both voted No → 1 / 1
    c = posture.coincidence_with_us(
        world, methods=["state_2017"], by=(), window=("2025-01-01", None)
    )
    assert _row(c, iso3="RUS")[["coincidence", "n"]].tolist() == [1.0, 1]
    with pytest.raises(ParameterError):
        posture.coincidence_with_us(world, window=("2030-01-01", "2030-12-31"))
