"""Each finding on small hand-built worlds: its numbers and its words (issue "Off the default
run"). The world is the posture tests' seven states; every expected figure is counted here by
hand from the vote strings below, or read from the OFFICIAL totals."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures.analysis import frames as F
from test_posture import OFFICIAL as POSTURE_OFFICIAL
from test_posture import TEXTS as POSTURE_TEXTS
from test_posture import VOTES as POSTURE_VOTES

from unga_brief.report import finding, findings, us_position, who_abstains
from unga_brief.report.context import Context
from unga_brief.report.params import defaults, resolve

# The posture tests' world (states USA RUS CHN EGY FIN IND DEU), without its Ukraine Council
# draft: its vote strings and official totals are documented there.
TEXTS = [t for t in POSTURE_TEXTS if t["text_id"] != "s2"]
VOTES = {k: v for k, v in POSTURE_VOTES.items() if k != "s2"}
OFFICIAL = {k: v for k, v in POSTURE_OFFICIAL.items() if k != "s2"}
CEASEFIRE = {"g1", "s1"}
COUNCIL_2024 = ["USA", "RUS", "CHN", "FIN", "DEU"]


def make_ctx(tmp_path, texts=TEXTS, votes=VOTES, official=OFFICIAL, **params) -> Context:
    texts = [t for t in texts if t["text_id"] in votes]
    v = F.make_votes(texts, votes)
    cat = F.catalog_of(texts, official)
    cat["tags"] = ["ceasefire" if i in CEASEFIRE else "" for i in cat["id"]]
    cat["adopted"] = [str(i != "a1").lower() for i in cat["id"]]
    members = pd.DataFrame(
        [(i, n, n, g, s) for i, (n, g, s) in F.MEMBERS.items()],
        columns=["iso3", "un_name", "display_name", "un_regional_group", "group_short"],
    )
    council = pd.DataFrame({"year": 2024, "iso3": COUNCIL_2024, "permanent": False})
    tiles = pd.DataFrame(
        {"iso3": F.STATES, "name": F.STATES, "col": range(len(F.STATES)), "row": 0}
    )
    raw = {
        **defaults(),
        "window": ["2023-01-01", "2025-12-31"],
        "focus_countries": ["USA", "IND", "DEU"],
        "blocs": ["NATO", "BRICS", "EU"],
        "us_partners": ["NATO", "RUS"],
        **params,
    }
    p = resolve(raw, cat, members, F.GROUPS)
    return Context.from_frames(
        p,
        catalog=cat,
        members=members,
        groups=F.GROUPS,
        council=council,
        votes=v,
        tiles=tiles,
        out_dir=tmp_path,
    )


@pytest.fixture
def ctx(tmp_path):
    return make_ctx(tmp_path)


def test_sets_hold_the_assembly_resolutions_in_the_window(ctx):
    assert ctx.params.ukraine_texts == ["u1", "u2", "u4"]  # the amendment is not in a set
    assert ctx.params.gaza_texts == ["g1", "g2"]


def test_hedgers_counted_by_hand(ctx):
    # IND abstains on u1 u2 u4 and votes Yes on g1 g2; DEU Yes on Ukraine, Abstain on Gaza;
    # CHN abstains on Ukraine but splits Gaza (Y, N): mixed, not a hedger.
    f = who_abstains.hedgers(ctx)
    assert f.headline == (
        "1 state abstained on most Ukraine texts but voted Yes on most Gaza texts, "
        "among them India; 1 did the reverse."
    )
    su, sg = finding.series_words(ctx, "es11"), finding.series_words(ctx, "es10")
    assert f"{su}: 3 Ukraine texts; {sg}: 2 Gaza texts" in f.sentence
    assert f.chart.title.startswith("1 state abstained")
    assert f.holds is True


def test_topic_trend_words_follow_the_numbers(ctx):
    f = who_abstains.topic_trend(ctx, "ukraine")
    first, last = OFFICIAL["u1"], OFFICIAL["u4"]
    assert (
        f.chart.title
        == f"Ukraine texts lost {first[0] - last[0]} Yes votes between Mar 2023 and Feb 2025"
    )
    assert f"abstentions rose by {last[2] - first[2]}" in f.sentence
    # the lowest Yes count is at an end of the set here: no "low" clause
    assert "lowest" not in f.sentence
    assert list(f.data["text_id"]) == ["u1", "u2", "u4"]


def test_one_text_per_topic_never_prints_between_x_and_x(tmp_path):
    c = make_ctx(tmp_path, ukraine_texts=["u4"], gaza_texts=["g2"], switch_series=["es11"])
    f = who_abstains.topic_trend(c, "gaza")
    assert f.chart.title.startswith("One Gaza text in the window: G2 passed 5–2–0")
    assert "between" not in f.sentence and "1 texts" not in f.sentence
    sw = who_abstains.switchers(c)
    assert sw.left_out and sw.chart is None and "has two texts" in sw.sentence
    h = who_abstains.hedgers(c)
    assert "abstained on the Ukraine text but voted Yes on the Gaza text" in h.headline
    assert "most" not in h.chart.title and "of the 1 " not in h.chart.subtitle


def test_latest_ukraine_vote_and_the_amendment_voted_that_day(ctx):
    f = us_position.latest_ukraine_vote(ctx)
    assert f.texts == ["u4", "a1"]
    assert "the United States voted No" in f.sentence
    assert "failed 3–2–1" in f.sentence
    assert "of its 3 supporters the sources name only the United States and Russia" in f.sentence


def test_latest_vote_without_an_amendment_names_none(tmp_path):
    c = make_ctx(tmp_path, window=["2023-01-01", "2024-12-31"])
    f = us_position.latest_ukraine_vote(c)
    assert f.texts == ["u2"] and "amendment" not in f.sentence


def test_us_with_russia_is_found_in_the_window_or_left_out(ctx, tmp_path):
    f = us_position.us_with_russia(ctx)
    assert f.headline.startswith("24 Feb 2025: the US voted No with Russia on U4 (1–2–4)")
    assert "with Russia alone" in f.sentence  # nobody else voted No on u4
    c = make_ctx(tmp_path, window=["2023-01-01", "2024-12-31"])
    g = us_position.us_with_russia(c)
    assert g.headline.startswith("The United States never cast the same Yes or No as Russia")
    assert g.holds is None


def test_us_gaza_counts_and_no_vetoes_world(ctx, tmp_path):
    f = us_position.us_gaza(ctx)
    assert f.headline.startswith(
        "Gaza: the US voted No on the one Assembly ceasefire text and cast 1 Council veto"
    )
    assert "(a ceasefire text)" in f.sentence
    votes = {k: v for k, v in VOTES.items() if k != "s1"}
    c = make_ctx(tmp_path, votes=votes)
    g = us_position.us_gaza(c)
    assert "veto" not in g.headline and "voted No on the one Assembly" in g.headline


def test_switchers_largest_group_and_singular_words(ctx):
    f = who_abstains.switchers(ctx)
    # es10 g1→g2: CHN Y→N, FIN A→Y; es11 u2→u4: USA Y→N, FIN Y→A: every group is one state
    assert set(f.data["states"]) == {1}
    assert f.chart.title.startswith("The largest switch: 1 state went from")


def test_abstention_by_group_with_a_bloc_absent_and_with_one_bloc(ctx, tmp_path):
    f = who_abstains.abstention_by_group(ctx)
    allm = f.data[f.data["scope_type"] == "all"].iloc[0]
    # Ukraine: u1 A=2 of 7 present, u2 A=2 of 6, u4 A=4 of 7 → 8/20; Gaza g1 2/7, g2 1/7 → 3/14
    assert allm["ukraine_n"] == 20 and allm["ukraine_A"] == 8
    assert allm["gaza_n"] == 14 and allm["gaza_A"] == 3
    assert "All members: 40%" in f.sentence and "vs 21%" in f.sentence
    one = who_abstains.abstention_by_group(make_ctx(tmp_path, blocs=["EU"]))
    assert one.chart.title.count("EU members") == 1 and ";" not in one.chart.title


def test_partners_one_year_has_no_direction_word(tmp_path):
    c = make_ctx(
        tmp_path,
        window=["2024-01-01", "2024-12-31"],
        ukraine_texts=["u2"],
        gaza_texts=["g2"],
        switch_series=["es11"],
    )
    f = us_position.partners(c)
    assert "fell" not in f.headline and "rose" not in f.headline
    assert "in 2024" in f.headline
    assert "rest on fewer than" in f.sentence  # one text a year is thin, and says so


def test_coverage_counts_only_the_window(tmp_path):
    c = make_ctx(
        tmp_path,
        window=["2024-01-01", "2025-12-31"],
        gaza_texts=["g2"],
        ukraine_texts=["u2", "u4"],
        switch_series=["es11"],
    )
    f = findings.coverage(c)
    assert f.headline.startswith(
        "How sure: 4 of the 5 texts in the window are known in full, 1 in part"
    )


def test_focus_table_and_text_sets(ctx):
    t = findings.focus_table(ctx)
    assert list(t["state"]) == ["United States", "India", "Germany"]
    assert t.loc[t["state"] == "India", "Ukraine profile"].iloc[0] == "mostly Abstain"
    sets = findings.text_sets(ctx)
    assert sets.loc[sets["set"] == "Ukraine texts", "texts"].iloc[0] == 3


def test_every_finding_and_the_summary_on_the_world(ctx):
    found = {f.key: f for f in ctx.briefing_findings("all_findings")}
    s = findings.summary(ctx, found)
    assert 3 <= len(s) <= 5 and s[0].startswith(
        "States abstained more often on Ukraine than on Gaza"
    )
    for f in found.values():
        assert "1 texts" not in f.sentence and "1 states" not in f.sentence
        if f.chart is not None:
            assert f.chart.title


def test_focus_coincidence_is_the_focus_countries_rows_one_column_per_method(ctx):
    from unga_brief.analysis import posture
    from unga_brief.report import us_position

    wide = us_position.focus_coincidence(ctx)
    every = posture.coincidence_with_us(
        ctx.ballots(), texts=ctx.params.all_texts, electorate=ctx.electorate
    )
    focus = every[every["iso3"].isin(ctx.params.focus_countries)]
    assert set(focus["iso3"]) < set(every["iso3"])
    assert set(wide["display_name"]) == set(focus["display_name"])  # the others are left out
    assert set(focus["method"]) <= set(wide.columns)  # one column per method
    assert len(wide) == len(focus.drop_duplicates(["display_name", "topic", "year"]))
    one = focus.iloc[0]
    row = wide[
        (wide["display_name"] == one["display_name"])
        & (wide["topic"] == one["topic"])
        & (wide["year"] == one["year"])
    ]
    assert row[one["method"]].item() == one["coincidence"]
