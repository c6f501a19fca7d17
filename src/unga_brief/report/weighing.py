"""The briefing's findings that weigh and place each vote (issue "Weigh and place every vote"):
population-weighted shares, each state's own baseline, the US across the whole Assembly, how
close each vote came to failing, agreement with its uncertainty, bloc cohesion, and who moved
with the US.

Each function takes the :class:`~unga_brief.report.context.Context`, uses only the texts of its
parameters (window and sets) and returns a :class:`~unga_brief.report.finding.Finding` whose sentence,
title and numbers come from the measures (``weights``, ``baselines``, ``thresholds``,
``agreement``, ``movement``) — never typed.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.analysis import agreement as ag
from unga_brief.analysis import baselines as bl
from unga_brief.analysis import movement as mv
from unga_brief.analysis import thresholds as th
from unga_brief.analysis import weights as wt
from unga_brief.core.vocab import COINCIDENCE_LABELS, TOPIC_WORDS, TOPICS, US
from unga_brief.report import chart_style, charts, charts_over_time
from unga_brief.report.finding import (
    THIN_TEXTS,
    Finding,
    chart_label,
    group_words,
    in_window,
    left_out_finding,
    reader_name,
    votes_ballots,
)
from unga_brief.report.words import DASH, capital, names, number, pct, plural, the_count

WORLD_BANK = "World Bank WDI (data/reference/population.csv)"


#: The baseline finding names (and charts) the states most above their own record, this many;
#: its page-1 line names the first ``HEADLINE_NAMES`` of them and counts the rest.
BASELINE_NAMED = 6
HEADLINE_NAMES = 4
NO_LAYER = "The project holds no whole-Assembly layer (data/assembly/), so this is left out."
NO_POPULATION = (
    "The project holds no population table (data/reference/population.csv), so this is left out."
)


def _layer(ctx) -> pd.DataFrame | None:
    """The whole-Assembly layer, or None in a project without it."""
    from unga_brief.data.assembly import load_assembly
    from unga_brief.data.assembly_inputs import RECORDS_REL

    if not (ctx.paths.data / RECORDS_REL).exists():
        return None
    return ctx.cached("assembly_layer", lambda: load_assembly(ctx.paths))


def _population(ctx) -> pd.DataFrame | None:
    """The population table, or None in a project without it."""
    from unga_brief.data.population import load_population

    if not (ctx.paths.reference_dir / "population.csv").exists():
        return None
    return ctx.cached("population", lambda: load_population(ctx.paths))


def _set_profiles(ctx) -> pd.DataFrame:
    """Each state's profile on the Ukraine and Gaza sets of the parameters, in the window (what
    the baseline and the movement cross-tab both read), computed once per context."""
    from unga_brief.analysis.hedging import country_profiles

    p = ctx.params
    return ctx.cached(
        "set_profiles",
        lambda: country_profiles(
            votes_ballots(ctx),
            ukraine_texts=p.ukraine_texts,
            gaza_texts=p.gaza_texts,
            window=p.window,
        ),
    )


def population_year(ctx) -> int | None:
    """The latest year the population table covers for every member (one stated year)."""
    pop = _population(ctx)
    if pop is None:
        return None
    full = pop.dropna(subset=["population"]).groupby("year")["iso3"].nunique()
    return int(full[full == full.max()].index.max())


def weighted(ctx) -> Finding:
    """Population-weighted shares of Yes on the Ukraine and Gaza sets, with and without China
    and India, and weighted by GDP (PPP) where known."""
    year = population_year(ctx)
    if year is None:
        return left_out_finding("weighted", NO_POPULATION)
    p = ctx.params
    r = ctx.cached(
        "weighted_readings",
        lambda: wt.weighted_readings(
            ctx.ballots(),
            _population(ctx),
            year=year,
            ukraine_texts=p.ukraine_texts,
            gaza_texts=p.gaza_texts,
            window=p.window,
            electorate=ctx.electorate,
        ),
    )
    s = wt.weighted_summary(r).set_index(["topic", "weight", "excluded"])

    def share(topic, weight="population", excluded=""):
        return s.loc[(topic, weight, excluded), "Y"]

    left_out = float(s["left_out_population"].max())
    title = (
        f"States voting Yes held {pct(share('ukraine'))} of the members' population on the "
        f"Ukraine texts and {pct(share('gaza'))} on the Gaza texts"
    )
    sentence = (
        f"{title} ({year} population, {WORLD_BANK}; mean over {the_count(len(p.ukraine_texts), 'Ukraine text')} "
        f"and {the_count(len(p.gaza_texts), 'Gaza text')}). Without China and India: "
        f"{pct(share('ukraine', excluded='CHN IND'))} vs {pct(share('gaza', excluded='CHN IND'))}. "
        f"Weighted by GDP (PPP): {pct(share('ukraine', 'gdp_ppp'))} vs {pct(share('gaza', 'gdp_ppp'))}"
        + (
            f" ({pct(left_out)} of the population has no GDP figure and is left out)"
            if left_out
            else ""
        )
        + f". Abstaining governments held {pct(s.loc[('ukraine', 'population', ''), 'A'])} of it on Ukraine."
    )
    per = r[(r["weight"] == "population") & (r["excluded"] == "")].copy()
    per["year"] = pd.to_datetime(per["date"]).dt.year
    yearly = (
        per.groupby(["topic", "year"])
        .agg(value=("Y", "mean"), texts=("text_id", "nunique"))
        .reset_index()
    )
    plot = pd.DataFrame(
        {
            "panel": "Population-weighted Yes share",
            "who": yearly["topic"].map(lambda t: f"{TOPIC_WORDS[t]} texts"),
            "year": yearly["year"].astype(int),
            "value": yearly["value"],
            "n": yearly["texts"],
            "texts": yearly["texts"],
            "thin": yearly["texts"] < THIN_TEXTS,
        }
    )
    chart = charts_over_time.lines_by_year(
        plot,
        panels=["Population-weighted Yes share"],
        title=title,
        subtitle=(
            f"Share of the {number(len(ctx.members))} members' {year} population whose government voted Yes, mean of "
            f"the texts of each year; unknown votes are their own share. {WORLD_BANK}; "
            f"{chart_style.SOURCE_UN}."
        ),
        ylabel="population voting Yes (%)",
        colors={f"{TOPIC_WORDS[t]} texts": chart_style.TOPIC_COLORS[t] for t in TOPICS},
    )
    head = (
        f"Weighted by population ({year}), governments voting Yes held {pct(share('ukraine'))} "
        f"of the members' people on Ukraine and {pct(share('gaza'))} on Gaza "
        f"({pct(share('ukraine', excluded='CHN IND'))} vs {pct(share('gaza', excluded='CHN IND'))} "
        "without China and India)."
    )
    return Finding("weighted", sentence, "", chart, r, headline=head, texts=list(p.all_texts))


def baselines_table(ctx) -> pd.DataFrame:
    """Every state on both sets against its rates on all Assembly roll calls (the table both
    :func:`baseline` findings carry; read from the Ukraine one), without its coverage notes."""
    return ctx.finding("baseline_ukraine").data.drop(columns=["coverage_note"], errors="ignore")


def baseline(ctx, topic: str = "ukraine") -> Finding:
    """The states whose abstention on a topic most exceeds their own abstention on all GA roll
    calls (the whole-Assembly layer)."""
    p = ctx.params
    if _layer(ctx) is None:
        return left_out_finding(f"baseline_{topic}", NO_LAYER)
    df = ctx.cached(
        "baseline_vs_topic",
        lambda: bl.baseline_vs_topic(
            _layer(ctx),
            votes_ballots(ctx),
            ukraine_texts=p.ukraine_texts,
            gaza_texts=p.gaza_texts,
            window=p.window,
            profiles=_set_profiles(ctx),
        ),
    )
    top = bl.most_above_baseline(df, topic).head(BASELINE_NAMED)
    word = TOPIC_WORDS[topic]
    if top.empty:
        present = df.loc[df["topic"] == topic, "present"]
        why = (
            f"No state abstained on {the_count(len(p.texts(topic)), word + ' text')} more often "
            "than on all Assembly roll calls."
            if len(present) and present.max() >= bl.MIN_PRESENT
            else f"No state is set against its own baseline: that needs a state present on at "
            f"least {bl.MIN_PRESENT} {word} texts, and the set holds "
            f"{plural(len(p.texts(topic)), 'text')}."
        )
        return Finding(f"baseline_{topic}", why, "", None, df, headline=why, texts=p.texts(topic))
    lo, hi = top["baseline_A_rate"].min(), top["baseline_A_rate"].max()
    base_words = pct(lo) if pct(lo) == pct(hi) else f"{pct(lo)}{DASH}{pct(hi)}"
    title = (
        f"{names(top['display_name'].tolist())} abstained on {pct(top['rate_A'].min())}"
        + (
            ""
            if top["rate_A"].min() == top["rate_A"].max()
            else f"{DASH}{pct(top['rate_A'].max())}"
        )
        + f" of their {word} votes, against {base_words} of all their Assembly votes"
    )
    records = int(df["baseline_records"].max())
    sentence = (
        f"{title}: their {word} abstention is not how they vote on everything "
        f"(baseline: {plural(records, 'roll call')} of the whole Assembly, the Ukraine and Gaza "
        f"texts set aside)."
    )
    d = df[(df["topic"] == topic) & df["rate_A"].notna() & df["baseline_A_rate"].notna()].copy()
    d["label"] = d["display_name"]
    d["named"] = d["iso3"].isin(top["iso3"])
    chart = charts.scatter_diagonal(
        d[["iso3", "label", "baseline_A_rate", "rate_A", "present", "baseline_present", "named"]],
        x="baseline_A_rate",
        y="rate_A",
        title=title,
        subtitle=(
            f"Each dot a Member State: its abstention rate on all Assembly roll calls "
            f"(x; {plural(records, 'roll call')}) against that on the {word} texts (y); above the "
            f"dashed line = abstains more on {word} than on everything. {chart_style.SOURCE_UN}."
        ),
        xlabel="abstention on all Assembly roll calls (%)",
        ylabel=f"abstention on the {word} texts (%)",
        color=chart_style.TOPIC_COLORS[topic],
    )
    head = (
        f"Against their own record: {names(top['display_name'].tolist(), HEADLINE_NAMES)} abstained on "
        f"{word} far more than on Assembly votes in general ({base_words} baseline)."
    )
    return Finding(
        f"baseline_{topic}", sentence, "", chart, df, headline=head, texts=p.texts(topic)
    )


def us_all_votes(ctx) -> Finding:
    """The US's coincidence with all other states on every GA roll call, per year, beside the
    Ukraine and Gaza sets."""
    from unga_brief.analysis import posture as P

    p = ctx.params
    if _layer(ctx) is None:
        return left_out_finding("us_all_votes", NO_LAYER)
    c = ctx.cached("coincidence_all_votes", lambda: bl.coincidence_all_votes(_layer(ctx)))
    topic = P.coincidence_with_us(
        ctx.ballots(), texts=p.all_texts, window=p.window, electorate=ctx.electorate
    )
    tv = bl.topic_vs_all_votes(topic, c, method=p.coincidence_method)
    w0, w1 = p.window[0].year, p.window[1].year
    tv = tv[(tv["year"] >= w0) & (tv["year"] <= w1)].astype({"year": int})
    iso = bl.us_isolation_all_votes(c)
    iso = iso[(iso["method"] == p.coincidence_method) & iso["year"].between(w0, w1)]
    if tv.empty:
        why = "The whole-Assembly layer holds no roll call in the window's years."
        return Finding("us_all_votes", why, "", None, tv, headline=why, left_out=why)
    first, last = tv.iloc[0], tv.iloc[-1]
    label = COINCIDENCE_LABELS[p.coincidence_method]
    title = (
        f"On all Assembly roll calls other states voted with the US {pct(first['all_votes'])} of "
        f"the time in {int(first['year'])}"
        + (
            f" and {pct(last['all_votes'])} in {int(last['year'])}"
            if last["year"] != first["year"]
            else ""
        )
    )
    lasti = iso.iloc[-1] if len(iso) else None
    sentence = (
        f"{title} ({label}; {number(first['all_votes_records'])} and "
        f"{number(last['all_votes_records'])} roll calls)"
        + (
            f"; in {int(lasti['year'])}, {plural(lasti['states_at_least_half'], 'state')} voted with it at "
            f"least half the time"
            if lasti is not None
            else ""
        )
        + "."
    )
    rows = []
    for r in tv.itertuples():
        rows.append(("All Assembly votes", r.year, r.all_votes, r.all_votes_records))
        for t in TOPICS:
            v, n = getattr(r, t), getattr(r, f"{t}_n")
            if pd.notna(v) and n:
                rows.append((f"{TOPIC_WORDS[t]} texts", r.year, v, n))
    plot = pd.DataFrame(rows, columns=["who", "year", "value", "n"]).assign(
        panel="Coincidence with the US", thin=False
    )
    colors = {f"{TOPIC_WORDS[t]} texts": chart_style.TOPIC_COLORS[t] for t in TOPICS}
    colors["All Assembly votes"] = chart_style.INK
    chart = charts_over_time.lines_by_year(
        plot,
        panels=["Coincidence with the US"],
        title=title,
        subtitle=(
            f"Other states pooled, {label}; all Assembly roll calls of each calendar year in the "
            f"whole-Assembly layer against the Ukraine and Gaza texts. {chart_style.SOURCE_UN}."
        ),
        ylabel="coincidence with the US (%)",
        colors=colors,
        few_col="n",
    )
    head = f"Across the whole Assembly: {title[0].lower() + title[1:]}."
    return Finding("us_all_votes", sentence, "", chart, tv, headline=head, texts=[])


def coincidence_all_votes_table(ctx) -> pd.DataFrame:
    """``report/tables/coincidence_all_votes.csv``: per state and calendar year, the State
    Department counts and the three methods (years of the window)."""
    if _layer(ctx) is None:
        return pd.DataFrame()
    c = ctx.cached("coincidence_all_votes", lambda: bl.coincidence_all_votes(_layer(ctx)))
    t = bl.coincidence_table(c)
    w = ctx.params.window
    return t[t["year"].between(w[0].year, w[1].year)].reset_index(drop=True)


def all_votes_coverage(ctx) -> pd.DataFrame:
    """Each calendar year's roll calls held vs known to exist (the coverage of the table)."""
    from unga_brief.data.assembly import assembly_coverage
    from unga_brief.data.assembly_inputs import RECORDS_REL

    if _layer(ctx) is None:
        return pd.DataFrame()
    rec = pd.read_csv(ctx.paths.data / RECORDS_REL, dtype=str, keep_default_na=False)
    return bl.year_coverage(rec, assembly_coverage(ctx.paths))


