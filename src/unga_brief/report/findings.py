"""The briefing's findings: each a sentence with its number and n, computed from the data and
the parameters, with the chart that shows it (title = the finding) and whether it holds on UN
records and complete lists alone.

Every function takes a :class:`~unga_brief.report.context.Context` (parameters + frames; build one in
memory with ``Context.from_frames``) and returns a :class:`Finding`. Every text a finding uses
is inside the parameters' ``window`` and its text sets. A finding about a specific event (the
latest Ukraine vote and the amendments voted on it; the first time the US voted with Russia) is
found in the data of the window, or left out with the reason stated (``Finding.left_out``) —
never filled with a text it does not fit. Nothing here is typed from the record: only words
around numbers, and the words follow the numbers (:mod:`unga_brief.report.words`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from unga_brief.analysis import measures as M
from unga_brief.analysis import posture as P
from unga_brief.core.vocab import (
    COINCIDENCE_LABELS,
    FIRM_BASES,
    OFFICIAL_COLUMNS,
    SET_KINDS,
    TOPIC_WORDS,
    TOPICS,
    VOTE_VERBS,
    VOTE_WORDS,
)
from unga_brief.report import charts
from unga_brief.report.words import (
    DASH,
    capital,
    change,
    dash_span,
    day,
    month,
    names,
    number,
    pct,
    plural,
    span,
    tally,
)

#: A finding "holds" on record + list votes alone when the figure moves by less than this
#: (a share, 0..1), or when at least this share of the states named stay named.
FIRM_TOLERANCE = 0.1
#: A yearly figure resting on fewer texts than this is marked as thin (drawn hollow, n shown).
THIN_TEXTS = 3
US = "USA"
#: Plain confidence labels of page 1 (explained once there).
CONFIDENCE = {
    True: "firm",
    False: "partly on news reports",
    "totals": "official totals",
}
CONFIDENCE_HELP = (
    "firm: rests on UN voting records and complete roll calls alone; "
    "partly on news reports: some country votes come from news or press reports, or were "
    "worked out from the other lists; official totals: the UN's announced counts."
)


@dataclass
class Finding:
    """A finding: ``sentence`` (its section), ``headline`` (page 1), ``firm`` (the same figure on
    UN records and complete lists alone), ``chart`` (title = the finding), ``data`` (the
    numbers behind it), ``holds`` (None: not a row-level finding), ``texts`` (the ids used),
    ``left_out`` (why the finding could not be made from the data in the window; then the
    sentence says so and there is no chart)."""

    key: str
    sentence: str
    firm: str
    chart: charts.Chart | None = None
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    headline: str = ""
    holds: bool | None = None
    texts: list[str] = field(default_factory=list)
    left_out: str = ""
    official_totals: bool = False

    @property
    def firm_tag(self) -> str:
        """The plain confidence label of page 1."""
        if self.left_out:
            return ""
        if self.holds is None:
            return CONFIDENCE["totals"] if self.official_totals else ""
        return CONFIDENCE[bool(self.holds)]

    @property
    def page1(self) -> str:
        """The headline, with the firm figure added when the finding does not hold on UN
        records and complete lists alone."""
        head = self.headline or self.sentence
        if self.holds is False and self.firm:
            return f"{head} {self.firm}"
        return head


# --- shared pieces ------------------------------------------------------------------------------


def _cat(ctx) -> pd.DataFrame:
    return ctx.cached("catalog_by_id", lambda: ctx.catalog.set_index("id"))


def in_window(ctx) -> pd.DataFrame:
    """The catalogue rows dated inside the window (every text any finding may use)."""
    c = ctx.catalog
    w = ctx.params.window
    return c[(c["date"] >= w[0]) & (c["date"] <= w[1])]


def reader_name(ctx, tid: str) -> str:
    """A text in sentences: its document symbol, else its short title in quotes."""
    t = _cat(ctx).loc[tid]
    sym = t.get("symbol")
    if isinstance(sym, str) and sym:
        return sym
    return f"\u201c{t['short_title']}\u201d"


def chart_label(ctx, tid: str, width: int = 44) -> str:
    """A text on a chart: its short title and month (never an internal id)."""
    t = _cat(ctx).loc[tid]
    title = str(t["short_title"])
    if len(title) > width:
        title = title[: width - 1].rstrip() + "…"
    return f"{title} · {month(t['date'])}"


def short_ref(ctx, tid: str) -> str:
    """A text in a tight label: its symbol without ``A/RES/`` (``ES-11/3``), else its month."""
    t = _cat(ctx).loc[tid]
    sym = t.get("symbol")
    if isinstance(sym, str) and sym:
        return sym.replace("A/RES/", "").replace("A/DEC/", "")
    return month(t["date"])


def series_words(ctx, series: str) -> str:
    """A series as a reader knows it: the symbol its texts share (``ES-11``), else the short
    title of its latest text ("the “Palestinian self-determination” texts")."""
    c = ctx.catalog[ctx.catalog["series"] == series].sort_values("date")
    syms = [x for x in c["symbol"] if isinstance(x, str) and x]
    if syms:  # a text without a confirmed symbol (the 2026 one) does not change the series
        heads = {x.rsplit("/", 1)[0].replace("A/RES/", "") for x in syms}
        if len(heads) == 1 and (h := heads.pop()).startswith("ES-"):
            return f"the {h} texts"
    return f"the \u201c{c['short_title'].iloc[-1]}\u201d texts" if len(c) else series


def group_words(ctx, code: str) -> str:
    """A group code as a reader reads it: ``ARAB_LEAGUE`` → ``Arab League``; the acronyms the
    reference uses as whole codes (``BRICS``, ``EU``) stay as they are."""
    if "_" not in code:
        return code
    acronyms = {g for g in ctx.groups["group"] if "_" not in g}
    return " ".join(
        w.capitalize() if w.isupper() and w not in acronyms else w for w in code.split("_")
    )


def set_words(ctx, ids: list[str], topic: str) -> str:
    """``the 13 Ukraine texts (Mar 2022–Feb 2026)``."""
    c = _cat(ctx).loc[ids]
    return (
        f"the {plural(len(ids), TOPIC_WORDS[topic] + ' text')} "
        f"({dash_span(c['date'].min(), c['date'].max())})"
    )


def source_line(ctx, ids) -> str:
    c = ctx.catalog[ctx.catalog["id"].isin(ids)]
    cov = c["coverage"].astype(str).value_counts()
    bits = [plural(cov.get("full", 0), "full roll call")]
    if cov.get("partial", 0):
        bits.append(f"{number(cov['partial'])} known in part")
    if cov.get("totals", 0):
        bits.append(f"{number(cov['totals'])} in totals only")
    return f"{plural(len(c), 'text')} ({', '.join(bits)}). {charts.SOURCE_UN}."


def _basis_firm(ctx, tid: str, iso3: str) -> bool:
    v = ctx.votes
    b = v[(v["text_id"] == tid) & (v["iso3"] == iso3)]["basis"].astype(str)
    return bool(len(b)) and bool(b.isin(FIRM_BASES).all())


def us_votes(ctx) -> pd.DataFrame:
    """The US vote on every text in the window (GA and SC), with its isolation."""

    def compute():
        u = P.us_record(ctx.ballots(), ctx.catalog, electorate=ctx.electorate)
        w = ctx.params.window
        return u[(u["date"] >= w[0]) & (u["date"] <= w[1])].reset_index(drop=True)

    return ctx.cached("us_votes", compute)


def hedger_texts(ctx, topic: str) -> list[str]:
    """The texts of the topic's set that belong to its hedger series, in date order."""
    s = ctx.params.hedger_series[topic]
    c = _cat(ctx).loc[ctx.params.texts(topic)]
    return c[c["series"] == s].sort_values("date").index.tolist()


