"""The weigh-and-place findings (issue "Weigh and place every vote") on the shipped data: every
number in a sentence is the measure's own, and every text used is inside the window."""

from __future__ import annotations

import pytest

from unga_brief.analysis import baselines as bl
from unga_brief.analysis import weights as wt
from unga_brief.report import weighing
from unga_brief.report.context import open_context
from unga_brief.report.words import pct

COLUMNS = [
    "year",
    "iso3",
    "same",
    "opposite",
    "partial",
    "non_voting",
    "votes_only",
    "state_2017",
    "state_2021",
]


@pytest.fixture(scope="module")
def ctx():
    return open_context({})


def test_weighted_sentence_carries_the_measures_shares(ctx):
    f = weighing.weighted(ctx)
    s = wt.weighted_summary(f.data).set_index(["topic", "weight", "excluded"])
    for topic in ("ukraine", "gaza"):
        assert pct(s.loc[(topic, "population", ""), "Y"]) in f.headline
        assert pct(s.loc[(topic, "population", "CHN IND"), "Y"]) in f.headline
    assert str(weighing.population_year(ctx)) in f.sentence
    assert f.chart is not None and f.chart.title in f.sentence


def test_baseline_names_the_states_most_above_their_own_record(ctx):
    f = weighing.baseline(ctx, "ukraine")
    top = bl.most_above_baseline(f.data, "ukraine").head(weighing.BASELINE_NAMED)
    for name in top["display_name"]:
        assert name in f.sentence
    assert (top["rate_A"] > top["baseline_A_rate"]).all()
    # Page 1 names the first HEADLINE_NAMES and says how many more the chart names: never a part of
    # the list read as the whole of it.
    shown = top["display_name"].tolist()
    assert len(shown) > weighing.HEADLINE_NAMES  # the shipped data names more than page 1 does
    first = ", ".join(shown[: weighing.HEADLINE_NAMES])
    more = len(shown) - weighing.HEADLINE_NAMES
    assert f"Against their own record: {first} and {more} more abstained on" in f.headline
    # Both topics' findings carry one table of every state on both sets (02_abstention shows
    # it once: weighing.baselines_table).
    gaza = weighing.baseline(ctx, "gaza").data
    assert set(f.data["topic"]) == {"ukraine", "gaza"}
    assert f.data.equals(gaza)
    shown = weighing.baselines_table(ctx)
    assert "coverage_note" not in shown.columns
    assert shown.equals(gaza.drop(columns=["coverage_note"], errors="ignore"))


def test_baseline_of_a_set_too_small_says_why_no_state_is_named():
    """One Ukraine text: no state can be present on bl.MIN_PRESENT of them, so the finding says
    that, not that no state abstained more than usual."""
    c = open_context({"ukraine_texts": ["ga-es11-01"]})
    f = weighing.baseline(c, "ukraine")
    assert f.chart is None
    assert f"at least {bl.MIN_PRESENT} Ukraine texts" in f.sentence
    assert "holds 1 text" in f.sentence and "No state abstained" not in f.sentence


def test_us_all_votes_per_year_of_the_window(tmp_path):
    c = open_context({"window": ["2022-01-01", "2023-12-31"]})
    f = weighing.us_all_votes(c)
    assert set(f.data["year"]) == {2022, 2023}
    first = f.data.iloc[0]
    assert f"{pct(first['all_votes'])} of the time in 2022" in f.sentence
    assert ".0" not in f.headline
    table = weighing.coincidence_all_votes_table(c)
    assert list(table.columns) == COLUMNS and set(table["year"]) == {2022, 2023}
    cov = weighing.all_votes_coverage(c)
    assert cov.set_index("year").loc[2022, "complete"]


def test_thresholds_name_the_closest_adopted_assembly_text_of_the_window(ctx):
    f = weighing.thresholds(ctx)
    ga = f.data[(f.data["body"] == "GA") & (f.data["adopted"].astype(str).str.lower() == "true")]
    closest = ga.sort_values(["pivot", "date"]).iloc[0]
    from unga_brief.report.finding import reader_name

    assert (
        f"was {reader_name(ctx, closest['text_id'])}: {int(closest['pivot'])} changed votes"
        in f.sentence
    )
    in_window = set(ctx.catalog.loc[ctx.catalog["date"].between(*ctx.params.window), "id"])
    assert set(f.texts) <= in_window
    assert (f.data["consistent"].dropna().astype(bool)).all()  # every rule reproduces the outcome


def test_cohesion_and_movement_words_follow_the_tables(ctx):
    f = weighing.cohesion(ctx)
    for bloc in f.data.loc[f.data["differs"], "bloc"]:
        assert bloc in f.sentence
    m = weighing.moved_with_us(ctx)
    toward = int(m.data.loc[m.data["moved"] == "toward the US", "states"].sum())
    assert m.sentence.startswith(f"From Feb 2025 {toward} states moved toward the US")
