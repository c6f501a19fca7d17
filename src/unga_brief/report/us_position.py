"""Findings on where the United States stands: the latest Ukraine vote and its amendments, the
first US vote with Russia, the Gaza texts, the timeline of US votes, its partners and its
coincidence with other states.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.analysis import definitions
from unga_brief.analysis import posture as P
from unga_brief.core.vocab import (
    COINCIDENCE_LABELS,
    SET_KINDS,
    TOPIC_WORDS,
    TOPICS,
    US,
    VOTE_VERBS,
    VOTE_WORDS,
)
from unga_brief.report import chart_style, charts, charts_over_time
from unga_brief.report.finding import (
    FIRM_TOLERANCE,
    THIN_TEXTS,
    Finding,
    chart_label,
    in_window,
    is_firm_basis,
    left_out_finding,
    reader_name,
    set_words,
    source_line,
    us_votes,
    window_catalog,
)
from unga_brief.report.words import (
    DASH,
    capital,
    dash_span,
    day,
    month,
    names,
    number,
    pct,
    plural,
    tally,
)

# --- 3. Where the United States stands ----------------------------------------------------------


def latest_ukraine_vote(ctx) -> Finding:
    """The latest Ukraine text of the set, the US vote on it, and every amendment or motion
    the Assembly voted on it that day, with the states named as backing it."""
    cat = window_catalog(ctx)
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
        holds=full and (pd.isna(us_vote) or is_firm_basis(ctx, tid, US)),
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
    t = window_catalog(ctx).loc[first["text_id"]]
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
    holds = is_firm_basis(ctx, first["text_id"], US) and is_firm_basis(ctx, first["text_id"], "RUS")
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
    holds = all(is_firm_basis(ctx, t, US) for t in ga["text_id"]) if len(ga) else None
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
    chart = charts_over_time.vote_timeline(
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
            + f". {chart_style.SOURCE_UN}."
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
        return left_out_finding(
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
    chart = charts_over_time.lines_by_year(
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
        definitions.coincidence_from_counts(s, o, p)
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
        return left_out_finding(
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
    fv = definitions.coincidence_from_counts(fu["same"], fu["opposite"], fu["partial"])
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
        colors=chart_style.TOPIC_COLORS,
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


def focus_coincidence(ctx) -> pd.DataFrame:
    """Coincidence of each focus country with the US on the window's texts, by topic and year,
    one column per method (``03_us_posture`` shows it)."""
    co = P.coincidence_with_us(ctx.ballots(), texts=ctx.params.all_texts, electorate=ctx.electorate)
    co = co[co["iso3"].isin(ctx.params.focus_countries)]
    return co.pivot_table(
        index=["display_name", "topic", "year"], columns="method", values="coincidence"
    ).reset_index()