def profiles(ctx, firm_only: bool = False) -> pd.DataFrame:
    """Each state's profile on the hedger texts of each topic (:func:`M.country_profiles`)."""
    return ctx.cached(
        ("profiles", firm_only),
        lambda: M.country_profiles(
            ctx.ballots(firm_only),
            ukraine_texts=hedger_texts(ctx, "ukraine"),
            gaza_texts=hedger_texts(ctx, "gaza"),
            firm_only=firm_only,
            electorate=ctx.electorate,
        ),
    )


def _left_out(key: str, why: str) -> Finding:
    return Finding(key, why, "", None, pd.DataFrame(), headline=why, left_out=why)


# --- 1. How the world voted -----------------------------------------------------------------------


def topic_trend(ctx, topic: str) -> Finding:
    """Yes/No/Abstain/Non-voting per text of the topic's set (official totals): first vs latest
    text of the set, and its lowest Yes count."""
    ids = ctx.params.texts(topic)
    cat = _cat(ctx)
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
                f"; the lowest Yes count of the {plural(len(ids), 'text')} was "
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


# --- 3. Where the United States stands ----------------------------------------------------------


def latest_ukraine_vote(ctx) -> Finding:
    """The latest Ukraine text of the set, the US vote on it, and every amendment or motion
    the Assembly voted on it that day, with the states named as backing it."""
    cat = _cat(ctx)
    tid = ctx.params.ukraine_texts[-1]
    t = cat.loc[tid]
    w = in_window(ctx)
    amend = w[
        (w["body"] == "GA")
        & (w["topic"] == "ukraine")
        & ~w["kind"].isin(SET_KINDS)
        & (w["date"] == t["date"])
    ].sort_values("id")
    usv = us_votes(ctx).set_index("text_id")
    us_vote = usv.loc[tid, "us_vote"] if tid in usv.index else pd.NA
    nv = (
        f" ({number(t['official_non_voting'])} non-voting)"
        if pd.notna(t["official_non_voting"])
        else ""
    )
    lead = f"On {day(t['date'])} the Assembly adopted {reader_name(ctx, tid)} {tally(t)}{nv}"
    head = f"{day(t['date'])}: the Assembly's latest Ukraine text passed {tally(t)}"
    parts = []
    if not pd.isna(us_vote):
        parts.append(f"the United States {VOTE_VERBS[us_vote]}")
        head += f"; the US {VOTE_VERBS[us_vote]}"
    backers_all = []
    for a in amend.itertuples():
        outcome = (
            "failed"
            if str(a.adopted).lower() == "false"
            else ("was adopted" if str(a.adopted).lower() == "true" else "was voted")
        )
        part = f"the {a.kind} \u201c{a.short_title}\u201d {outcome} {tally(cat.loc[a.id])}"
        if a.id in set(ctx.votes["text_id"]):
            pos = P.amendment_positions(ctx.ballots(), a.id, ctx.catalog, electorate=ctx.electorate)
            backers = pos[pos["backed"]].sort_values(
                "iso3", key=lambda s: s.map(lambda x: (x != US, x))
            )
            who = [
                ("the United States" if i == US else n)
                for i, n in zip(backers["iso3"], backers["display_name"])
            ]
            backers_all += list(backers["iso3"])
            if who and pd.notna(a.official_yes) and len(who) < int(a.official_yes):
                part += f"; of its {number(a.official_yes)} supporters the sources name only {names(who)}"
            elif who:
                part += f"; supporters: {names(who)}"
        parts.append(part)
        head += f"; the {a.kind} \u201c{a.short_title}\u201d {outcome} {tally(cat.loc[a.id])}"
    sentence = lead + ("; " + "; ".join(parts) if parts else "") + "."
    full = str(t["coverage"]) == "full"
    firm = (
        "Holds: full roll call."
        if full
        else "The roll call is known only in part: the US vote comes from news reports."
    )
    return Finding(
        "latest_ukraine_vote",
        sentence,
        firm,
        None,
        amend.reset_index(drop=True),
        headline=head + ".",
        holds=full and (pd.isna(us_vote) or _basis_firm(ctx, tid, US)),
        texts=[tid, *amend["id"]],
    )


