"""The briefing's findings: each a sentence with its number and n, computed from the data, with
the chart that shows it (title = the finding) and whether it holds on record + list votes alone.

Every function takes the notebook :class:`~unga_brief.context.Context` (parameters + data) and
returns a :class:`Finding`; nothing here is typed from the record — only words around numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import charts
from . import measures as M
from . import posture as P
from .catalog import text_label

DASH = "–"
#: A finding "holds" on record + list votes alone when the figure moves by less than this
#: (a share, 0..1), or when at least this much less than all of the states named stay named.
FIRM_TOLERANCE = 0.1
US = "USA"


@dataclass
class Finding:
    """A finding: ``sentence`` (page 1), ``firm`` (does it hold on record + list votes alone),
    ``chart`` (its chart, title = the finding) and ``data`` (the numbers behind it)."""

    key: str
    sentence: str
    firm: str
    chart: charts.Chart | None = None
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    headline: str = ""
    holds: bool | None = None  # on record + list votes alone (None: not a row-level finding)

    @property
    def firm_tag(self) -> str:
        """A short mark for page 1: does the finding hold on records and complete lists alone?"""
        if self.holds is None:
            return "official totals" if "official totals" in self.firm.lower() else ""
        return (
            "holds on records and complete lists alone"
            if self.holds
            else "rests partly on derived or news-named rows"
        )


def _n(v) -> str:
    return f"{int(v):,}"


def _tally(row, prefix: str = "official_") -> str:
    vals = [row[f"{prefix}{k}"] for k in ("yes", "no", "abstain")]
    return DASH.join("?" if pd.isna(v) else str(int(v)) for v in vals)


def _month(d) -> str:
    return pd.Timestamp(d).strftime("%b %Y")


def _day(d) -> str:
    t = pd.Timestamp(d)
    return f"{t.day} {t:%b %Y}"


def _names(items, limit: int = 6) -> str:
    items = list(items)
    if len(items) <= limit:
        return (
            ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] if items else ""
        )
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _text(ctx, tid: str) -> pd.Series:
    return ctx.catalog.set_index("id").loc[tid]


def _name(ctx, tid: str) -> str:
    t = _text(ctx, tid)
    return text_label(t.to_dict() | {"id": tid})


def _source_line(ctx, ids) -> str:
    c = ctx.catalog[ctx.catalog["id"].isin(ids)]
    mix = {"full": 0, "partial": 0, "totals": 0}
    mix.update(c["coverage"].astype(str).value_counts().to_dict())
    return (
        f"{len(c)} texts ({mix['full']} full roll calls, {mix['partial']} known in part, "
        f"{mix['totals']} in totals only). {charts.SOURCE_UN}."
    )


def _us_votes(ctx) -> pd.DataFrame:
    return ctx.cached(
        "us_votes", lambda: P.us_votes(ctx.votes, ctx.catalog, electorate=ctx.electorate)
    )


def _latest_in_series(ctx, ids: list[str], series: str) -> list[str]:
    c = ctx.catalog[ctx.catalog["id"].isin(ids) & (ctx.catalog["series"] == series)]
    return c.sort_values(["date", "id"])["id"].tolist()


# --- 1. How the world voted -------------------------------------------------------------------


def topic_trend(ctx, topic: str) -> Finding:
    """Yes/No/Abstain/Non-voting per text of a topic (official totals), first vs latest of the
    emergency-session series."""
    ids = ctx.params.ukraine_texts if topic == "ukraine" else ctx.params.gaza_texts
    series = ctx.params.hedger_series[topic]
    cat = ctx.catalog.set_index("id")
    es = _latest_in_series(ctx, ids, series) or ids
    first, last = cat.loc[es[0]], cat.loc[es[-1]]
    d_yes = int(last["official_yes"]) - int(first["official_yes"])
    d_abs = int(last["official_abstain"]) - int(first["official_abstain"])
    label = "Ukraine" if topic == "ukraine" else "Gaza"
    verb = "lost" if d_yes < 0 else "gained"
    title = (
        f"{label} emergency-session texts {verb} {abs(d_yes)} Yes votes between "
        f"{_month(first['date'])} and {_month(last['date'])}"
    )
    low = cat.loc[es].sort_values("official_yes").iloc[0]
    sentence = (
        f"{title}: {_name(ctx, es[0])} passed {_tally(first)} and {_name(ctx, es[-1])} "
        f"{_tally(last)} (Yes{DASH}No{DASH}Abstain, of {int(last['members'])}); abstentions "
        f"{'rose' if d_abs > 0 else 'fell'} by {abs(d_abs)}"
        + (
            f"; the low was {int(low['official_yes'])} Yes ({_name(ctx, low.name)}, {_month(low['date'])})"
            if low.name not in (es[0], es[-1])
            else ""
        )
        + "."
    )
    rows = cat.loc[ids].reset_index()
    counts = pd.DataFrame(
        {
            "text_id": rows["id"],
            "label": [
                f"{_name(ctx, i)[:40]} · {_month(d)}" for i, d in zip(rows["id"], rows["date"])
            ],
            "Y": rows["official_yes"],
            "N": rows["official_no"],
            "A": rows["official_abstain"],
            "X": rows["official_non_voting"],
            "marker": [
                "known in part" if c == "partial" else "" for c in rows["coverage"].astype(str)
            ],
        }
    )
    chart = charts.stacked_votes(
        counts,
        title=title,
        subtitle=f"Official totals of each text, date order. {_source_line(ctx, ids)}",
    )
    headline = (
        f"{label} emergency-session texts {verb} {abs(d_yes)} Yes votes, {_month(first['date'])} → "
        f"{_month(last['date'])} ({int(first['official_yes'])} → {int(last['official_yes'])} of {int(last['members'])}); "
        f"abstentions {int(first['official_abstain'])} → {int(last['official_abstain'])}."
    )
    return Finding(
        f"{topic}_trend",
        sentence,
        "Official totals: not affected by derived or named rows.",
        chart,
        counts,
        headline=headline,
    )


# --- 3. Where the United States stands --------------------------------------------------------


def us_2026(ctx) -> Finding:
    """The 24 Feb 2026 text, the US vote on it, and the failed US amendment with its backers."""
    cat = ctx.catalog
    es = _latest_in_series(ctx, ctx.params.ukraine_texts, ctx.params.hedger_series["ukraine"])
    tid = es[-1]
    t = _text(ctx, tid)
    usv = _us_votes(ctx).set_index("text_id")
    us_vote = usv.loc[tid, "us_vote"] if tid in usv.index else pd.NA
    amend = cat[
        (cat["kind"] == "amendment") & (cat["date"] == t["date"]) & (cat["topic"] == "ukraine")
    ]
    parts = [
        f"On {_day(t['date'])} the Assembly adopted \u201c{t['short_title']}\u201d {_tally(t)} "
        f"({int(t['official_non_voting'])} non-voting)"
    ]
    if not pd.isna(us_vote):
        parts.append(f"the United States {M_VERB[us_vote]}")
    backers = pd.DataFrame()
    if len(amend):
        a = amend.iloc[0]
        pos = P.amendment_positions(ctx.votes, a["id"], cat, electorate=ctx.electorate)
        backers = pos[pos["backed"]]
        backers = (
            backers.assign(
                display_name=backers["display_name"].replace(
                    {"United States": "the United States"}
                ),
                _us=backers["iso3"] != US,
            )
            .sort_values(["_us", "iso3"])
            .drop(columns="_us")
        )
        names = _names(backers["display_name"].tolist())
        us_a = pos.set_index("iso3")["vote"].get(US)
        parts.append(
            f"after {'its' if us_a == 'Y' else 'a'} amendment to strike the territorial-integrity paragraphs "
            f"{'failed' if not a['adopted'] else 'passed'} {_tally(a)}; of its {int(a['official_yes'])} supporters the sources name only {names}"
        )
    cov = t["coverage"]
    firm = (
        (
            "Rests on named (news) rows for the US vote: the roll call is known in part "
            f"({'No list complete' if t['complete_lists'] == 'N' else 'lists complete: ' + (t['complete_lists'] or 'none')})."
        )
        if cov != "full"
        else "Holds: full roll call."
    )
    head = f"{_day(t['date'])}: the Assembly backed Ukraine {_tally(t)}"
    if not pd.isna(us_vote):
        head += f"; the US {M_VERB[us_vote]}"
    if len(amend):
        head += (
            f", after its amendment to strike the territorial-integrity paragraphs failed {_tally(a)} "
            f"(named backers: {_names(backers['display_name'].tolist())}; the roll calls are known only in part)"
        )
    return Finding(
        "us_2026",
        ", ".join([parts[0], "; ".join(parts[1:])]) + ".",
        firm,
        None,
        backers,
        headline=head + ".",
        holds=cov == "full",
    )


M_VERB = {"Y": "voted Yes", "N": "voted No", "A": "abstained", "X": "did not vote"}


def us_2025_break(ctx) -> Finding:
    """Feb 2025: the US No with Russia on the European text, abstaining on its own draft as amended."""
    rw = P.us_with_russia(ctx.votes, ctx.catalog, electorate=ctx.electorate)
    ga = rw[(rw["body"] == "GA") & (rw["kind"] == "resolution") & (rw["topic"] == "ukraine")]
    usv = _us_votes(ctx)
    if ga.empty:
        return Finding(
            "us_2025",
            "The United States never voted with Russia on a Ukraine resolution.",
            "",
            None,
            rw,
        )
    first = ga.sort_values("date").iloc[0]
    same_day = usv[
        (usv["date"] == first["date"])
        & (usv["body"] == "GA")
        & (usv["kind"] == "resolution")
        & (usv["text_id"] != first["text_id"])
    ]
    t = _text(ctx, first["text_id"])
    s = (
        f"On {_day(first['date'])} the United States voted {'No' if first['vote'] == 'N' else 'Yes'} on "
        f"{first['name']} with Russia and {int(first['same_as_us']) - 1} other states ({_tally(t)})"
    )
    for r in same_day.itertuples():
        s += f", and {M_VERB[r.us_vote]} on {r.name} (\u201c{r.short_title}\u201d)"
    basis = ctx.votes[(ctx.votes["text_id"] == first["text_id"]) & (ctx.votes["iso3"] == US)][
        "basis"
    ].astype(str)
    firm = (
        "Holds: UN Digital Library record."
        if (basis == "record").all()
        else "Rests on non-record rows."
    )
    n_with = len(rw)
    s += f". In all, the US and Russia cast the same Yes or No on {n_with} of {int(rw['compared'].iloc[0])} texts compared."
    head = (
        f"{_day(first['date'])}: the US voted {'No' if first['vote'] == 'N' else 'Yes'} with Russia on "
        f"{first['name']} ({_tally(t)})"
    )
    for r in same_day.itertuples():
        head += f" and {M_VERB[r.us_vote]} on {r.name}, its own draft as amended"
    return Finding(
        "us_2025", s, firm, None, rw, headline=head + ".", holds=bool((basis == "record").all())
    )


def us_gaza(ctx) -> Finding:
    """US No on the GA Gaza ceasefire texts and its Security Council vetoes on Gaza."""
    cat = ctx.catalog
    usv = _us_votes(ctx)
    cease = set(cat.loc[cat["tags"].str.contains("ceasefire"), "id"])
    ga = usv[usv["text_id"].isin(cease) & (usv["body"] == "GA") & (usv["topic"] == "gaza")]
    iso = P.us_isolation(ctx.votes, cat, electorate=ctx.electorate).set_index("text_id")
    vetoes = usv[(usv["body"] == "SC") & (usv["topic"] == "gaza") & usv["us_veto"]]
    cease_vetoes = vetoes[vetoes["text_id"].isin(cease)]
    no = ga[ga["us_vote"] == "N"]
    fewest = iso.loc[no["text_id"], "same_as_us"].min() if len(no) else pd.NA
    others = int(iso.loc[ga["text_id"], "others"].max()) if len(ga) else 0
    s = (
        f"The United States voted No on {len(no)} of the {len(ga)} Assembly texts demanding a ceasefire or truce in Gaza "
        f"({_month(ga['date'].min())}{DASH}{_month(ga['date'].max())}), joined by as few as {int(fewest)} of {others} other states, "
        f"and vetoed {len(vetoes)} Security Council texts on Gaza ({len(cease_vetoes)} of them ceasefire drafts or amendments) "
        f"between {_month(vetoes['date'].min())} and {_month(vetoes['date'].max())}."
    )
    firm = (
        "Holds for the Assembly texts (UN Digital Library records); the vetoes rest on the catalogue's "
        "vetoed_by and Security Council press releases (named rows)."
    )
    head = (
        f"Gaza: the US voted No on {len(no)} of {len(ga)} Assembly ceasefire texts (as few as {int(fewest)} "
        f"of {others} states voted with it) and cast {len(vetoes)} Council vetoes, "
        f"{_month(vetoes['date'].min())}–{_month(vetoes['date'].max())}."
    )
    ga_basis = ctx.votes[ctx.votes["text_id"].isin(ga["text_id"]) & (ctx.votes["iso3"] == US)][
        "basis"
    ].astype(str)
    return Finding(
        "us_gaza",
        s,
        firm,
        None,
        pd.concat([ga, vetoes]),
        headline=head,
        holds=bool((ga_basis == "record").all()),
    )


def us_timeline(ctx) -> Finding:
    """The US vote on every GA and SC text of both topics, vetoes ringed, the 2025 break and the
    2026 amendment marked."""
    usv = _us_votes(ctx)
    usv = usv[usv["date"] >= ctx.params.window[0]]
    unknown = int(usv["us_vote"].isna().sum())
    usv = usv[usv["us_vote"].notna()]
    lane = {
        ("GA", "ukraine"): "Assembly · Ukraine",
        ("GA", "gaza"): "Assembly · Gaza",
        ("SC", "ukraine"): "Council · Ukraine",
        ("SC", "gaza"): "Council · Gaza",
    }
    d = pd.DataFrame(
        {
            "date": usv["date"],
            "lane": [lane[(b, t)] for b, t in zip(usv["body"], usv["topic"])],
            "vote": usv["us_vote"].astype("string").fillna("?"),
            "label": usv["name"],
            "veto": usv["us_veto"],
            "partial": usv["coverage"].astype(str) != "full",
            "kind": usv["kind"],
            "note": "",
        }
    )
    amend = d["kind"] == "amendment"
    d.loc[amend & (d["lane"] == "Assembly · Ukraine") & (d["vote"] == "Y"), "note"] = "US amendment"
    n_veto = int(d["veto"].sum())
    n_no_gaza = int(((d["lane"] == "Assembly · Gaza") & (d["vote"] == "N")).sum())
    n_gaza = int((d["lane"] == "Assembly · Gaza").sum())
    breaks = d[
        (d["lane"] == "Assembly · Ukraine")
        & d["vote"].isin(["N", "A"])
        & (d["kind"] != "amendment")
    ]
    title = (
        f"The US cast {n_veto} vetoes and voted No on {n_no_gaza} of {n_gaza} Assembly Gaza texts; "
        f"on Ukraine it moved from Yes to No or abstention on {len(breaks)} texts from {_month(breaks['date'].min()) if len(breaks) else '-'}"
    )
    chart = charts.vote_timeline(
        d,
        lanes=list(lane.values()),
        title=title,
        subtitle=f"US vote on each text, {ctx.params.window[0]:%Y}\u2013; ringed: US veto; "
        f"hollow: roll call known only in part; {unknown} texts where the US vote is not known are "
        f"left out. {charts.SOURCE_UN}.",
    )
    return Finding(
        "us_timeline",
        title + ".",
        "The GA votes rest on records; the Council votes on press releases.",
        chart,
        d,
    )


# --- 2. Who abstains, and on what -------------------------------------------------------------


def _profiles(ctx, firm_only: bool = False) -> pd.DataFrame:
    u = _latest_in_series(ctx, ctx.params.ukraine_texts, ctx.params.hedger_series["ukraine"])
    g = _latest_in_series(ctx, ctx.params.gaza_texts, ctx.params.hedger_series["gaza"])
    return ctx.cached(
        ("profiles", firm_only),
        lambda: M.country_profiles(
            ctx.votes, ukraine_texts=u, gaza_texts=g, firm_only=firm_only, electorate=ctx.electorate
        ),
    )


def hedgers(ctx) -> Finding:
    """States that abstain on most Ukraine texts while voting Yes on most Gaza texts, and the reverse."""
    prof = _profiles(ctx)
    h = M.hedgers(prof)
    hed, rev = h[h["group"] == "hedger"], h[h["group"] != "hedger"]
    focus = [c for c in ctx.params.focus_countries if c in set(hed["iso3"])]
    names = ctx.members.set_index("iso3")["display_name"]
    firm_h = M.hedgers(_profiles(ctx, firm_only=True))
    firm_set = set(firm_h.loc[firm_h["group"] == "hedger", "iso3"])
    kept = len(set(hed["iso3"]) & firm_set)
    u_n = int(prof[prof["topic"] == "ukraine"]["texts"].max())
    g_n = int(prof[prof["topic"] == "gaza"]["texts"].max())
    title = (
        f"{len(hed)} states abstained on most Ukraine texts but voted Yes on most Gaza texts; "
        f"{len(rev)} did the reverse"
    )
    s = (
        f"{title} (emergency sessions: {u_n} Ukraine and {g_n} Gaza texts; majorities of the texts where each "
        f"state's vote is known and cast). Among the hedgers: {_names([names[c] for c in focus]) or 'none of the focus countries'}; "
        f"the reverse group includes {_names(rev['display_name'].tolist(), 5)}."
    )
    firm = (
        f"Holds for {kept} of the {len(hed)} hedgers on record + list votes alone "
        f"({len(firm_set)} hedgers by that count, over fewer Ukraine texts)."
    )
    ct = M.profile_crosstab(prof)
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
        xlabel="profile on the Gaza emergency-session texts",
        ylabel="profile on the Ukraine texts",
        subtitle=(
            f"States by the vote they cast on most of the {u_n} ES-11 (Ukraine) and {g_n} ES-10 (Gaza) texts "
            f"where their vote is known; n = {len(ctx.members)}. {charts.SOURCE_UN}."
        ),
    )
    head = (
        f"{len(hed)} states abstained on most Ukraine texts but voted Yes on most Gaza texts"
        + (f", among them {_names([names[c] for c in focus])}" if focus else "")
        + f"; {len(rev)} did the reverse."
    )
    return Finding(
        "hedgers", s, firm, chart, ct, headline=head, holds=kept >= (1 - FIRM_TOLERANCE) * len(hed)
    )


def abstention_by_group(ctx) -> Finding:
    """Abstention rate by UN regional group and bloc, Ukraine vs Gaza, side by side."""
    ab = M.abstention_by_topic(
        ctx.votes,
        ctx.groups,
        electorate=ctx.electorate,
        ukraine_texts=ctx.params.ukraine_texts,
        gaza_texts=ctx.params.gaza_texts,
    )
    ab = ab[(ab["scope_type"] != "bloc") | ab["scope"].isin(ctx.params.blocs)]
    blocs = ab[ab["scope_type"] == "bloc"].copy()
    top = blocs.sort_values("difference", ascending=False).iloc[0]
    bottom = blocs.sort_values("difference").iloc[0]
    allm = ab[ab["scope_type"] == "all"].iloc[0]

    def pct(v):
        return f"{v * 100:.0f}%"

    title = (
        f"{top['scope']} members abstained on {pct(top['ukraine_rate'])} of their Ukraine votes but "
        f"{pct(top['gaza_rate'])} of their Gaza votes; {bottom['scope']} members the reverse "
        f"({pct(bottom['ukraine_rate'])} vs {pct(bottom['gaza_rate'])})"
    )
    s = (
        f"{title}. All members: {pct(allm['ukraine_rate'])} (n = {int(allm['ukraine_n'])} votes cast on "
        f"{int(allm['ukraine_texts'])} texts) vs {pct(allm['gaza_rate'])} (n = {int(allm['gaza_n'])} on "
        f"{int(allm['gaza_texts'])} texts)."
    )
    firm_ab = M.abstention_by_topic(
        ctx.votes,
        ctx.groups,
        electorate=ctx.electorate,
        ukraine_texts=ctx.params.ukraine_texts,
        gaza_texts=ctx.params.gaza_texts,
        firm_only=True,
    ).set_index("scope")
    ft = firm_ab.loc[top["scope"]]
    holds = (ft["ukraine_rate"] > ft["gaza_rate"]) == (top["ukraine_rate"] > top["gaza_rate"])
    firm = (
        f"{'Holds' if holds else 'Does not hold'} on record + list votes alone: {top['scope']} "
        f"{pct(ft['ukraine_rate'])} (n = {int(ft['ukraine_n'])}) vs {pct(ft['gaza_rate'])} (n = {int(ft['gaza_n'])})."
    )
    d = ab.copy()
    d["label"] = [
        f"{s_} (n={int(a)}/{int(b)})" for s_, a, b in zip(d["scope"], d["ukraine_n"], d["gaza_n"])
    ]
    d = pd.concat(
        [
            d[d["scope_type"] == "all"],
            d[d["scope_type"] == "regional group"],
            d[d["scope_type"] == "bloc"].sort_values("difference", ascending=False),
        ]
    )
    chart = charts.dumbbell(
        d[
            [
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
        ],
        left="ukraine_rate",
        right="gaza_rate",
        left_label="Ukraine texts",
        right_label="Gaza texts",
        title=title,
        subtitle=(
            f"Abstain ÷ (Yes + No + Abstain) of members present, per group; n = votes cast "
            f"(Ukraine/Gaza); membership on each vote's date; texts with unknown abstentions left out. "
            f"{_source_line(ctx, ctx.params.ukraine_texts + ctx.params.gaza_texts)}"
        ),
    )
    head = (
        f"{top['scope']} members abstained on {pct(top['ukraine_rate'])} of Ukraine votes vs "
        f"{pct(top['gaza_rate'])} on Gaza; {bottom['scope']} {pct(bottom['ukraine_rate'])} vs "
        f"{pct(bottom['gaza_rate'])} (all members {pct(allm['ukraine_rate'])} vs {pct(allm['gaza_rate'])}, "
        f"n = {_n(allm['ukraine_n'])} / {_n(allm['gaza_n'])} votes)."
    )
    return Finding("abstention_by_group", s, firm, chart, ab, headline=head, holds=bool(holds))


def switchers(ctx) -> Finding:
    """The largest group of states switching between successive texts of a series."""
    sw = M.switches(ctx.votes, series=ctx.params.switch_series, electorate=ctx.electorate)
    ss = M.switch_summary(sw)
    ss = ss[ss["kind"] == "vote change"]
    top = ss.iloc[0]
    firm_ss = M.switch_summary(
        M.switches(
            ctx.votes, series=ctx.params.switch_series, electorate=ctx.electorate, firm_only=True
        )
    )
    firm_ss = firm_ss[firm_ss["kind"] == "vote change"]
    ft = firm_ss.iloc[0]
    words = {"Y": "Yes", "N": "No", "A": "Abstain", "X": "non-voting"}
    a, b = top["change"].split("→")
    title = (
        f"The largest switch: {int(top['states'])} states went from {words[a]} to {words[b]} between "
        f"{top['from_name']} and {top['to_name']}"
    )
    s = f"{title} ({_names(top['names'].split(', '), 5)})."
    same = ft["from_text"] == top["from_text"] and ft["change"] == top["change"]
    fa, fb = ft["change"].split("→")
    firm = (
        "Holds on record + list votes alone."
        if same
        else f"On record + list votes alone the largest switch is {int(ft['states'])} states from {words[fa]} to "
        f"{words[fb]} between {ft['from_name']} and {ft['to_name']} (the one above involves a derived roll call)."
    )
    top8 = ss.head(8).copy()
    top8["label"] = [
        f"{r.from_name.replace('A/RES/', '')} → {r.to_name.replace('A/RES/', '')}: {r.change.replace('A', 'Abstain').replace('Y', 'Yes').replace('N', 'No').replace('X', 'non-voting')}"
        for r in top8.itertuples()
    ]
    top8["value"] = top8["states"]
    chart = charts.count_bars(
        top8[["label", "value", "series", "from_text", "to_text", "change", "names"]],
        title=title,
        xlabel="states switching",
        subtitle=(
            f"Switches between successive texts of the series {', '.join(ctx.params.switch_series)}; "
            f"the eight largest groups. {charts.SOURCE_UN}."
        ),
    )
    head = (
        f"Largest switch: {int(top['states'])} states from {words[a]} to {words[b]} between "
        f"{top['from_name']} and {top['to_name']}."
    )
    return Finding("switchers", s, firm, chart, ss, headline=head, holds=bool(same))


def profile_map(ctx) -> Finding:
    """World tile-grid map of each state's Ukraine × Gaza profile."""
    prof = _profiles(ctx)
    h = M.hedgers(prof)
    wide = prof.pivot(index="iso3", columns="topic", values="profile")
    cat = pd.Series("other", index=wide.index)
    cat[(wide["ukraine"] == "mostly Yes") & (wide["gaza"] == "mostly Yes")] = "Yes on both"
    cat[wide.index.isin(h.loc[h["group"] == "hedger", "iso3"])] = "abstains on Ukraine, Yes on Gaza"
    cat[wide.index.isin(h.loc[h["group"] != "hedger", "iso3"])] = "Yes on Ukraine, abstains on Gaza"
    cat[(wide["ukraine"] == "mostly No")] = "mostly No on Ukraine"
    cat[(wide["gaza"] == "mostly No")] = "mostly No on Gaza"
    colors = {
        "Yes on both": "#4477AA",
        "abstains on Ukraine, Yes on Gaza": "#CCBB44",
        "Yes on Ukraine, abstains on Gaza": "#66CCEE",
        "mostly No on Ukraine": "#EE6677",
        "mostly No on Gaza": "#AA3377",
        "other": "#BBBBBB",
    }
    df = cat.rename("category").reset_index()
    n_h = int((df["category"] == "abstains on Ukraine, Yes on Gaza").sum())
    regions = ctx.members.set_index("iso3")["group_short"]
    by_region = (
        df[df["category"] == "abstains on Ukraine, Yes on Gaza"]["iso3"].map(regions).value_counts()
    )
    title = f"{n_h} states abstain on Ukraine but vote Yes on Gaza"
    if len(by_region):
        title += (
            "; most are in the "
            + " and ".join(f"{g} ({int(k)})" for g, k in by_region.head(2).items())
            + (" groups" if len(by_region) > 1 else " group")
        )
    chart = charts.tile_map(
        df,
        ctx.tiles,
        colors=colors,
        title=title,
        subtitle=f"Each square a Member State, coloured by its profile on the emergency-session texts. {charts.SOURCE_UN}.",
    )
    return Finding("profile_map", title + ".", "As the hedger finding.", chart, df)


