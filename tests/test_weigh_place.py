"""Issue 16 measures on hand-built worlds (numbers worked out in the comments), then the shipped
data and its source README (expectations read from the files, never typed)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_SOURCES, needs_shared
from fixtures.analysis import frames as F  # noqa: E402
from pandas.testing import assert_frame_equal

from unga_brief.analysis import agreement as ag
from unga_brief.analysis import baselines as bl
from unga_brief.analysis import definitions
from unga_brief.analysis import movement as mv
from unga_brief.analysis import thresholds as th
from unga_brief.analysis import weights as wt
from unga_brief.core.errors import MalformedFile, ParameterError

# States: USA RUS CHN EGY FIN IND DEU
TEXTS = [
    F.text("u1", "ukraine", "es11", "2023-03-01"),
    F.text("g1", "gaza", "es10", "2023-11-01"),
    F.text("u2", "ukraine", "es11", "2024-03-01"),
    F.text("u3", "ukraine", "es11", "2025-03-01", coverage="partial", complete_lists="YN"),
]
VOTES = {"u1": "YNAAYAY", "g1": "NYYYAYA", "u2": "YNAXYAY", "u3": "NNAYA.A"}
POP = {"USA": 300, "RUS": 100, "CHN": 1000, "EGY": 100, "FIN": 5, "IND": 1000, "DEU": 80}
GDP_PC = {"USA": 2.0, "RUS": 1.0, "CHN": 1.0, "EGY": None, "FIN": 2.0, "IND": 0.5, "DEU": 2.0}


@pytest.fixture
def world():
    return F.make_votes(TEXTS, VOTES)


@pytest.fixture
def population():
    return pd.DataFrame(
        {
            "iso3": list(POP),
            "year": 2023,
            "population": pd.array(list(POP.values()), dtype="Float64"),
            "population_source": "hand",
            "gdp_per_capita_ppp": pd.array(list(GDP_PC.values()), dtype="Float64"),
            "gdp_source": "hand",
        }
    )


def _one(df, **kw):
    for k, v in kw.items():
        df = df[df[k] == v]
    assert len(df) == 1, kw
    return df.iloc[0]


# --- 1. population-weighted tally ---------------------------------------------------------------


def test_population_share_by_hand(world, population):
    t = wt.weighted_tally(world, population, year=2023, texts=["u1", "u3"])
    u1 = _one(t, text_id="u1")
    # u1 YNAAYAY: Yes USA+FIN+DEU = 385, No RUS 100, Abstain CHN+EGY+IND = 2100; total 2585
    assert u1["Y"] == pytest.approx(385 / 2585)
    assert u1["N"] == pytest.approx(100 / 2585)
    assert u1["A"] == pytest.approx(2100 / 2585)
    assert u1[wt.SHARE_COLUMNS].sum() == pytest.approx(1.0)
    # u3 is partial (Yes and No lists complete): India's 1000 is unknown (Abstain or absent)
    u3 = _one(t, text_id="u3")
    assert u3["unknown"] == pytest.approx(1000 / 2585)
    assert u3["states"] == 7 and u3["year"] == 2023


def test_population_share_without_china_and_india(world, population):
    t = wt.weighted_tally(world, population, year=2023, texts=["u1"], exclude=wt.CHINA_INDIA)
    # without CHN and IND: total 585; Yes 385, Abstain EGY 100
    assert t["Y"].iloc[0] == pytest.approx(385 / 585)
    assert t["A"].iloc[0] == pytest.approx(100 / 585)
    assert t["excluded"].iloc[0] == "CHN IND" and t["states"].iloc[0] == 5


def test_gdp_share_leaves_out_unknown_gdp_and_says_so(world, population):
    t = wt.weighted_tally(world, population, year=2023, texts=["u1"], weight="gdp_ppp")
    # GDP: USA 600, RUS 100, CHN 1000, FIN 10, IND 500, DEU 160 (Egypt unknown) = 2370
    assert t["Y"].iloc[0] == pytest.approx((600 + 10 + 160) / 2370)
    assert t["left_out_states"].iloc[0] == 1
    assert t["left_out_population"].iloc[0] == pytest.approx(100 / 2585)


def test_weighted_tally_refuses_a_missing_year(world, population):
    with pytest.raises(ParameterError, match="no population for 2019"):
        wt.weighted_tally(world, population, year=2019, texts=["u1"])


def test_weighted_tally_firm_only_turns_derived_votes_unknown(population):
    votes = F.make_votes(TEXTS[:1], {"u1": "YNAAYAY"}, bases={"u1": "rrrrrdd"})
    firm = wt.weighted_tally(votes, population, year=2023, texts=["u1"], firm_only=True)
    # India's derived Abstain and Germany's derived Yes set aside: the Yes and Abstain lists
    # are no longer complete, so 1000 + 80 are unknown
    assert firm["unknown"].iloc[0] == pytest.approx(1080 / 2585)
    assert firm["Y"].iloc[0] == pytest.approx(305 / 2585)
    full = wt.weighted_tally(votes, population, year=2023, texts=["u1"])
    assert full["unknown"].iloc[0] == 0


# --- 4. thresholds ------------------------------------------------------------------------------


def test_two_thirds_case_that_passes():
    # 93 Yes, 24 No: 93 / 117 = 79 % >= 2/3; abstentions do not count (rule 86)
    assert th.passes("two-thirds", 93, 24)
    # the pivot: each Yes turned No narrows by 3 (Y − 2N); 93 − 48 = 45 → 16 changes
    # (77 − 40: 77 < 80 fails; after 15: 78 − 39: 78 >= 78 still passes)
    assert th.pivot_size("two-thirds", 93, 24) == (16, "Yes → No")


def test_two_thirds_case_that_fails_though_more_yes_than_no():
    # the Canadian amendment's totals: 88 − 55; two thirds of 143 present and voting = 95.3
    assert not th.passes("two-thirds", 88, 55)
    assert th.passes("simple", 88, 55)
    # 8 No turned Yes: 96 − 47 (96 >= 94) passes; 7: 95 − 48 (95 < 96) fails
    assert th.pivot_size("two-thirds", 88, 55, others=50) == (8, "No → Yes")
    rule, basis = th.majority_rule("GA", "", False, 88, 55)
    assert rule == "two-thirds" and basis.startswith("inferred")


def test_simple_majority_decides_where_no_two_thirds_is_recorded():
    rule, basis = th.majority_rule("GA", "", True, 84, 62)
    assert rule == "simple" and "rule 85" in basis
    assert th.passes("simple", 84, 62)
    # 84 − 62: 11 Yes turned No give 73 − 73, an equal division, which rejects (rule 95)
    assert th.pivot_size("simple", 84, 62) == (11, "Yes → No")
    assert not th.passes("simple", 73, 73)


def test_recorded_majority_wins_and_is_checked():
    assert th.majority_rule("GA", "two-thirds", True, 93, 24)[0] == "two-thirds"
    with pytest.raises(ParameterError):
        th.majority_rule("GA", "three-quarters", True, 93, 24)


def test_council_abstention_is_not_a_veto_but_a_no_is():
    assert th.majority_rule("SC", "", True, 10, 0)[0] == "council"
    assert th.passes("council", 10, 0, p5_no=0)  # 10 − 0 − 5 with permanent abstentions
    assert not th.passes("council", 13, 1, p5_no=1)  # 13 − 1 − 1, the No a permanent one
    assert not th.passes("council", 8, 0)
    # adopted 10 − 0 − 5: one permanent member turning No defeats it
    assert th.pivot_size("council", 10, 0, 5, p5_no=0, p5_not_no=5) == (
        1,
        "one permanent member votes No",
    )
    # a procedural decision (Art. 27(2)) carries over a permanent member's No
    assert th.majority_rule("SC", "procedural", True, 11, 1)[0] == "procedural"
    assert th.passes("procedural", 11, 1)


def test_threshold_table_names_the_blocs_that_hold_the_pivot(world):
    texts = [F.text("u1", "ukraine", "es11", "2023-03-01")]
    cat = F.catalog_of(texts, {"u1": (3, 1, 3, 0)})
    t = th.threshold_table(world, cat, F.GROUPS, blocs=["NATO", "BRICS", "EU"])
    r = t.iloc[0]
    # 3 − 1 simple: one Yes turned No ties 2 − 2 and rejects → pivot 1; NATO (USA DEU),
    # EU (FIN DEU) each have Yes voters to spare; BRICS has none on the Yes side
    assert r["pivot"] == 1 and r["passes"] and r["consistent"]
    assert r["pivot_blocs"] == "EU NATO"


# --- 5. agreement -------------------------------------------------------------------------------


def test_kappa_textbook_example():
    # Cohen's kappa, worked example of the Wikipedia article "Cohen's kappa" (50 grant
    # proposals, two readers): both Yes 20, both No 15, A Yes/B No 5, A No/B Yes 10:
    # pₒ = 0.7, pₑ = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4. With only Yes and No the linear
    # weights are 1 and 0, so the weighted kappa equals Cohen's.
    a = ["Y"] * 20 + ["N"] * 15 + ["Y"] * 5 + ["N"] * 10
    b = ["Y"] * 20 + ["N"] * 15 + ["N"] * 5 + ["Y"] * 10
    assert ag.weighted_kappa(a, b) == pytest.approx(0.4)
    # Scott's pi on the same table: pooled Yes (25 + 30)/100 = 0.55, pₑ = 0.55² + 0.45²
    assert ag.weighted_kappa(a, b, chance="scott") == pytest.approx((0.7 - 0.505) / (1 - 0.505))


def test_weighted_kappa_three_levels_by_hand():
    # a = Y A N Y (1 .5 0 1), b = Y N N A (1 0 0 .5): pₒ = (1 + .5 + 1 + .5)/4 = .75;
    # marginals a (N, A, Y) = (.25, .25, .5), b = (.5, .25, .25); with weights 1 − |Δ|,
    # pₑ = .25·.625 + .25·.625 + .5·.375 = .5, so κ = (.75 − .5)/(1 − .5) = .5
    assert ag.weighted_kappa(list("YANY"), list("YNNA")) == pytest.approx(0.5)
    # non-voting and unknown votes are left out
    assert ag.weighted_kappa(list("YANYX"), [*"YNNA", "Y"]) == pytest.approx(0.5)


def test_bootstrap_is_reproducible_with_a_seed():
    rng = np.random.default_rng(7)
    a = list(rng.choice(list("YNA"), 40))
    b = list(rng.choice(list("YNA"), 40))
    r1 = ag.agreement_interval(a, b, n_boot=500, seed=3)
    r2 = ag.agreement_interval(a, b, n_boot=500, seed=3)
    r3 = ag.agreement_interval(a, b, n_boot=500, seed=4)
    pd.testing.assert_series_equal(r1, r2)
    assert not r1.equals(r3)
    assert r1["agreement_low"] <= r1["agreement"] <= r1["agreement_high"]
    assert r1["kappa_low"] <= r1["kappa"] <= r1["kappa_high"] and r1["n"] == 40


def test_any_pair_agreement_matches_the_scalar_definition():
    rng = np.random.default_rng(1)
    states = [f"S{i:02d}" for i in range(9)]
    long = pd.DataFrame(
        [(r, s, rng.choice(list("YNAX"))) for r in range(30) for s in states],
        columns=["undl_record", "iso3", "vote"],
    )
    pairs = ag.any_pair_agreement(long)
    w = long.pivot(index="undl_record", columns="iso3", values="vote")
    for p in pairs.sample(10, random_state=0).itertuples():
        ref = definitions.agreement_index(w[p.iso3_a], w[p.iso3_b])
        assert p.agreement == pytest.approx(ref["agreement"]) and p.n == ref["n"]
    assert len(pairs) == 9 * 8 // 2


def test_pair_agreement_and_matrix_on_the_world(world):
    t = ag.pair_agreement(world, ["USA", "FIN"], n_boot=200, seed=0)
    uk = _one(t, topic="ukraine")
    # USA Y Y N, FIN Y Y A on u1 u2 u3: 1 − |0 − .5| on u3 → (1 + 1 + .5)/3
    assert uk["agreement"] == pytest.approx(2.5 / 3) and uk["n"] == 3
    mat = ag.agreement_matrix(world, ["USA", "FIN", "RUS"], topic="ukraine")
    assert mat.loc["USA", "FIN"] == mat.loc["FIN", "USA"] == pytest.approx(2.5 / 3)
    assert mat.loc["USA", "USA"] == 1.0
    # Only the pairs with one state: the same rows, each with the same seeded interval.
    every = ag.pair_agreement(world, ["USA", "FIN", "RUS"], n_boot=200, seed=0)
    with_us = ag.pair_agreement(world, ["USA", "FIN", "RUS"], n_boot=200, seed=0, only_with="USA")
    expected = every[(every["iso3_a"] == "USA") | (every["iso3_b"] == "USA")]
    assert len(with_us) == 4  # (USA, FIN) and (USA, RUS) on each topic
    assert_frame_equal(with_us, expected.reset_index(drop=True))


# --- 6. bloc cohesion ---------------------------------------------------------------------------


def test_bloc_cohesion_by_hand(world):
    c = ag.bloc_cohesion(world, F.GROUPS, blocs=["BRICS", "NATO"], texts=["u1", "g1", "u2"])
    # u1 (2023-03-01): BRICS = RUS N, CHN A, IND A (Egypt joins 2024) → modal A, 2/3
    assert _one(c, text_id="u1", bloc="BRICS")["cohesion"] == pytest.approx(2 / 3)
    # u2 (2024-03-01): BRICS adds Egypt, non-voting: present 3, cohesion 2/3, non_voting 1
    r = _one(c, text_id="u2", bloc="BRICS")
    assert r["cohesion"] == pytest.approx(2 / 3) and r["non_voting"] == 1
    # g1: NATO = USA N, DEU A, FIN A (joined 2023-04-04) → 2/3
    assert _one(c, text_id="g1", bloc="NATO")["cohesion"] == pytest.approx(2 / 3)
    t = ag.cohesion_by_topic(world, F.GROUPS, blocs=["NATO"], ukraine_texts=["u1", "u2"])
    # NATO on Ukraine: u1 USA Y DEU Y (Finland not yet) → 1; u2 USA FIN DEU all Y → 1
    assert _one(t, bloc="NATO")["ukraine"] == pytest.approx(1.0)
    assert bool(_one(t, bloc="NATO")["differs"])  # 1 vs 2/3: 33 points


# --- 7. movement --------------------------------------------------------------------------------


def test_moved_with_the_us_by_hand(world):
    mvd = mv.moved_with_us(world, since="2025-01-01").set_index("iso3")
    # US: Y Y then N on u3. FIN: Y Y (score 1) then A (.5): earlier distance |1 − 0| = 1,
    # later .5 → move .5 → toward the US
    assert mvd.loc["FIN", "moved"] == "toward the US"
    assert mvd.loc["FIN", "move"] == pytest.approx(0.5)
    # RUS: N N then N: earlier 0, later 0 → no move
    assert mvd.loc["RUS", "moved"] == "no move"
    # EGY: A X then Y (1): earlier score .5, distance .5; later 1 → away from the US
    assert mvd.loc["EGY", "moved"] == "away from the US"
    # IND: A A then unknown → counted apart
    assert mvd.loc["IND", "moved"] == "unknown later"
    x = mv.movement_crosstab(mvd.reset_index(), world)
    assert x["states"].sum() == 6


# --- 2–3. baselines and all-votes coincidence on a hand-built layer ------------------------------


def _layer(records: dict[str, tuple[str, str]], states: list[str]) -> pd.DataFrame:
    rows = [
        (rid, "GA", 78, "regular", pd.Timestamp(d), "", "", "", s, v)
        for rid, (d, votes) in records.items()
        for s, v in zip(states, votes, strict=True)
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "undl_record",
            "body",
            "session",
            "meeting",
            "date",
            "symbol",
            "title",
            "text_id",
            "iso3",
            "vote",
        ],
    ).assign(vote=lambda d: pd.Categorical(d["vote"], categories=list("YNAX")))


def test_state_baseline_by_hand():
    layer = _layer(
        {"r1": ("2023-01-10", "YA"), "r2": ("2023-02-10", "YX"), "r3": ("2023-03-10", "NA")},
        ["USA", "IND"],
    )
    b = bl.state_baselines(layer).set_index("iso3")
    # India: A X A → abstention 2 / 2 present, non-voting 1 / 3
    assert b.loc["IND", "abstention_rate"] == pytest.approx(1.0)
    assert b.loc["IND", "non_voting_rate"] == pytest.approx(1 / 3)
    assert b.loc["USA", "records"] == 3


def test_all_votes_coincidence_matches_the_tally_definitions():
    rng = np.random.default_rng(5)
    states = ["USA", "AAA", "BBB", "CCC"]
    recs = {
        f"r{i}": (f"{2022 + i % 2}-0{1 + i % 9}-01", "".join(rng.choice(list("YNAX"), 4)))
        for i in range(60)
    }
    c = bl.coincidence_all_votes(_layer(recs, states))
    layer = _layer(recs, states)
    for r in c.itertuples():
        sel = layer[layer["date"].dt.year == r.year]
        w = sel.pivot(index="undl_record", columns="iso3", values="vote").astype(object)
        t = definitions.pair_tally(w[r.iso3], w["USA"])
        for method in ("votes_only", "state_2017", "state_2021"):
            ref = definitions.method_counts(t, method)
            got = getattr(r, method)
            assert (np.isnan(got) and np.isnan(ref["coincidence"])) or got == pytest.approx(
                ref["coincidence"]
            )
        assert r.same == t.identical and r.opposite == t.opposite and r.partial == t.partial
        assert r.non_voting == t.non_voting_vs_vote + t.non_voting_vs_abstain
    assert list(bl.coincidence_table(c).columns) == bl.COINCIDENCE_TABLE_COLUMNS


# --- the catalogue's majority field ---------------------------------------------------------------


def test_majority_needs_a_known_value_and_a_source(tmp_path):
    from unga_brief.core.paths import Paths
    from unga_brief.data.catalog import load_texts_meta

    p = Paths.default(tmp_path)
    p.texts_yml.parent.mkdir(parents=True)
    entry = "texts:\n- {id: a, labels: [A], symbol: A, topic: gaza, series: s, short_title: t, majority: two-thirds}\n"
    p.texts_yml.write_text(entry, encoding="utf-8")
    with pytest.raises(MalformedFile, match="majority_source"):
        load_texts_meta(p)
    p.texts_yml.write_text(entry.replace("}", ", majority_source: x}"), encoding="utf-8")
    assert load_texts_meta(p)[0]["majority"] == "two-thirds"


# --- shipped data ----------------------------------------------------------------------------------


def test_every_recorded_outcome_is_reproduced_by_its_rule(shipped):
    from unga_brief.data.frames import load_frames

    f = load_frames(shipped)
    t = th.threshold_table(f.votes, f.catalog, electorate=f.electorate)
    decided = t.dropna(subset=["passes"])
    assert len(decided) > 0
    bad = decided[~decided["consistent"].astype(bool)]
    assert bad.empty, bad[["text_id", "rule", "yes", "no"]].to_string()
    # a GA text the catalogue records as needing two thirds is read under two thirds
    marked = f.catalog.loc[f.catalog["majority"] == "two-thirds", "id"]
    assert set(t.loc[t["text_id"].isin(marked), "rule"]) == {"two-thirds"}
    # firm votes only: the outcomes do not change (they rest on official totals)
    firm = th.threshold_table(f.votes, f.catalog, electorate=f.electorate, firm_only=True)
    assert (firm["passes"].fillna(-1) == t["passes"].fillna(-1)).all()


def _readme() -> str:
    return (SHARED_SOURCES / "undl_assembly" / "README.md").read_text(encoding="utf-8")


@needs_shared
def test_2022_and_2023_coverage_and_counts_agree_with_the_source_readme(shipped):
    """The State Department's own counts for 2021–24 are not in the sources (the README says
    so); what the README does give — GA roll calls per calendar year and per-session Y/N/A/X of
    six states against the UNDL bulk file — the layer must reproduce."""
    from unga_brief.data.assembly import assembly_coverage, load_assembly

    text = _readme()
    line = re.search(r"By calendar year: GA (.*?)\. SC", text, re.S).group(1)
    per_year = {int(y): int(n) for y, n in re.findall(r"(\d{4})(?: \([^)]*\))?: (\d+)", line)}
    rec = pd.read_csv(shipped.data / "assembly" / "records.csv", dtype=str, keep_default_na=False)
    cov = bl.year_coverage(rec, assembly_coverage(shipped)).set_index("year")
    for year in (2022, 2023):
        assert cov.loc[year, "held"] == per_year[year]
        assert cov.loc[year, "complete"]
    layer = load_assembly(shipped)
    c = bl.coincidence_all_votes(layer)
    for year in (2022, 2023):
        cy = c[c["year"] == year]
        assert (cy["records"] == per_year[year]).all()
        parts = cy[["same", "both_abstain", "opposite", "partial", "non_voting"]].sum(axis=1)
        assert (parts == cy["records"]).all()
    # per-session tallies of six states (regular records), README "Completeness 1"
    base = bl.state_baselines(layer[layer["meeting"] == "regular"], by="session")
    base = base.set_index(["iso3", "session"])
    table = re.findall(r"^\| (7[678]) \| \d+ \| \d+ \| identical for (.*?) \|$", text, re.M)
    assert len(table) == 3
    checked = 0
    for session, cells in table:
        for iso3, y, n, a, x in re.findall(r"([A-Z]{3}) (\d+)/(\d+)/(\d+)/(\d+)", cells):
            r = base.loc[(iso3, int(session))]
            assert (r["Y"], r["N"], r["A"], r["X"]) == tuple(map(int, (y, n, a, x))), (
                iso3,
                session,
            )
            checked += 1
    assert checked == 18


def test_coincidence_table_has_every_year_of_the_layer(shipped):
    from unga_brief.data.assembly import load_assembly

    layer = load_assembly(shipped)
    c = bl.coincidence_table(bl.coincidence_all_votes(layer))
    years = set(layer.loc[layer["body"] == "GA", "date"].dt.year)
    assert set(c["year"]) == years
    assert "USA" not in set(c["iso3"])
    rates = c[["votes_only", "state_2017", "state_2021"]].stack().dropna()
    assert len(rates) and rates.between(0, 1).all()


def test_us_isolation_pools_every_states_counts():
    # two states, one year: AAA same 3, opposite 1; BBB opposite 2 (votes only)
    # pooled = 3 / (3 + 1 + 2) = .5; median of (.75, 0) = .375; one state at least half
    layer = _layer(
        {
            "r1": ("2024-01-01", "YYN"),
            "r2": ("2024-02-01", "NNY"),
            "r3": ("2024-03-01", "YYX"),
            "r4": ("2024-04-01", "YNA"),
        },
        ["USA", "AAA", "BBB"],
    )
    iso = bl.us_isolation_all_votes(bl.coincidence_all_votes(layer))
    r = _one(iso, method="votes_only")
    assert r["pooled"] == pytest.approx(3 / 6)
    assert r["median"] == pytest.approx(0.375) and r["states_at_least_half"] == 1


def test_topic_coincidence_set_against_all_votes():
    layer = _layer(
        {"r1": ("2024-01-01", "YY"), "r2": ("2024-02-01", "YN"), "r3": ("2025-02-01", "NY")},
        ["USA", "AAA"],
    )
    allv = bl.coincidence_all_votes(layer)
    # the topic frame in the shape of posture.coincidence_with_us: 2024 Ukraine, AAA and BBB
    topic = pd.DataFrame(
        {
            "iso3": ["AAA", "BBB"],
            "topic": "ukraine",
            "year": 2024,
            "method": "state_2021",
            "same": [2, 0],
            "partial": [0, 2],
            "n": [2, 2],
        }
    )
    t = bl.topic_vs_all_votes(topic, allv).set_index("year")
    # all votes 2024: AAA same 1, opposite 1 → .5; Ukraine pooled (2 + ½·2) / 4 = .75
    assert t.loc[2024, "all_votes"] == pytest.approx(0.5)
    assert t.loc[2024, "ukraine"] == pytest.approx(0.75) and t.loc[2024, "ukraine_n"] == 4
    assert np.isnan(t.loc[2025, "ukraine"]) and t.loc[2025, "all_votes"] == 0