def us_with_russia(ctx) -> Finding:
    """The first Ukraine text of the set on which the US cast the same Yes or No as Russia,
    what the US did on the other Ukraine texts of that day, and how often the two agreed."""
    ids = ctx.params.ukraine_texts
    held = set(ctx.votes["text_id"])
    texts_w = [i for i in in_window(ctx)["id"] if i in held]
    rw = P.us_with_russia(ctx.ballots(), ctx.catalog, texts=texts_w, electorate=ctx.electorate)
    compared = int(rw["compared"].iloc[0]) if len(rw) else None
    on_set = rw[rw["text_id"].isin(ids)].sort_values("date")
    if on_set.empty:
        why = (
            f"The United States never cast the same Yes or No as Russia on "
            f"{set_words(ctx, ids, 'ukraine')}."
        )
        return Finding("us_with_russia", why, "", None, rw, headline=why, texts=list(ids))
    first = on_set.iloc[0]
    t = _cat(ctx).loc[first["text_id"]]
    usv = us_votes(ctx)
    same_day = usv[
        (usv["date"] == first["date"])
        & usv["text_id"].isin(ids)
        & (usv["text_id"] != first["text_id"])
        & usv["us_vote"].notna()
    ]
    others = first["same_as_us"]
    with_whom = (
        "with Russia alone"
        if pd.notna(others) and int(others) == 1
        else (
            f"with Russia and {plural(int(others) - 1, 'other state')}"
            if pd.notna(others)
            else "with Russia"
        )
    )
    verb = VOTE_WORDS[first["vote"]]
    s = f"On {day(first['date'])} the United States voted {verb} on {reader_name(ctx, first['text_id'])} {with_whom} ({tally(t)})"
    head = f"{day(first['date'])}: the US voted {verb} with Russia on {reader_name(ctx, first['text_id'])} ({tally(t)})"
    for r in same_day.itertuples():
        s += f", and {VOTE_VERBS[r.us_vote]} on {reader_name(ctx, r.text_id)} (\u201c{r.short_title}\u201d)"
        head += f" and {VOTE_VERBS[r.us_vote]} on {reader_name(ctx, r.text_id)}"
    s += (
        f". In the window the two cast the same Yes or No on {number(len(rw))} of the "
        f"{plural(compared, 'text')} where both votes are known."
    )
    holds = _basis_firm(ctx, first["text_id"], US) and _basis_firm(ctx, first["text_id"], "RUS")
    firm = "Holds: UN Digital Library record." if holds else "Rests on non-record rows."
    return Finding(
        "us_with_russia",
        s,
        firm,
        None,
        rw,
        headline=head + ".",
        holds=holds,
        texts=list(rw["text_id"]),
    )