def thresholds(ctx) -> Finding:
    """How close each vote of the window came to the other outcome: the rule, the margin and
    the fewest changed votes that would have reversed it."""
    ids = set(in_window(ctx)["id"])
    t = th.threshold_table(votes_ballots(ctx), ctx.catalog, ctx.groups, blocs=ctx.params.blocs)
    t = t[t["text_id"].isin(ids) & t["pivot"].notna()].copy()
    if t.empty:
        why = "No vote in the window has the totals a pivot needs."
        return Finding("thresholds", why, "", None, t, headline=why, left_out=why)
    ga = t[t["body"] == "GA"]
    adopted = ga[ga["adopted"].astype(str).str.lower() == "true"].sort_values(["pivot", "date"])
    failed = ga[ga["adopted"].astype(str).str.lower() == "false"].sort_values("date")
    bits = []
    if len(adopted):
        a = adopted.iloc[0]
        blocs = (
            names([group_words(ctx, b) for b in str(a["pivot_blocs"]).split()])
            if a["pivot_blocs"]
            else ""
        )
        bits.append(
            f"the closest Assembly text adopted in the window was {reader_name(ctx, a['text_id'])}: "
            f"{plural(int(a['pivot']), 'changed vote')} would have defeated it "
            f"({a['rule']} majority)"
            + (f"; {blocs} could each have done it alone" if blocs else "")
        )
    if len(failed):
        f = failed.iloc[-1]
        bits.append(
            f"the latest proposal to fail, {reader_name(ctx, f['text_id'])} "
            f"({number(f['yes'])}{DASH}{number(f['no'])}), was {plural(int(f['pivot']), 'vote')} "
            f"short ({f['rule']} majority)"
            + (
                f"; {plural(len(failed) - 1, 'other Assembly proposal')} failed in the window, "
                f"the closest by {plural(int(failed['pivot'].min()), 'vote')}"
                if len(failed) > 1
                else ""
            )
        )
    title = capital(bits[0]) if bits else "How close each Assembly vote came"
    sentence = capital("; ".join(bits)) + "." if bits else title + "."
    chart = None
    if len(ga):
        top = ga.sort_values(["pivot", "date"]).head(8).copy()  # Council vetoes are 1 by nature
        top["label"] = [
            f"{chart_label(ctx, i, 34)} ({'adopted' if str(a).lower() == 'true' else 'failed'})"
            for i, a in zip(top["text_id"], top["adopted"], strict=True)
        ]
        top["value"] = top["pivot"].astype(int)
        chart = charts.count_bars(
            top[["label", "value", "text_id", "rule", "rule_basis", "pivot_change", "pivot_blocs"]],
            title=title,
            xlabel="fewest changed votes that reverse the outcome",
            subtitle=(
                "GA: two-thirds of members present and voting on important questions (rules 83–85; "
                "the catalogue names the texts), a simple majority otherwise. The eight closest "
                f"Assembly votes of the window. {chart_style.SOURCE_UN}."
            ),
        )
    return Finding(
        "thresholds", sentence, "", chart, t, headline=sentence, texts=list(t["text_id"])
    )