def partners(ctx) -> Finding:
    """Agreement index of the US with the EU, G7, NATO, Russia and China, by topic and year."""
    ag = P.agreement_with_us(
        ctx.votes,
        ctx.groups,
        electorate=ctx.electorate,
        texts=ctx.params.ukraine_texts + ctx.params.gaza_texts,
    )
    eu_u = ag[(ag["partner"] == "EU") & (ag["topic"] == "ukraine")].sort_values("year")
    eu_g = ag[(ag["partner"] == "EU") & (ag["topic"] == "gaza")].sort_values("year")
    last_full = eu_u[eu_u["members"] >= 20].iloc[-1]
    first = eu_u.iloc[0]

    def pct(v):
        return f"{v * 100:.0f}%"

    title = (
        f"EU members' agreement with the US on Ukraine fell from {pct(first['agreement'])} in {first['year']} "
        f"to {pct(last_full['agreement'])} in {last_full['year']}; on Gaza it was {pct(eu_g.iloc[-1]['agreement'])} in {eu_g.iloc[-1]['year']}"
    )
    s = (
        f"{title} (agreement index, n = {int(first['n'])}, {int(last_full['n'])} and {int(eu_g.iloc[-1]['n'])} "
        f"member-text pairs)."
    )
    firm_ag = P.agreement_with_us(
        ctx.votes,
        ctx.groups,
        electorate=ctx.electorate,
        texts=ctx.params.ukraine_texts + ctx.params.gaza_texts,
        firm_only=True,
    )
    f = firm_ag[
        (firm_ag["partner"] == "EU")
        & (firm_ag["topic"] == "ukraine")
        & (firm_ag["year"] == last_full["year"])
    ]
    firm = (
        f"Holds on record + list votes alone: {pct(f['agreement'].iloc[0])} in {last_full['year']} (n = {int(f['n'].iloc[0])})."
        if len(f)
        else "No record + list votes for that year."
    )
    d = ag[ag["members"] > 0].copy()
    d = d[~((d["partner_kind"] == "group") & (d["members"] < 5))]
    plot = pd.DataFrame(
        {
            "panel": d["topic"].map({"ukraine": "Ukraine texts", "gaza": "Gaza texts"}),
            "who": d["partner"],
            "year": d["year"].astype(int),
            "value": d["agreement"],
            "n": d["n"],
        }
    )
    chart = charts.lines_by_year(
        plot,
        panels=["Ukraine texts", "Gaza texts"],
        title=title,
        subtitle=(
            "Agreement index with the US (Yes = 1, Abstain = 0.5, No = 0; 1 − |difference|, "
            "averaged over texts where both voted; groups: members' mean, membership on the "
            f"vote's date). {charts.SOURCE_UN}."
        ),
    )
    head = (
        f"EU agreement with the US on Ukraine: {pct(first['agreement'])} in {first['year']}, "
        f"{pct(last_full['agreement'])} in {last_full['year']} (n = {_n(last_full['n'])} pairs); "
        f"on Gaza {pct(eu_g.iloc[-1]['agreement'])} in {eu_g.iloc[-1]['year']}."
    )
    holds = (
        bool(len(f))
        and abs(float(f["agreement"].iloc[0]) - float(last_full["agreement"])) < FIRM_TOLERANCE
    )
    return Finding("partners", s, firm, chart, ag, headline=head, holds=holds)