def us_gaza(ctx) -> Finding:
    """The US vote on the Gaza texts of the set demanding a ceasefire or truce, and its
    Security Council vetoes on Gaza in the window."""
    cat = ctx.catalog
    usv = us_votes(ctx)
    cease = set(cat.loc[cat["tags"].fillna("").str.contains("ceasefire"), "id"])
    ga = usv[usv["text_id"].isin(set(ctx.params.gaza_texts) & cease)]
    ga = ga[ga["us_vote"].notna()]
    vetoes = usv[(usv["body"] == "SC") & (usv["topic"] == "gaza") & usv["us_veto"]]
    bits, head_bits = [], []
    if len(ga):
        no = ga[ga["us_vote"] == "N"]
        same = ga["same_as_us"].dropna()
        how_many = (
            ("the one" if len(ga) == 1 else "both" if len(ga) == 2 else f"all {number(len(ga))}")
            if len(no) == len(ga)
            else f"{number(len(no))} of the {number(len(ga))}"
        )
        b = (
            f"voted No on {how_many} Assembly {'text' if len(ga) == 1 else 'texts'} in the set "
            f"demanding a ceasefire or truce in Gaza ({dash_span(ga['date'].min(), ga['date'].max())})"
        )
        if len(no) and len(same):
            fewest = int(ga.loc[ga["us_vote"] == "N", "same_as_us"].dropna().min())
            others = int(ga["others"].max())
            b += f", joined by as few as {number(fewest)} of {plural(others, 'other state')}"
        bits.append(b)
        head_bits.append(
            f"voted No on {how_many} Assembly ceasefire {'text' if len(ga) == 1 else 'texts'}"
        )
    if len(vetoes):
        cv = vetoes[vetoes["text_id"].isin(cease)]
        bits.append(
            f"vetoed {plural(len(vetoes), 'Security Council text')} on Gaza ("
            + (
                ("a ceasefire text" if len(cv) else "not a ceasefire text")
                if len(vetoes) == 1
                else f"{number(len(cv))} of them ceasefire drafts or amendments"
            )
            + f"), {dash_span(vetoes['date'].min(), vetoes['date'].max())}"
        )
        head_bits.append(f"cast {plural(len(vetoes), 'Council veto', 'Council vetoes')}")
    if not bits:
        why = "In the window the US cast no vote on a Gaza ceasefire text of the set and no Council veto on Gaza."
        return Finding("us_gaza", why, "", None, pd.DataFrame(), headline=why, texts=[])
    s = "The United States " + "; it ".join(bits) + "."
    head = (
        "Gaza: the US "
        + " and ".join(head_bits)
        + (
            f" ({dash_span(pd.concat([ga['date'], vetoes['date']]).min(), pd.concat([ga['date'], vetoes['date']]).max())})."
        )
    )
    holds = all(_basis_firm(ctx, t, US) for t in ga["text_id"]) if len(ga) else None
    firm = "Holds for the Assembly texts (UN Digital Library records)." + (
        " The vetoes rest on the catalogue's record of each veto and Council press releases."
        if len(vetoes)
        else ""
    )
    return Finding(
        "us_gaza",
        s,
        firm,
        None,
        pd.concat([ga, vetoes]),
        headline=head,
        holds=holds,
        texts=list(ga["text_id"]) + list(vetoes["text_id"]),
    )


def us_timeline(ctx) -> Finding:
    """The US vote on every GA and SC text of both topics in the window, vetoes ringed."""
    usv = us_votes(ctx)
    unknown = int(usv["us_vote"].isna().sum())
    usv = usv[usv["us_vote"].notna()]
    lane = {
        (b, t): f"{'Assembly' if b == 'GA' else 'Council'} · {TOPIC_WORDS[t]}"
        for b in ("GA", "SC")
        for t in TOPICS
    }
    d = pd.DataFrame(
        {
            "date": usv["date"],
            "lane": [lane[(b, t)] for b, t in zip(usv["body"], usv["topic"], strict=True)],
            "vote": usv["us_vote"].astype(str),
            "label": [chart_label(ctx, i) for i in usv["text_id"]],
            "veto": usv["us_veto"],
            "partial": usv["coverage"].astype(str) != "full",
            "kind": usv["kind"],
            "note": "",
        }
    )
    n_veto = int(d["veto"].sum())
    ga_gaza = d[(d["lane"] == lane[("GA", "gaza")]) & ~d["kind"].isin(["amendment", "motion"])]
    ga_ukr = d[(d["lane"] == lane[("GA", "ukraine")]) & ~d["kind"].isin(["amendment", "motion"])]
    not_yes = ga_ukr[ga_ukr["vote"].isin(["N", "A"])]
    parts = []
    if n_veto:
        parts.append(f"The US cast {plural(n_veto, 'veto', 'vetoes')}")
    if len(ga_gaza):
        parts.append(
            f"voted No on {number((ga_gaza['vote'] == 'N').sum())} of {plural(len(ga_gaza), 'Assembly Gaza text')}"
        )
    if len(ga_ukr):
        parts.append(
            (
                f"on Ukraine it voted No or abstained on {plural(len(not_yes), 'text')} of "
                f"{number(len(ga_ukr))}, from {month(not_yes['date'].min())}"
            )
            if len(not_yes)
            else f"on Ukraine it voted Yes on all {plural(len(ga_ukr), 'Assembly text')}"
        )
    title = capital("; ".join(parts)) if parts else "The US vote on each text"
    w = ctx.params.window
    first, last = d["date"].min(), d["date"].max()
    chart = charts.vote_timeline(
        d,
        lanes=list(lane.values()),
        title=title,
        subtitle=(
            f"US vote on each text, {dash_span(first, last)}; ringed: US veto; "
            f"hollow: roll call known only in part"
            + (
                f"; {plural(unknown, 'text')} where the US vote is not known left out"
                if unknown
                else ""
            )
            + f". {charts.SOURCE_UN}."
        )
        if len(d)
        else f"No US vote known in the window {w[0]:%Y-%m-%d}{DASH}{w[1]:%Y-%m-%d}.",
    )
    return Finding(
        "us_timeline",
        title + ".",
        "The Assembly votes rest on records; the Council votes on press releases.",
        chart,
        d,
        texts=list(usv["text_id"]),
    )