def agreement_uncertainty(ctx) -> pd.DataFrame:
    """Agreement of the US with each focus country per topic, with kappa and bootstrap
    intervals over texts (seeded)."""
    p = ctx.params
    states = list(dict.fromkeys([US, *p.focus_countries]))  # the US and each focus country
    pa = ag.pair_agreement(
        ctx.ballots(),
        states,
        ukraine_texts=p.ukraine_texts,
        gaza_texts=p.gaza_texts,
        window=p.window,
        seed=0,
        only_with=US,
    )
    return pa


def cohesion(ctx) -> Finding:
    """Bloc cohesion (share of members casting the bloc's modal vote) on each topic."""
    p = ctx.params
    co = ag.cohesion_by_topic(
        votes_ballots(ctx),
        ctx.groups,
        blocs=p.blocs,
        ukraine_texts=p.ukraine_texts,
        gaza_texts=p.gaza_texts,
        window=p.window,
    )
    differ = co[co["differs"]]
    gap = f"{ag.COHESION_GAP * 100:.0f} points"
    more_g = differ[differ["difference"] < 0]["bloc"].tolist()
    more_u = differ[differ["difference"] > 0]["bloc"].tolist()
    if differ.empty:
        title = f"No bloc's cohesion differs by {gap} or more between Ukraine and Gaza"
    else:
        parts = []
        if more_g:
            parts.append(
                f"{names([group_words(ctx, b) for b in more_g])} held together far better on Gaza than on Ukraine"
            )
        if more_u:
            parts.append(f"{names([group_words(ctx, b) for b in more_u])} the other way round")
        title = capital("; ".join(parts))
    d = co.assign(label=co["bloc"].map(lambda g: group_words(ctx, g)))
    chart = charts.dumbbell(
        d[["label", "ukraine", "gaza", "ukraine_texts", "gaza_texts", "difference"]],
        left="ukraine",
        right="gaza",
        left_label="Ukraine texts",
        right_label="Gaza texts",
        title=title,
        subtitle=(
            "Cohesion: share of a bloc's members casting its most common vote, mean over the "
            f"texts of each set (membership on the vote's date). {chart_style.SOURCE_UN}."
        ),
        xlabel="members casting the bloc's modal vote (%)",
    )
    sentence = title + f" (cohesion differing by {gap} or more)." if len(differ) else title + "."
    return Finding("cohesion", sentence, "", chart, co, headline=sentence, texts=p.all_texts)


