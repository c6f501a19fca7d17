"""Findings on how the world voted and who abstains: the Yes/No/Abstain trend of each topic, the
hedgers, the profile map, abstention by group and the states that switched.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.analysis import abstention, hedging
from unga_brief.core.vocab import (
    OFFICIAL_COLUMNS,
    TOPIC_WORDS,
    VOTE_WORDS,
)
from unga_brief.report import chart_style, charts
from unga_brief.report.finding import (
    FIRM_TOLERANCE,
    Finding,
    chart_label,
    group_words,
    hedger_texts,
    left_out_finding,
    profiles,
    reader_name,
    series_words,
    set_words,
    short_ref,
    source_line,
    text_dates,
    window_catalog,
)
from unga_brief.report.words import (
    DASH,
    change,
    dash_span,
    month,
    most_of,
    names,
    number,
    pct,
    plural,
    span,
    tally,
    the_count,
)

# --- 1. How the world voted -----------------------------------------------------------------------


def topic_trend(ctx, topic: str) -> Finding:
    """Yes/No/Abstain/Non-voting per text of the topic's set (official totals): first vs latest
    text of the set, and its lowest Yes count."""
    ids = ctx.params.texts(topic)
    cat = window_catalog(ctx)
    rows = cat.loc[ids].sort_values("date")
    first, last = rows.iloc[0], rows.iloc[-1]
    word = TOPIC_WORDS[topic]
    what = set_words(ctx, ids, topic)
    if len(ids) == 1:
        title = (
            f"One {word} text in the window: {reader_name(ctx, first.name)} passed {tally(first)}"
        )
        sentence = (
            f"{title} (Yes{DASH}No{DASH}Abstain, of {number(first['members'])} members; "
            f"{number(first['official_non_voting'])} non-voting)."
            if pd.notna(first["official_non_voting"])
            else f"{title}."
        )
        head = f"{word}: one text in the window, {reader_name(ctx, first.name)} ({tally(first)})."
    else:
        d_yes = int(last["official_yes"]) - int(first["official_yes"])
        d_abs = int(last["official_abstain"]) - int(first["official_abstain"])
        yes_words = change(d_yes, "gained", "lost", "kept the same number of")
        title = (
            f"{word} texts {yes_words} Yes votes {span(first['date'], last['date'])}"
            if d_yes
            else f"{word} texts drew {number(first['official_yes'])} Yes votes at both ends, "
            f"{span(first['date'], last['date'])}"
        )
        low = rows.sort_values(["official_yes", "date"]).iloc[0]
        sentence = (
            f"{title}: {reader_name(ctx, first.name)} passed {tally(first)} and "
            f"{reader_name(ctx, last.name)} {tally(last)} (Yes{DASH}No{DASH}Abstain, of "
            f"{number(last['members'])} members); abstentions "
            + change(d_abs, "rose by", "fell by", "were unchanged")
            + (
                f"; the lowest Yes count of {the_count(len(ids), 'text')} was "
                f"{number(low['official_yes'])} ({reader_name(ctx, low.name)}, {month(low['date'])})"
                if low.name not in (first.name, last.name)
                else ""
            )
            + "."
        )
        head = (
            f"{word}: Yes votes {number(first['official_yes'])} → {number(last['official_yes'])} "
            f"of {number(last['members'])} ({dash_span(first['date'], last['date'])}, "
            f"{plural(len(ids), 'text')}); abstentions {number(first['official_abstain'])} → "
            f"{number(last['official_abstain'])}."
        )
    counts = pd.DataFrame(
        {
            "text_id": rows.index,
            "label": [chart_label(ctx, i) for i in rows.index],
            **{v: rows[c].to_numpy() for v, c in OFFICIAL_COLUMNS.items()},
            "marker": [
                "known in part" if c == "partial" else "" for c in rows["coverage"].astype(str)
            ],
        }
    )
    chart = charts.stacked_votes(
        counts,
        title=title,
        subtitle=f"Official totals of {what}, date order. {source_line(ctx, ids)}",
    )
    return Finding(
        f"{topic}_trend",
        sentence,
        "Official totals: the UN's announced counts, not affected by how the country votes are known.",
        chart,
        counts,
        headline=head,
        texts=list(ids),
        official_totals=True,
    )


# --- 2. Who abstains, and on what --------------------------------------------------------------


def hedgers(ctx) -> Finding:
    """States that abstain on most Ukraine texts of the hedger series while voting Yes on most
    of the Gaza ones, and the reverse."""
    prof = profiles(ctx)
    h = hedging.hedgers(prof)
    hed, rev = h[h["group"] == "hedger"], h[h["group"] != "hedger"]
    focus = [c for c in ctx.params.focus_countries if c in set(hed["iso3"])]
    display = ctx.members.set_index("iso3")["display_name"]
    firm_h = hedging.hedgers(profiles(ctx, firm_only=True))
    firm_set = set(firm_h.loc[firm_h["group"] == "hedger", "iso3"])
    kept = len(set(hed["iso3"]) & firm_set)
    u_ids, g_ids = hedger_texts(ctx, "ukraine"), hedger_texts(ctx, "gaza")
    su, sg = ctx.params.hedger_series["ukraine"], ctx.params.hedger_series["gaza"]
    on_u, on_g = most_of(len(u_ids), "Ukraine text"), most_of(len(g_ids), "Gaza text")
    title = (
        f"{plural(len(hed), 'state')} abstained on {on_u} but voted Yes on {on_g}; "
        f"{number(len(rev))} did the reverse"
    )
    s = (
        f"{title} ({series_words(ctx, su)}: {plural(len(u_ids), 'Ukraine text')}; {series_words(ctx, sg)}: "
        f"{plural(len(g_ids), 'Gaza text')}; majorities of the texts where each state's vote is "
        f"known and cast). Among them: "
        + (names([display[c] for c in focus]) or "none of the focus countries")
        + (
            f"; the reverse group includes {names(rev['display_name'].tolist(), 5)}"
            if len(rev)
            else ""
        )
        + "."
    )
    firm = (
        f"On UN records and complete lists alone, {number(kept)} of the {number(len(hed))} remain "
        f"({plural(len(firm_set), 'state')} by that count)."
    )
    ct = hedging.profile_crosstab(prof)
    order = ["mostly Yes", "mostly No", "mostly Abstain", "mixed", "no known vote"]
    table = ct.pivot_table(
        index="ukraine_profile",
        columns="gaza_profile",
        values="states",
        aggfunc="sum",
        fill_value=0,
    ).reindex(
        index=[o for o in order if o in set(ct["ukraine_profile"])],
        columns=[o for o in order if o in set(ct["gaza_profile"])],
        fill_value=0,
    )
    table.index.name, table.columns.name = "Ukraine", "Gaza"
    chart = charts.heatmap_counts(
        table,
        title=title,
        xlabel=f"profile on {series_words(ctx, sg)} (Gaza)",
        ylabel=f"profile on {series_words(ctx, su)} (Ukraine)",
        subtitle=(
            f"States by the vote they cast on {most_of(len(u_ids), 'Ukraine text', counted=True)} "
            f"({dash_span(*text_dates(ctx, u_ids))}) and on "
            f"{most_of(len(g_ids), 'Gaza text', counted=True)} "
            f"({dash_span(*text_dates(ctx, g_ids))}) where their vote is known; "
            f"n = {number(len(ctx.members))}. {chart_style.SOURCE_UN}."
        ),
    )
    head = (
        f"{plural(len(hed), 'state')} abstained on {on_u} but voted Yes on {on_g}"
        + (f", among them {names([display[c] for c in focus])}" if focus else "")
        + f"; {number(len(rev))} did the reverse."
    )
    holds = kept >= (1 - FIRM_TOLERANCE) * len(hed)
    return Finding("hedgers", s, firm, chart, ct, headline=head, holds=holds, texts=u_ids + g_ids)


def profile_map(ctx) -> Finding:
    """World tile-grid map of each state's Ukraine × Gaza profile (hedger series)."""
    prof = profiles(ctx)
    h = hedging.hedgers(prof)
    wide = prof.pivot(index="iso3", columns="topic", values="profile")
    cat = pd.Series("other", index=wide.index)
    cat[(wide["ukraine"] == "mostly Yes") & (wide["gaza"] == "mostly Yes")] = "Yes on both"
    cat[wide.index.isin(h.loc[h["group"] == "hedger", "iso3"])] = "abstains on Ukraine, Yes on Gaza"
    cat[wide.index.isin(h.loc[h["group"] != "hedger", "iso3"])] = "Yes on Ukraine, abstains on Gaza"
    cat[wide["ukraine"] == "mostly No"] = "mostly No on Ukraine"
    cat[wide["gaza"] == "mostly No"] = "mostly No on Gaza"
    colors = {
        "Yes on both": "#4477AA",
        "abstains on Ukraine, Yes on Gaza": "#CCBB44",
        "Yes on Ukraine, abstains on Gaza": "#66CCEE",
        "mostly No on Ukraine": "#EE6677",
        "mostly No on Gaza": "#AA3377",
        "other": "#BBBBBB",
    }
    df = cat.rename("category").reset_index()
    hed = df[df["category"] == "abstains on Ukraine, Yes on Gaza"]
    regions = ctx.members.set_index("iso3")["group_short"]
    by_region = hed["iso3"].map(regions).value_counts()
    title = f"{plural(len(hed), 'state')} abstain on Ukraine but vote Yes on Gaza"
    if len(by_region):
        top = by_region.head(2)
        title += (
            "; most are in the "
            + " and ".join(f"{g} ({int(k)})" for g, k in top.items())
            + (" groups" if len(top) > 1 else " group")
        )
    chart = charts.tile_map(
        df,
        ctx.tiles,
        colors=colors,
        title=title,
        subtitle=(
            f"Each square a Member State, coloured by its profile on "
            f"{series_words(ctx, ctx.params.hedger_series['ukraine'])} (Ukraine) and "
            f"{series_words(ctx, ctx.params.hedger_series['gaza'])} (Gaza) in the window. "
            f"{chart_style.SOURCE_UN}."
        ),
    )
    return Finding(
        "profile_map",
        title + ".",
        "As the hedger finding.",
        chart,
        df,
        texts=hedger_texts(ctx, "ukraine") + hedger_texts(ctx, "gaza"),
    )


