"""The :class:`Finding` every notebook and the briefing show, and the pieces every finding shares:
the texts in the window, readers' names for texts, series and groups, the US votes, the hedger
texts and the state profiles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from unga_brief.analysis import hedging
from unga_brief.analysis import posture as P
from unga_brief.analysis.ballot_frame import ballots
from unga_brief.core.vocab import (
    FIRM_BASES,
    TOPIC_WORDS,
)
from unga_brief.report import chart_style
from unga_brief.report.words import (
    dash_span,
    month,
    number,
    plural,
    the_count,
)

#: A finding "holds" on record + list votes alone when the figure moves by less than this
#: (a share, 0..1), or when at least this share of the states named stay named.
FIRM_TOLERANCE = 0.1
#: A yearly figure resting on fewer texts than this is marked as thin (drawn hollow, n shown).
THIN_TEXTS = 3
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
    chart: chart_style.Chart | None = None
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


def window_catalog(ctx) -> pd.DataFrame:
    return ctx.cached("catalog_by_id", lambda: ctx.catalog.set_index("id"))


def in_window(ctx) -> pd.DataFrame:
    """The catalogue rows dated inside the window (every text any finding may use)."""
    c = ctx.catalog
    w = ctx.params.window
    return c[(c["date"] >= w[0]) & (c["date"] <= w[1])]


def reader_name(ctx, tid: str) -> str:
    """A text in sentences: its document symbol, else its short title in quotes."""
    t = window_catalog(ctx).loc[tid]
    sym = t.get("symbol")
    if isinstance(sym, str) and sym:
        return sym
    return f"\u201c{t['short_title']}\u201d"


def chart_label(ctx, tid: str, width: int = 44) -> str:
    """A text on a chart: its short title and month (never an internal id)."""
    t = window_catalog(ctx).loc[tid]
    title = str(t["short_title"])
    if len(title) > width:
        title = title[: width - 1].rstrip() + "…"
    return f"{title} · {month(t['date'])}"


def short_ref(ctx, tid: str) -> str:
    """A text in a tight label: its symbol without ``A/RES/`` (``ES-11/3``), else its month."""
    t = window_catalog(ctx).loc[tid]
    sym = t.get("symbol")
    if isinstance(sym, str) and sym:
        return sym.replace("A/RES/", "").replace("A/DEC/", "")
    return month(t["date"])


def series_words(ctx, series: str) -> str:
    """A series as a reader knows it: the symbol its texts share (``ES-11``), else the short
    title of its latest text ("the “Palestinian self-determination” texts"); once per context."""
    return ctx.cached(("series_words", series), lambda: _series_words(ctx.catalog, series))


def _series_words(catalog: pd.DataFrame, series: str) -> str:
    c = catalog[catalog["series"] == series].sort_values("date")
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
    c = window_catalog(ctx).loc[ids]
    return (
        f"{the_count(len(ids), TOPIC_WORDS[topic] + ' text')} "
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
    return f"{plural(len(c), 'text')} ({', '.join(bits)}). {chart_style.SOURCE_UN}."


def is_firm_basis(ctx, tid: str, iso3: str) -> bool:
    v = ctx.votes
    b = v[(v["text_id"] == tid) & (v["iso3"] == iso3)]["basis"].astype(str)
    return bool(len(b)) and bool(b.isin(FIRM_BASES).all())


def votes_ballots(ctx) -> pd.DataFrame:
    """The ballots frame a measure builds when given ``ctx.votes`` alone (its electorate derived
    from the votes, :func:`unga_brief.analysis.ballot_frame.ballots` with no ``electorate``), built
    once per context: the measures that read the tidy votes get this frame instead and return
    it unchanged (a ballots frame passes through ``ballots``), so their results are the same."""
    return ctx.cached("votes_ballots", lambda: ballots(ctx.votes))


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
    c = window_catalog(ctx).loc[ctx.params.texts(topic)]
    return c[c["series"] == s].sort_values("date").index.tolist()


def profiles(ctx, firm_only: bool = False) -> pd.DataFrame:
    """Each state's profile on the hedger texts of each topic (:func:`hedging.country_profiles`)."""
    return ctx.cached(
        ("profiles", firm_only),
        lambda: hedging.country_profiles(
            ctx.ballots(firm_only),
            ukraine_texts=hedger_texts(ctx, "ukraine"),
            gaza_texts=hedger_texts(ctx, "gaza"),
            firm_only=firm_only,
            electorate=ctx.electorate,
        ),
    )


def left_out_finding(key: str, why: str) -> Finding:
    return Finding(key, why, "", None, pd.DataFrame(), headline=why, left_out=why)


def text_dates(ctx, ids):
    c = window_catalog(ctx).loc[ids]
    return c["date"].min(), c["date"].max()