# --- 2. Who abstains, and on what --------------------------------------------------------------


def hedgers(ctx) -> Finding:
    """States that abstain on most Ukraine texts of the hedger series while voting Yes on most
    of the Gaza ones, and the reverse."""
    prof = profiles(ctx)
    h = M.hedgers(prof)
    hed, rev = h[h["group"] == "hedger"], h[h["group"] != "hedger"]
    focus = [c for c in ctx.params.focus_countries if c in set(hed["iso3"])]
    display = ctx.members.set_index("iso3")["display_name"]
    firm_h = M.hedgers(profiles(ctx, firm_only=True))
    firm_set = set(firm_h.loc[firm_h["group"] == "hedger", "iso3"])
    kept = len(set(hed["iso3"]) & firm_set)
    u_ids, g_ids = hedger_texts(ctx, "ukraine"), hedger_texts(ctx, "gaza")
    su, sg = ctx.params.hedger_series["ukraine"], ctx.params.hedger_series["gaza"]
    title = (
        f"{plural(len(hed), 'state')} abstained on most Ukraine texts but voted Yes on most Gaza "
        f"texts; {number(len(rev))} did the reverse"
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
        xlabel=f"profile on {series_words(ctx, sg)} (Gaza)",
        ylabel=f"profile on {series_words(ctx, su)} (Ukraine)",
        subtitle=(
            f"States by the vote they cast on most of the {plural(len(u_ids), 'Ukraine text')} "
            f"({dash_span(*_dates(ctx, u_ids))}) and {plural(len(g_ids), 'Gaza text')} "
            f"({dash_span(*_dates(ctx, g_ids))}) where their vote is known; "
            f"n = {number(len(ctx.members))}. {charts.SOURCE_UN}."
        ),
    )
    head = (
        f"{plural(len(hed), 'state')} abstained on most Ukraine texts but voted Yes on most Gaza texts"
        + (f", among them {names([display[c] for c in focus])}" if focus else "")
        + f"; {number(len(rev))} did the reverse."
    )
    holds = kept >= (1 - FIRM_TOLERANCE) * len(hed)
    return Finding("hedgers", s, firm, chart, ct, headline=head, holds=holds, texts=u_ids + g_ids)


def _dates(ctx, ids):
    c = _cat(ctx).loc[ids]
    return c["date"].min(), c["date"].max()


def profile_map(ctx) -> Finding:
    """World tile-grid map of each state's Ukraine × Gaza profile (hedger series)."""
    prof = profiles(ctx)
    h = M.hedgers(prof)
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
            f"{charts.SOURCE_UN}."
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
        return M.abstention_by_topic(
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
    c = _cat(ctx).loc[ids]
    counts = c["series"].value_counts()
    series = [s for s in ctx.params.switch_series if counts.get(s, 0) >= 2]
    if not series:
        return pd.DataFrame()
    sw = M.switches(
        ctx.ballots(firm_only),
        series=series,
        texts=ids,
        electorate=ctx.electorate,
        firm_only=firm_only,
    )
    if sw.empty:
        return pd.DataFrame()
    ss = M.switch_summary(sw)
    return ss[ss["kind"] == "vote change"].reset_index(drop=True)


def switchers(ctx) -> Finding:
    """The largest group of states switching between successive texts of a series (the
    series of ``switch_series`` that have two texts or more in the sets)."""
    ids = ctx.params.all_texts
    counts = _cat(ctx).loc[ids]["series"].value_counts()
    usable = [s for s in ctx.params.switch_series if counts.get(s, 0) >= 2]
    if not usable:
        return _left_out(
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
            f"the {plural(len(top8), 'largest group')}. {charts.SOURCE_UN}."
        ),
    )
    head = (
        f"Largest switch: {plural(top['states'], 'state')} from {VOTE_WORDS[a]} to {VOTE_WORDS[b]} "
        f"between {reader_name(ctx, top['from_text'])} and {reader_name(ctx, top['to_text'])}."
    )
    return Finding("switchers", s, firm, chart, ss, headline=head, holds=bool(same), texts=ids)