def abstention_by_group(ctx) -> Finding:
    """Abstention rate by UN regional group and bloc, Ukraine vs Gaza sets, side by side."""

    def compute(firm_only):
        return abstention.abstention_by_topic(
            ctx.ballots(firm_only),
            ctx.groups,
            electorate=ctx.electorate,
            ukraine_texts=ctx.params.ukraine_texts,
            gaza_texts=ctx.params.gaza_texts,
            blocs=ctx.params.blocs,
            firm_only=firm_only,
        )

    ab = compute(False)
    allm = ab[ab["scope_type"] == "all"].iloc[0]
    blocs = ab[(ab["scope_type"] == "bloc") & ab["difference"].notna()]
    ids = ctx.params.all_texts
    if blocs.empty:
        title = (
            f"All members abstained on {pct(allm['ukraine_rate'])} of their Ukraine votes and "
            f"{pct(allm['gaza_rate'])} of their Gaza votes"
        )
        top = bottom = None
    else:
        blocs = blocs.assign(scope=blocs["scope"].map(lambda g: group_words(ctx, g)))
        top = blocs.sort_values(["difference", "scope"], ascending=[False, True]).iloc[0]
        bottom = blocs.sort_values(["difference", "scope"]).iloc[0]
        title = (
            f"{top['scope']} members abstained on {pct(top['ukraine_rate'])} of their Ukraine votes "
            f"and {pct(top['gaza_rate'])} of their Gaza votes"
        )
        if bottom["scope"] != top["scope"]:
            title += (
                f"; {bottom['scope']} members on {pct(bottom['ukraine_rate'])} and "
                f"{pct(bottom['gaza_rate'])}"
            )
    s = (
        f"{title}. All members: {pct(allm['ukraine_rate'])} (n = {number(allm['ukraine_n'])} votes "
        f"cast on {plural(allm['ukraine_texts'], 'text')}) vs {pct(allm['gaza_rate'])} (n = "
        f"{number(allm['gaza_n'])} on {plural(allm['gaza_texts'], 'text')})."
    )
    firm_ab = compute(True)
    firm_ab = firm_ab.assign(scope=firm_ab["scope"].map(lambda g: group_words(ctx, g))).set_index(
        "scope"
    )
    ref = top if top is not None else allm
    ft = firm_ab.loc[ref["scope"]]
    same_sign = (ft["ukraine_rate"] > ft["gaza_rate"]) == (ref["ukraine_rate"] > ref["gaza_rate"])
    close = (
        abs(ft["ukraine_rate"] - ref["ukraine_rate"]) < FIRM_TOLERANCE
        and abs(ft["gaza_rate"] - ref["gaza_rate"]) < FIRM_TOLERANCE
    )
    holds = bool(same_sign and close)
    firm = (
        f"On UN records and complete lists alone: {ref['scope']} {pct(ft['ukraine_rate'])} "
        f"(n = {number(ft['ukraine_n'])}) vs {pct(ft['gaza_rate'])} (n = {number(ft['gaza_n'])})."
    )
    d = ab.copy()
    d["label"] = [
        f"{group_words(ctx, s_)} (n={number(a)}/{number(b)})"
        for s_, a, b in zip(
            d["scope"], d["ukraine_n"].fillna(0), d["gaza_n"].fillna(0), strict=True
        )
    ]
    d = pd.concat(
        [
            d[d["scope_type"] == "all"],
            d[d["scope_type"] == "regional group"],
            d[d["scope_type"] == "bloc"].sort_values("difference", ascending=False),
        ]
    )
    cols = [
        "label",
        "scope",
        "scope_type",
        "ukraine_rate",
        "gaza_rate",
        "ukraine_n",
        "gaza_n",
        "ukraine_texts",
        "gaza_texts",
    ]
    chart = charts.dumbbell(
        d[cols],
        left="ukraine_rate",
        right="gaza_rate",
        left_label="Ukraine texts",
        right_label="Gaza texts",
        title=title,
        subtitle=(
            "Abstain ÷ (Yes + No + Abstain) of members present, per group; n = votes cast "
            "(Ukraine/Gaza); membership on each vote's date; texts with unknown abstentions "
            f"left out. {set_words(ctx, ctx.params.ukraine_texts, 'ukraine').capitalize()} and "
            f"{set_words(ctx, ctx.params.gaza_texts, 'gaza')}. {source_line(ctx, ids)}"
        ),
    )
    head = (
        (
            f"{top['scope']} members abstained on {pct(top['ukraine_rate'])} of Ukraine votes vs "
            f"{pct(top['gaza_rate'])} on Gaza"
            + (
                f"; {bottom['scope']} {pct(bottom['ukraine_rate'])} vs {pct(bottom['gaza_rate'])}"
                if bottom["scope"] != top["scope"]
                else ""
            )
            + " ("
        )
        if top is not None
        else "Abstention ("
    ) + (
        f"all members {pct(allm['ukraine_rate'])} vs {pct(allm['gaza_rate'])}, "
        f"n = {number(allm['ukraine_n'])} / {number(allm['gaza_n'])} votes)."
    )
    return Finding("abstention_by_group", s, firm, chart, ab, headline=head, holds=holds, texts=ids)


