"""The briefing's findings put together: coverage, the focus countries, page 1 (text sets,
summary, parameters that differ); the briefing's order of all findings is
:data:`unga_brief.report.briefing_findings.LISTS`.

Each finding is computed from the context (data + parameters) and returned as a
:class:`~unga_brief.report.finding.Finding` whose title and sentence are built from its own numbers.
"""

from __future__ import annotations

import pandas as pd

from unga_brief.core.vocab import (
    TOPIC_WORDS,
    TOPICS,
    VOTE_WORDS,
)
from unga_brief.report.finding import (
    Finding,
    chart_label,
    hedger_texts,
    in_window,
    profiles,
    reader_name,
    series_words,
    set_words,
    us_votes,
    window_catalog,
)
from unga_brief.report.words import (
    DASH,
    capital,
    dash_span,
    names,
    number,
    pct,
    plural,
)


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
        c = window_catalog(ctx).loc[ids]
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
        ch = window_catalog(ctx).loc[h]
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

    return changed_parameters(defaults(ctx.paths), ctx.given_params) if ctx.given_params else []


__all__ = [
    "Finding",
    "focus_table",
    "focus_votes",
    "hedger_texts",
    "profiles",
    "summary",
    "text_sets",
    "us_votes",
]