def partners(ctx) -> Finding:
    """Agreement index of the US with each of ``us_partners``, by topic and year."""
    ids = ctx.params.all_texts

    def compute(firm_only):
        return P.agreement_with_us(
            ctx.ballots(firm_only),
            ctx.groups,
            partners=ctx.params.us_partners,
            electorate=ctx.electorate,
            texts=ids,
            firm_only=firm_only,
        )

    ag = compute(False)
    lead = ctx.params.us_partners[0]
    kind = "members'" if lead in set(ctx.groups["group"]) else ""
    who = (
        f"{lead} members'"
        if kind
        else ctx.members.set_index("iso3")["display_name"].get(lead, lead) + "'s"
    )
    u = ag[(ag["partner"] == lead) & (ag["topic"] == "ukraine")].sort_values("year")
    g = ag[(ag["partner"] == lead) & (ag["topic"] == "gaza")].sort_values("year")
    if u.empty and g.empty:
        return _left_out(
            "partners", f"No vote of {lead} and the US is known on the texts of the sets."
        )
    bits = []
    for topic, rows in (("Ukraine", u), ("Gaza", g)):
        if rows.empty:
            continue
        solid = rows[rows["texts"] >= THIN_TEXTS]
        rows = solid if len(solid) else rows
        first, last = rows.iloc[0], rows.iloc[-1]
        if first["year"] == last["year"]:
            bits.append(f"on {topic} it was {pct(last['agreement'])} in {last['year']}")
        else:
            d = round(last["agreement"] * 100) - round(first["agreement"] * 100)
            verb = "rose" if d > 0 else ("fell" if d < 0 else "stayed")
            bits.append(
                f"on {topic} it {verb} from {pct(first['agreement'])} in {first['year']} to "
                f"{pct(last['agreement'])} in {last['year']}"
                if d
                else f"on {topic} it stayed at {pct(last['agreement'])} from {first['year']} to {last['year']}"
            )
    title = f"{who} agreement with the US: " + "; ".join(bits)
    shown = pd.concat([u, g])
    thin = shown[shown["texts"] < THIN_TEXTS]
    s = (
        f"{title} (agreement index; n = {', '.join(number(n) for n in shown['n'])} pairs)"
        + (
            f"; {plural(len(thin), 'figure')} rest on fewer than {THIN_TEXTS} texts "
            f"({_thin_list(thin)})"
            if len(thin)
            else ""
        )
        + "."
    )
    solid_u = u[u["texts"] >= THIN_TEXTS]
    last_u = (solid_u if len(solid_u) else u).iloc[-1] if len(u) else g.iloc[-1]
    f = compute(True)
    f = f[(f["partner"] == lead) & (f["topic"] == last_u["topic"]) & (f["year"] == last_u["year"])]
    holds = (
        bool(len(f))
        and abs(float(f["agreement"].iloc[0]) - float(last_u["agreement"])) < FIRM_TOLERANCE
    )
    firm = (
        f"On UN records and complete lists alone: {pct(f['agreement'].iloc[0])} on "
        f"{TOPIC_WORDS[last_u['topic']]} in {last_u['year']} (n = {number(f['n'].iloc[0])})."
        if len(f)
        else "No vote on UN records and complete lists alone for that year."
    )
    d = ag[ag["members"] > 0].copy()
    d = d[~((d["partner_kind"] == "group") & (d["members"] < 5))]
    plot = pd.DataFrame(
        {
            "panel": d["topic"].map({t: f"{TOPIC_WORDS[t]} texts" for t in TOPICS}),
            "who": d["partner"],
            "year": d["year"].astype(int),
            "value": d["agreement"],
            "n": d["n"],
            "texts": d["texts"],
            "thin": d["texts"] < THIN_TEXTS,
        }
    )
    chart = charts.lines_by_year(
        plot,
        panels=[f"{TOPIC_WORDS[t]} texts" for t in TOPICS],
        title=title,
        subtitle=(
            "Agreement index with the US (Yes = 1, Abstain = 0.5, No = 0; 1 − |difference|, "
            "averaged over texts where both voted; groups: members' mean, membership on the "
            f"vote's date); years resting on fewer than {THIN_TEXTS} texts are thin. "
            f"{source_line(ctx, ids)}"
        ),
    )
    head = f"{title}."
    return Finding("partners", s, firm, chart, ag, headline=head, holds=holds, texts=ids)


def _thin_list(thin: pd.DataFrame) -> str:
    return ", ".join(
        f"{TOPIC_WORDS[r.topic]} {r.year}: {plural(r.texts, 'text')}" for r in thin.itertuples()
    )