def coincidence(ctx) -> Finding:
    """Coincidence of all states with the US under the chosen State Department method, the
    other two beside it."""
    co = P.coincidence_with_us(
        ctx.votes,
        electorate=ctx.electorate,
        by=("topic",),
        texts=ctx.params.ukraine_texts + ctx.params.gaza_texts,
    )
    pooled = (
        co.groupby(["topic", "method"])
        .agg(
            same=("same", "sum"),
            opposite=("opposite", "sum"),
            partial=("partial", "sum"),
            n=("n", "sum"),
        )
        .reset_index()
    )
    pooled["value"] = [
        M.coincidence_from_counts(s, o, p)
        for s, o, p in zip(pooled["same"], pooled["opposite"], pooled["partial"])
    ]
    method = ctx.params.coincidence_method
    label = {
        "votes_only": "votes only (to 2016)",
        "state_2017": "2017 method",
        "state_2021": "2021 method",
    }
    pooled["label"] = [
        f"{t.capitalize()} · {label[m]}" for t, m in zip(pooled["topic"], pooled["method"])
    ]
    sel = pooled.set_index(["topic", "method"])
    u, g = sel.loc[("ukraine", method)], sel.loc[("gaza", method)]
    title = (
        f"Other states voted with the US {u['value'] * 100:.0f}% of the time on Ukraine but "
        f"{g['value'] * 100:.0f}% on Gaza ({label[method]})"
    )
    others = [m for m in label if m != method]
    s = (
        f"{title}; n = {int(u['n'])} and {int(g['n'])} state-text pairs. Other methods: "
        + "; ".join(
            f"{label[m]} {sel.loc[('ukraine', m), 'value'] * 100:.0f}% vs {sel.loc[('gaza', m), 'value'] * 100:.0f}%"
            for m in others
        )
        + "."
    )
    firm_co = P.coincidence_with_us(
        ctx.votes,
        electorate=ctx.electorate,
        by=("topic",),
        texts=ctx.params.ukraine_texts + ctx.params.gaza_texts,
        methods=(method,),
        firm_only=True,
    )
    fu = firm_co[firm_co["topic"] == "ukraine"][["same", "opposite", "partial", "n"]].sum()
    firm = f"On record + list votes alone, Ukraine: {M.coincidence_from_counts(fu['same'], fu['opposite'], fu['partial']) * 100:.0f}% (n = {int(fu['n'])})."
    order = pooled.assign(
        _m=pooled["method"].map({method: 0, **{m: i + 1 for i, m in enumerate(others)}}),
        _t=pooled["topic"].map({"ukraine": 0, "gaza": 1}),
    ).sort_values(["_t", "_m"])
    chart = charts.bars(
        order[["label", "value", "n", "topic", "method", "same", "opposite", "partial"]],
        title=title,
        xlabel="coincidence with the US (%)",
        color_by="topic",
        colors=charts.TOPIC_COLORS,
        subtitle=(
            "US State Department coincidence, all other states pooled; n = state-text pairs counted. "
            f"{_source_line(ctx, ctx.params.ukraine_texts + ctx.params.gaza_texts)}"
        ),
    )
    fv = M.coincidence_from_counts(fu["same"], fu["opposite"], fu["partial"])
    head = (
        f"States voted with the US {u['value'] * 100:.0f}% of the time on Ukraine, {g['value'] * 100:.0f}% on Gaza "
        f"({label[method]}; n = {_n(u['n'])} / {_n(g['n'])} state-text pairs)."
    )
    return Finding(
        "coincidence",
        s,
        firm,
        chart,
        pooled,
        headline=head,
        holds=abs(fv - u["value"]) < FIRM_TOLERANCE,
    )