def _switch_frame(ctx, firm_only: bool) -> pd.DataFrame:
    ids = ctx.params.all_texts
    c = window_catalog(ctx).loc[ids]
    counts = c["series"].value_counts()
    series = [s for s in ctx.params.switch_series if counts.get(s, 0) >= 2]
    if not series:
        return pd.DataFrame()
    sw = hedging.switches(
        ctx.ballots(firm_only),
        series=series,
        texts=ids,
        electorate=ctx.electorate,
        firm_only=firm_only,
    )
    if sw.empty:
        return pd.DataFrame()
    ss = hedging.switch_summary(sw)
    return ss[ss["kind"] == "vote change"].reset_index(drop=True)


def switchers(ctx) -> Finding:
    """The largest group of states switching between successive texts of a series (the
    series of ``switch_series`` that have two texts or more in the sets)."""
    ids = ctx.params.all_texts
    counts = window_catalog(ctx).loc[ids]["series"].value_counts()
    usable = [s for s in ctx.params.switch_series if counts.get(s, 0) >= 2]
    if not usable:
        return left_out_finding(
            "switchers",
            f"No switch can be measured: none of {names([series_words(ctx, x) for x in ctx.params.switch_series])} "
            "has two texts in the sets.",
        )
    ss = _switch_frame(ctx, False)
    if ss.empty:
        why = f"No state changed its vote between successive texts of {', '.join(usable)}."
        return Finding("switchers", why, "", None, ss, headline=why, texts=ids)
    top = ss.iloc[0]
    firm_ss = _switch_frame(ctx, True)
    a, b = top["change"].split("→")
    title = (
        f"The largest switch: {plural(top['states'], 'state')} went from {VOTE_WORDS[a]} to "
        f"{VOTE_WORDS[b]} between {reader_name(ctx, top['from_text'])} and {reader_name(ctx, top['to_text'])}"
    )
    s = f"{title} ({names(top['names'].split(', '), 5)})."
    if firm_ss.empty:
        same, firm = False, "On UN records and complete lists alone no switch is seen."
    else:
        ft = firm_ss.iloc[0]
        same = ft["from_text"] == top["from_text"] and ft["change"] == top["change"]
        fa, fb = ft["change"].split("→")
        firm = (
            "Holds on UN records and complete lists alone."
            if same
            else f"On UN records and complete lists alone the largest switch is "
            f"{plural(ft['states'], 'state')} from {VOTE_WORDS[fa]} to {VOTE_WORDS[fb]} between "
            f"{reader_name(ctx, ft['from_text'])} and {reader_name(ctx, ft['to_text'])}."
        )
    top8 = ss.head(8).copy()
    top8["label"] = [
        f"{short_ref(ctx, r.from_text)} → {short_ref(ctx, r.to_text)}: "
        f"{VOTE_WORDS[r.change[0]]} to {VOTE_WORDS[r.change[-1]]}"
        for r in top8.itertuples()
    ]
    top8["texts"] = [
        f"{chart_label(ctx, r.from_text)} → {chart_label(ctx, r.to_text)}"
        for r in top8.itertuples()
    ]
    top8["value"] = top8["states"]
    chart = charts.count_bars(
        top8[["label", "value", "texts", "series", "from_text", "to_text", "change", "names"]],
        title=title,
        xlabel="states switching",
        subtitle=(
            f"Switches between successive texts of {names([series_words(ctx, x) for x in usable])} in the window; "
            f"{the_count(len(top8), 'largest group')}. {chart_style.SOURCE_UN}."
        ),
    )
    head = (
        f"Largest switch: {plural(top['states'], 'state')} from {VOTE_WORDS[a]} to {VOTE_WORDS[b]} "
        f"between {reader_name(ctx, top['from_text'])} and {reader_name(ctx, top['to_text'])}."
    )
    return Finding("switchers", s, firm, chart, ss, headline=head, holds=bool(same), texts=ids)