def coincidence(ctx) -> Finding:
    """Coincidence of all states with the US under the chosen State Department method, the
    other two beside it, on each topic's set."""
    ids = ctx.params.all_texts
    co = P.coincidence_with_us(ctx.ballots(), electorate=ctx.electorate, by=("topic",), texts=ids)
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
        for s, o, p in zip(pooled["same"], pooled["opposite"], pooled["partial"], strict=True)
    ]
    method = ctx.params.coincidence_method
    label = COINCIDENCE_LABELS
    pooled["label"] = [
        f"{TOPIC_WORDS[t]} · {label[m]}"
        for t, m in zip(pooled["topic"], pooled["method"], strict=True)
    ]
    sel = pooled.set_index(["topic", "method"])
    if not all((t, method) in sel.index for t in TOPICS):
        return _left_out(
            "coincidence", "No state's vote and the US vote are both known on the texts of a set."
        )
    u, g = sel.loc[("ukraine", method)], sel.loc[("gaza", method)]
    title = (
        f"Other states voted with the US {pct(u['value'])} of the time on Ukraine and "
        f"{pct(g['value'])} on Gaza ({label[method]})"
    )
    others = [m for m in label if m != method]
    s = (
        f"{title}; n = {number(u['n'])} and {number(g['n'])} state votes compared. Other methods: "
        + "; ".join(
            f"{label[m]} {pct(sel.loc[('ukraine', m), 'value'])} vs {pct(sel.loc[('gaza', m), 'value'])}"
            for m in others
        )
        + "."
    )
    firm_co = P.coincidence_with_us(
        ctx.ballots(True),
        electorate=ctx.electorate,
        by=("topic",),
        texts=ids,
        methods=(method,),
        firm_only=True,
    )
    fu = firm_co[firm_co["topic"] == "ukraine"][["same", "opposite", "partial", "n"]].sum()
    fv = M.coincidence_from_counts(fu["same"], fu["opposite"], fu["partial"])
    firm = f"On UN records and complete lists alone, Ukraine: {pct(fv)} (n = {number(fu['n'])})."
    order = pooled.assign(
        _m=pooled["method"].map({method: 0, **{m: i + 1 for i, m in enumerate(others)}}),
        _t=pooled["topic"].map({t: i for i, t in enumerate(TOPICS)}),
    ).sort_values(["_t", "_m"])
    chart = charts.bars(
        order[["label", "value", "n", "topic", "method", "same", "opposite", "partial"]],
        title=title,
        xlabel="coincidence with the US (%)",
        color_by="topic",
        colors=charts.TOPIC_COLORS,
        subtitle=(
            "US State Department coincidence, all other states pooled; n = state votes compared. "
            f"{source_line(ctx, ids)}"
        ),
    )
    head = (
        f"States voted with the US {pct(u['value'])} of the time on Ukraine, {pct(g['value'])} on Gaza "
        f"({label[method]}; n = {number(u['n'])} / {number(g['n'])} state votes compared)."
    )
    holds = bool(pd.notna(fv) and abs(fv - u["value"]) < FIRM_TOLERANCE)
    return Finding("coincidence", s, firm, chart, pooled, headline=head, holds=holds, texts=ids)


def coverage(ctx) -> Finding:
    """How sure we are: coverage of the texts in the window, and the basis of their votes."""
    cat = in_window(ctx)
    cov = cat["coverage"].astype(str).value_counts()
    v = ctx.votes[ctx.votes["text_id"].isin(cat["id"])]
    basis = v["basis"].astype(str).value_counts()
    total = int(basis.sum())
    firm_share = (basis.get("record", 0) + basis.get("list", 0)) / total if total else float("nan")
    partial = cat[(cat["coverage"].astype(str) == "partial") & (cat["body"] == "GA")]
    s = (
        f"Of the {plural(len(cat), 'voted text')} in the window, {number(cov.get('full', 0))} are known "
        f"country by country in full, {number(cov.get('partial', 0))} only in part and "
        f"{number(cov.get('totals', 0))} only in their official totals; {pct(firm_share)} of the "
        f"{number(total)} country votes rest on UN records or complete lists. Every full text's "
        f"rows equal its official totals."
        + (
            f" Assembly texts known in part: {names([reader_name(ctx, i) for i in partial['id']])}."
            if len(partial)
            else ""
        )
    )
    head = (
        f"How sure: {number(cov.get('full', 0))} of the {plural(len(cat), 'text')} in the window are "
        f"known in full, {number(cov.get('partial', 0))} in part, {number(cov.get('totals', 0))} in "
        f"totals only; {pct(firm_share)} of country votes rest on UN records or complete lists."
    )
    return Finding("coverage", s, "", None, cat, headline=head, texts=list(cat["id"]))


def _focus_profiles(ctx) -> pd.DataFrame:
    prof = profiles(ctx).pivot(index="iso3", columns="topic", values="profile")
    names_ = ctx.members.set_index("iso3")["display_name"]
    fc = ctx.params.focus_countries
    return pd.DataFrame(
        {
            "state": [names_[i] for i in fc],
            **{
                f"{TOPIC_WORDS[t]} profile": [
                    prof.loc[i, t] if i in prof.index else "no known vote" for i in fc
                ]
                for t in TOPICS
            },
        }
    )


def focus_table(ctx) -> pd.DataFrame:
    """The focus countries, one row each: their profile on each topic's hedger series and
    their Yes–No–Abstain–Non-voting counts over each topic's set (unknown votes counted
    apart)."""
    b = ctx.ballots()
    out = _focus_profiles(ctx)
    for topic in TOPICS:
        ids = ctx.params.texts(topic)
        f = b[b["text_id"].isin(ids) & b["iso3"].isin(ctx.params.focus_countries)]
        counts = (
            f.dropna(subset=["vote"])
            .groupby(["iso3", "vote"], observed=False)
            .size()
            .unstack("vote")
            .reindex(index=ctx.params.focus_countries, columns=list(VOTE_WORDS), fill_value=0)
            .fillna(0)
        )
        unknown = f[f["vote"].isna()].groupby("iso3").size().reindex(ctx.params.focus_countries)
        head = f"{TOPIC_WORDS[topic]} votes ({plural(len(ids), 'text')}: Y–N–A–X)"
        out[head] = [
            DASH.join(number(counts.loc[i, v]) for v in VOTE_WORDS)
            + (f" (+{number(unknown[i])} unknown)" if pd.notna(unknown[i]) and unknown[i] else "")
            for i in ctx.params.focus_countries
        ]
    return out


