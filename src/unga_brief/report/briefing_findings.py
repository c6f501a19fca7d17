"""Every finding of the briefing by its key, and how to compute one alone (issue 17).

The briefing (``04_briefing``) shows every finding of its two lists (:data:`LISTS`, through
``ctx.briefing_findings``); the analysis notebooks (01-03) show most of them
too, and two charts besides (the profile map, the US timeline). ``unga-brief run`` computes them
all once (:func:`unga_brief.report.run_cache.prepare`) and every notebook reads them from the run's
cache through :meth:`unga_brief.report.context.Context.finding` and
:meth:`~unga_brief.report.context.Context.briefing_findings`. A notebook run by hand computes the ones
it shows, each with the function named here: the same function, on the same data and
parameters, as in the shared pass (tests/test_run_cache.py checks that both paths give the same
findings).
"""

from __future__ import annotations

from collections.abc import Callable

#: The two lists of the briefing (what ``04_briefing`` reads): each finding's key, in the order
#: of page 1. The one place that says which findings the briefing shows, and in what order.
LISTS = {
    "all_findings": (
        "latest_ukraine_vote",
        "us_with_russia",
        "us_gaza",
        "ukraine_trend",
        "gaza_trend",
        "hedgers",
        "abstention_by_group",
        "switchers",
        "partners",
        "coincidence",
        "coverage",
    ),
    "all_weighing": (
        "weighted",
        "baseline_ukraine",
        "baseline_gaza",
        "us_all_votes",
        "thresholds",
        "cohesion",
        "moved_with_us",
    ),
}
#: Findings shown outside those lists but by more than one notebook.
EXTRA = ("profile_map", "us_timeline")


def makers() -> dict[str, Callable]:
    """Finding key -> the function of the context that computes it alone."""
    from unga_brief.report import findings, us_position, weighing, who_abstains

    return {
        "latest_ukraine_vote": us_position.latest_ukraine_vote,
        "us_with_russia": us_position.us_with_russia,
        "us_gaza": us_position.us_gaza,
        "ukraine_trend": lambda ctx: who_abstains.topic_trend(ctx, "ukraine"),
        "gaza_trend": lambda ctx: who_abstains.topic_trend(ctx, "gaza"),
        "hedgers": who_abstains.hedgers,
        "abstention_by_group": who_abstains.abstention_by_group,
        "switchers": who_abstains.switchers,
        "partners": us_position.partners,
        "coincidence": us_position.coincidence,
        "coverage": findings.coverage,
        "weighted": weighing.weighted,
        "baseline_ukraine": lambda ctx: weighing.baseline(ctx, "ukraine"),
        "baseline_gaza": lambda ctx: weighing.baseline(ctx, "gaza"),
        "us_all_votes": weighing.us_all_votes,
        "thresholds": weighing.thresholds,
        "cohesion": weighing.cohesion,
        "moved_with_us": weighing.moved_with_us,
        "profile_map": who_abstains.profile_map,
        "us_timeline": us_position.us_timeline,
    }


def every_key() -> list[str]:
    """Every finding the run computes once: the briefing's lists in order, then :data:`EXTRA`."""
    return [k for keys in LISTS.values() for k in keys] + list(EXTRA)


def compute_list(ctx, name: str) -> list:
    """One of the briefing's lists (:data:`LISTS`): each finding through ``ctx.finding`` (computed
    once per context, or read from the run's cache)."""
    if name not in LISTS:
        raise KeyError(f"no list of findings named {name!r} (known: {', '.join(LISTS)})")
    return [ctx.finding(key) for key in LISTS[name]]


def compute_one(ctx, key: str):
    """The finding ``key`` computed alone in ``ctx``."""
    known = makers()
    if key not in known:
        raise KeyError(f"no finding named {key!r} (known: {', '.join(known)})")
    return known[key](ctx)