def coverage(ctx) -> Finding:
    """How sure we are: coverage of the texts, and the basis of the country votes."""
    cat = ctx.catalog
    cov = cat["coverage"].astype(str).value_counts()
    basis = ctx.votes["basis"].astype(str).value_counts()
    firm_share = (basis.get("record", 0) + basis.get("list", 0)) / basis.sum()
    partial = cat[cat["coverage"].astype(str) == "partial"]
    s = (
        f"Of {len(cat)} voted texts, {cov.get('full', 0)} are known country by country in full, "
        f"{cov.get('partial', 0)} only in part and {cov.get('totals', 0)} only in totals; "
        f"{firm_share * 100:.0f}% of the {basis.sum()} country votes rest on UN records or complete lists. "
        f"Every full text's rows equal its official totals. Known in part: "
        + _names([text_label(r) for _, r in partial[partial["body"] == "GA"].iterrows()], 6)
        + "."
    )
    part_res = partial[(partial["body"] == "GA") & (partial["kind"] == "resolution")]
    short = [text_label(r).replace("A/RES/", "") for _, r in part_res.iterrows()]
    head = (
        f"How sure: {cov.get('full', 0)} of {len(cat)} texts are known in full, {cov.get('partial', 0)} in part "
        f"(resolutions {_names(short)}; the rest amendments and Council texts), {cov.get('totals', 0)} in totals only; "
        f"{firm_share * 100:.0f}% of country votes rest on UN records or complete lists."
    )
    return Finding("coverage", s, "", None, cat, headline=head)


def all_findings(ctx) -> list[Finding]:
    """The findings of the briefing, in the order of page 1."""
    return [
        us_2026(ctx),
        us_2025_break(ctx),
        us_gaza(ctx),
        topic_trend(ctx, "ukraine"),
        topic_trend(ctx, "gaza"),
        hedgers(ctx),
        abstention_by_group(ctx),
        switchers(ctx),
        partners(ctx),
        coincidence(ctx),
        coverage(ctx),
    ]


__all__ = ["Finding", "all_findings"]