def focus_votes(ctx) -> pd.DataFrame:
    """The focus countries' vote on every text of the two sets (Y, N, A, X; ? = unknown)."""
    b = ctx.ballots()
    ids = ctx.params.all_texts
    f = b[b["text_id"].isin(ids) & b["iso3"].isin(ctx.params.focus_countries)]
    wide = f.pivot(index="iso3", columns="text_id", values="vote").reindex(columns=ids)
    wide = wide.astype(object).where(wide.notna(), "?")
    labels = [chart_label(ctx, i, 28) for i in ids]
    seen: dict[str, int] = {}
    for k, lab in enumerate(labels):  # two texts of one month with one title stay apart
        seen[lab] = seen.get(lab, 0) + 1
        labels[k] = lab if seen[lab] == 1 else f"{lab} ({seen[lab]})"
    wide.columns = labels
    out = _focus_profiles(ctx)
    return pd.concat([out, wide.reindex(ctx.params.focus_countries).reset_index(drop=True)], axis=1)


# --- page 1 -------------------------------------------------------------------------------------


def text_sets(ctx) -> pd.DataFrame:
    """What each finding uses: ``set, texts, first, last, used by``."""
    p = ctx.params
    rows = []
    for topic in TOPICS:
        ids = p.texts(topic)
        c = _cat(ctx).loc[ids]
        rows.append(
            {
                "set": f"{TOPIC_WORDS[topic]} texts",
                "texts": len(ids),
                "dates": dash_span(c["date"].min(), c["date"].max()),
                "what": f"Assembly resolutions and decisions on {TOPIC_WORDS[topic]}",
                "used by": "vote trends, abstention by group, coincidence, agreement, switches",
            }
        )
        h = hedger_texts(ctx, topic)
        ch = _cat(ctx).loc[h]
        rows.append(
            {
                "set": f"{TOPIC_WORDS[topic]}: {series_words(ctx, p.hedger_series[topic])}",
                "texts": len(h),
                "dates": dash_span(ch["date"].min(), ch["date"].max()),
                "what": f"the {TOPIC_WORDS[topic]} texts of one recurring series, compared state by state",
                "used by": "hedgers, the cross-tab and the map",
            }
        )
    uw = us_votes(ctx)
    rows.append(
        {
            "set": "US posture texts",
            "texts": len(uw),
            "dates": dash_span(uw["date"].min(), uw["date"].max()) if len(uw) else "–",
            "what": "every Assembly and Council text on either topic in the window, amendments and drafts included",
            "used by": "the US timeline, vetoes, the latest vote and its amendments, voting with Russia",
        }
    )
    return pd.DataFrame(rows)


def summary(ctx, found: dict[str, Finding]) -> list[str]:
    """Three to five sentences for page 1, led by the title's thesis (abstaining on Ukraine,
    voting on Gaza), every number from the findings."""
    ab = found["abstention_by_group"].data
    allm = ab[ab["scope_type"] == "all"].iloc[0]
    ur, gr = allm["ukraine_rate"], allm["gaza_rate"]
    rel = "more often" if ur > gr else ("less often" if ur < gr else "as often")
    out = [
        f"States abstained {rel} on Ukraine than on Gaza: {pct(ur)} of the votes cast on "
        f"{set_words(ctx, ctx.params.ukraine_texts, 'ukraine')} were abstentions, against "
        f"{pct(gr)} on {set_words(ctx, ctx.params.gaza_texts, 'gaza')}."
    ]
    h = found["hedgers"]
    out.append(capital(h.headline))
    for key in ("latest_ukraine_vote", "us_with_russia", "us_gaza"):
        f = found.get(key)
        if f is not None and not f.left_out and f.headline:
            out.append(f.headline)
    return out[:5]


def parameter_differences(ctx) -> list[tuple[str, object, object]]:
    """The parameters of this run that differ from params.yaml (a what-if run)."""
    from unga_brief.report.params import defaults
    from unga_brief.report.whatif import changed_parameters

    return changed_parameters(defaults(ctx.paths), ctx.raw_params) if ctx.raw_params else []


def all_findings(ctx) -> list[Finding]:
    """The findings of the briefing, in the order of page 1."""
    return [
        latest_ukraine_vote(ctx),
        us_with_russia(ctx),
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


__all__ = [
    "Finding",
    "all_findings",
    "focus_table",
    "focus_votes",
    "hedger_texts",
    "profiles",
    "summary",
    "text_sets",
    "us_votes",
]