def moved_with_us(ctx) -> Finding:
    """From :data:`~unga_brief.analysis.movement.MOVEMENT_FROM`: which states moved toward the US
    position on Ukraine relative to their own earlier votes, by their Gaza profile."""
    p = ctx.params
    dates = ctx.catalog.set_index("id").loc[p.ukraine_texts, "date"]
    since = pd.Timestamp(mv.MOVEMENT_FROM)
    if not ((dates < since).any() and (dates >= since).any()):
        why = (
            f"Who moved with the US needs Ukraine texts of the set both before and from "
            f"{since:%b %Y}; the window has {plural(int((dates < since).sum()), 'text')} before and "
            f"{plural(int((dates >= since).sum()), 'text')} from then, so it is left out."
        )
        return left_out_finding("moved_with_us", why)
    m = mv.moved_with_us(votes_ballots(ctx), ukraine_texts=p.ukraine_texts, since=mv.MOVEMENT_FROM)
    known = m[~m["moved"].astype(str).str.startswith("unknown")]
    if known.empty:
        why = f"No state has Ukraine votes both before and from {since:%b %Y} in the window."
        return left_out_finding("moved_with_us", why)
    ct = mv.movement_crosstab(
        m,
        votes_ballots(ctx),
        gaza_texts=p.gaza_texts,
        window=p.window,
        profiles=_set_profiles(ctx),
    )
    toward = m[m["moved"] == "toward the US"]
    away = m[m["moved"] == "away from the US"]
    unknown = m[m["moved"].astype(str).str.startswith("unknown")]
    sentence = (
        f"From {since:%b %Y} {plural(len(toward), 'state')} moved toward the US position on Ukraine "
        f"against their own earlier votes ({names(sorted(toward['display_name']), 6)}) and "
        f"{number(len(away))} moved away; {number(len(unknown))} are counted apart (earlier or "
        "later votes unknown)."
    )
    return Finding(
        "moved_with_us", sentence, "", None, ct, headline=sentence, texts=p.ukraine_texts
    )


__all__ = [
    "agreement_uncertainty",
    "all_votes_coverage",
    "baseline",
    "coincidence_all_votes_table",
    "cohesion",
    "moved_with_us",
    "population_year",
    "thresholds",
    "us_all_votes",
    "weighted",
]
