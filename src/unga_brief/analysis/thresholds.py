"""How close each vote came to failing, and who held the pivot (issue 16, item 4).

* :func:`majority_rule` — which rule applied to a text, and on what basis.
* :func:`passes` — the outcome a rule gives for a set of totals.
* :func:`pivot_size` — the smallest number of changed votes that would reverse the outcome.
* :func:`threshold_table` — every voted text (GA and SC; amendments, motions and Council drafts
  included): rule, outcome, margin, pivot and the blocs that hold it.

The rules relied on (GA Rules of Procedure, A/520/Rev.20 and earlier revisions; UN Charter):

* rule 83 — decisions on important questions (among them recommendations on international peace
  and security, and the suspension of the rights and privileges of membership) are made by a
  two-thirds majority of the members present and voting;
* rule 84 — decisions on amendments to proposals relating to important questions, and on parts
  of such proposals put to the vote separately, need the same two-thirds majority (inserted by
  resolution 475 (V), 1950);
* rule 85 — decisions on other questions are made by a majority of the members present and
  voting;
* rule 86 — "members present and voting" means members casting an affirmative or negative vote;
  members which abstain are considered as not voting;
* rule 95 — a vote equally divided (other than in elections) rejects the proposal;
* Charter Art. 27(3) — a Security Council decision needs nine affirmative votes including the
  concurring votes of the permanent members; by the Council's settled practice a permanent
  member's abstention is not a veto.

Which GA texts were decided by two-thirds is never guessed: it comes from the catalogue's
``majority`` field (set in ``data/catalog/texts.yml`` only where a record, press release or
report states it, with its source), or from the documented rule in :func:`majority_rule` (a text
reported not adopted although its Yes votes outnumbered its No votes can only have needed two
thirds). Every other GA text is read under rule 85, and the table says whether two thirds would
have changed its outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from unga_brief.analysis.ballot_frame import ballots, text_status
from unga_brief.analysis.membership import bloc_membership
from unga_brief.core.errors import ParameterError

P5 = ("CHN", "FRA", "GBR", "RUS", "USA")
SC_VOTES_NEEDED = 9
RULES = ("simple", "two-thirds", "council", "procedural")
RULE_WORDS = {
    "simple": "simple majority of members present and voting (GA rule 85)",
    "two-thirds": "two-thirds majority of members present and voting (GA rules 83–84)",
    "council": "nine votes and no negative vote of a permanent member (Charter Art. 27(3))",
    "procedural": "nine votes of any members, no veto (Charter Art. 27(2))",
}


def majority_rule(body: str, majority: str, adopted, yes, no) -> tuple[str, str]:
    """The majority rule of a text: a Security Council text needs nine affirmative votes and no
    negative vote of a permanent member (Charter Art. 27(3); an abstention is not a veto), or
    nine votes of any members on a procedural matter the catalogue marks as such (Art. 27(2)). A
    General Assembly text needs a two-thirds majority of the members present and voting — those
    casting Yes or No, abstentions not counted (rules 83, 84 and 86) — where the catalogue
    records that a two-thirds majority was required (its majority field, from the record,
    press release or report named there), or where a text was reported not adopted although
    its Yes votes outnumbered its No votes (which only a two-thirds requirement explains);
    otherwise a simple majority of those present and voting (rule 85). An equally divided vote
    rejects the proposal (rule 95)."""
    m = str(majority or "").strip()
    if body == "SC":
        if m == "procedural":
            return "procedural", "catalogue: procedural matter, Charter Art. 27(2)"
        return "council", "Charter Art. 27(3)"
    if m:
        if m not in ("simple", "two-thirds"):
            raise ParameterError(f"unknown GA majority {m!r}; known: simple, two-thirds")
        return m, "catalogue (stated by the source named in texts.yml)"
    if adopted is False and pd.notna(yes) and pd.notna(no) and int(yes) > int(no):
        return "two-thirds", "inferred: not adopted although Yes > No (rules 83–84)"
    return "simple", "rule 85 (no two-thirds requirement recorded)"


def passes(rule: str, yes: int, no: int, p5_no: int = 0) -> bool:
    """Whether totals carry a text under ``rule`` (see :func:`majority_rule`)."""
    if rule == "simple":
        return yes > no
    if rule == "two-thirds":
        return yes > 0 and 3 * yes >= 2 * (yes + no)
    if rule == "council":
        return yes >= SC_VOTES_NEEDED and p5_no == 0
    if rule == "procedural":
        return yes >= SC_VOTES_NEEDED
    raise ParameterError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")


def pivot_size(
    rule: str, yes: int, no: int, others: int = 0, p5_no: int = 0, p5_not_no: int = 0
) -> tuple[int, str]:
    """Pivot: the smallest number of states whose changed votes would have reversed the
    outcome, and the change that achieves it. For an adopted GA text, Yes votes turned No
    (each narrows the gap most); for a failed one, No votes turned Yes (then, where no No is
    left, abstaining or non-voting states turned Yes). For a Council text, one permanent member
    turning No defeats it, and the Yes votes above eight turned No defeat it too; a failed one
    needs every permanent member's No withdrawn (turned Yes) and enough Yes votes to reach
    nine.

    ``others`` = abstaining + non-voting states (the pool a failed text may draw on)."""
    ok = passes(rule, yes, no, p5_no)
    k = 0
    y, n, o = yes, no, others
    if rule == "procedural":
        return (
            (yes - SC_VOTES_NEEDED + 1, "Yes → No")
            if ok
            else (
                SC_VOTES_NEEDED - yes,
                "others → Yes",
            )
        )
    if rule == "council":
        if ok:
            by_count = yes - (SC_VOTES_NEEDED - 1)
            if p5_not_no and 1 <= by_count:
                return 1, "one permanent member votes No"
            return by_count, "Yes → No"
        need = p5_no + max(0, SC_VOTES_NEEDED - yes - p5_no)
        return need, "permanent members' No → Yes, others → Yes"
    # GA: one vote at a time, the most effective change first (bounded by the electorate)
    while passes(rule, y, n) == ok:
        if ok:
            if y == 0:
                break
            y, n = y - 1, n + 1
        elif n > 0:
            y, n = y + 1, n - 1
        elif o > 0:
            y, o = y + 1, o - 1
        else:
            return -1, "cannot be reversed"
        k += 1
    return k, "Yes → No" if ok else "No → Yes"


def _counts(b: pd.DataFrame) -> pd.DataFrame:
    """Per text: Y N A X counted from known rows, and the P5's No / not-No counts."""
    known = b.dropna(subset=["vote"])
    c = (
        known.groupby(["text_id", "vote"], observed=False)
        .size()
        .unstack("vote")
        .reindex(columns=list("YNAX"), fill_value=0)
    )
    p5 = known[known["iso3"].isin(P5)]
    c["p5_no"] = p5[p5["vote"] == "N"].groupby("text_id").size().reindex(c.index, fill_value=0)
    c["p5_not_no"] = p5[p5["vote"] != "N"].groupby("text_id").size().reindex(c.index, fill_value=0)
    return c


def threshold_table(
    votes: pd.DataFrame,
    catalog: pd.DataFrame,
    groups: pd.DataFrame | None = None,
    *,
    texts: Sequence[str] | None = None,
    blocs: Sequence[str] = (),
    firm_only: bool = False,
    electorate: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rule, outcome, margin and pivot of every voted text (default: every text of the
    catalogue, GA and SC, amendments, motions and drafts included).

    Columns: ``text_id, name, date, body, kind, topic, yes, no, abstain, non_voting`` (official
    totals), ``rule, rule_basis, required`` (Yes votes needed given the No votes; for the
    Council nine), ``passes`` (under the rule), ``adopted`` (as recorded), ``consistent``,
    ``also_two_thirds`` (GA: would it also carry two thirds), ``pivot`` (:func:`pivot_size`),
    ``pivot_change``, ``pivot_two_thirds`` (the pivot had two thirds applied), ``pivot_blocs``
    (the blocs with at least ``pivot`` members on the winning side, who could reverse it
    alone; "unknown" where the winning side's list is not complete), ``known_votes``, ``coverage_note``.
    Totals are the official ones; the P5 votes of a Council text come from its rows (or from
    ``vetoed_by``)."""
    cat = catalog.rename(columns={"id": "text_id"})
    if texts is not None:
        cat = cat[cat["text_id"].isin(list(texts))]
    b = ballots(votes, electorate=electorate, firm_only=firm_only)
    b = b[b["text_id"].isin(cat["text_id"])]
    counts = _counts(b)
    st = text_status(b).set_index("text_id") if len(b) else pd.DataFrame()
    known_votes = (st["electorate"] - st["unknown"]).to_dict() if len(b) else {}
    bm = (
        bloc_membership(groups, cat[["text_id", "date"]], blocs)
        if groups is not None and len(blocs)
        else pd.DataFrame(columns=["text_id", "group", "iso3"])
    )
    by_text = _by_text(b, bm)
    rows = []
    for t in cat.to_dict("records"):
        tid = t["text_id"]
        y, n, a, x = (t[f"official_{c}"] for c in ("yes", "no", "abstain", "non_voting"))
        adopted = None if pd.isna(t["adopted"]) else bool(t["adopted"])
        rule, basis = majority_rule(t["body"], t.get("majority", ""), adopted, y, n)
        row = {
            "text_id": tid,
            "name": st.loc[tid, "name"] if tid in st.index else (t["symbol"] or t["label"]),
            "date": t["date"],
            "body": t["body"],
            "kind": t["kind"],
            "topic": t["topic"],
            "yes": y,
            "no": n,
            "abstain": a,
            "non_voting": x,
            "rule": rule,
            "rule_basis": basis,
            "adopted": adopted,
            "known_votes": int(known_votes.get(tid, 0)),
        }
        if pd.isna(y) or pd.isna(n):
            rows.append(row | {"coverage_note": "official Yes or No total unknown"})
            continue
        y, n = int(y), int(n)
        others = int(0 if pd.isna(a) else a) + int(0 if pd.isna(x) else x)
        if rule == "council":
            vetoes = set(str(t.get("vetoed_by") or "").split())
            c = counts.loc[tid] if tid in counts.index else None
            p5_no = max(len(vetoes), int(c["p5_no"]) if c is not None else 0)
            p5_not_no = int(c["p5_not_no"]) if c is not None else 0
            if c is None or (c["p5_no"] + c["p5_not_no"]) < len(P5):
                p5_not_no = len(P5) - p5_no if c is None else p5_not_no
        else:
            p5_no = p5_not_no = 0
        ok = passes(rule, y, n, p5_no)
        k, change = pivot_size(rule, y, n, others, p5_no, p5_not_no)
        row |= {
            "required": SC_VOTES_NEEDED
            if rule in ("council", "procedural")
            else (max(2 * n, 1) if rule == "two-thirds" else n + 1),
            "passes": ok,
            "consistent": adopted is None or ok == adopted,
            "pivot": k,
            "pivot_change": change,
        }
        if t["body"] == "GA":
            row["also_two_thirds"] = passes("two-thirds", y, n)
            row["pivot_two_thirds"] = pivot_size("two-thirds", y, n, others)[0]
        row["pivot_blocs"] = _pivot_blocs(by_text, tid, ok, k, t["body"])
        row["coverage_note"] = st.loc[tid, "status"] if tid in st.index else "totals only"
        rows.append(row)
    cols = [
        "text_id",
        "name",
        "date",
        "body",
        "kind",
        "topic",
        "yes",
        "no",
        "abstain",
        "non_voting",
        "rule",
        "rule_basis",
        "required",
        "passes",
        "adopted",
        "consistent",
        "also_two_thirds",
        "pivot",
        "pivot_change",
        "pivot_two_thirds",
        "pivot_blocs",
        "known_votes",
        "coverage_note",
    ]
    out = pd.DataFrame(rows).reindex(columns=cols)
    return out.sort_values(["date", "body", "text_id"], ignore_index=True)


def _by_text(b: pd.DataFrame, bm: pd.DataFrame) -> dict:
    """Per text of ``b``: its ``known_lists`` (first row), the states of each known vote, and
    per vote the number of each bloc's members (``bm``) who cast it: computed once (one merge,
    one groupby), instead of selecting the whole frames per text."""
    out: dict = {}
    # .tolist() first: iterating string (pyarrow) columns element by element is slow
    for tid, kl in zip(b["text_id"].tolist(), b["known_lists"].tolist(), strict=True):
        if tid not in out:
            out[tid] = {"lists": str(kl), "votes": {}, "held": {}}
    known = b.loc[b["vote"].notna(), ["text_id", "iso3", "vote"]]
    cols = (known[c].astype(object).tolist() for c in ("text_id", "iso3", "vote"))
    for tid, iso3, v in zip(*cols, strict=True):
        out[tid]["votes"].setdefault(str(v), set()).add(iso3)
    held = bm[["text_id", "group", "iso3"]].merge(known, on=["text_id", "iso3"])
    n = held.groupby(["text_id", held["vote"].astype(str), "group"]).size()
    for (tid, v, group), c in zip(n.index.tolist(), n.tolist(), strict=True):
        out[tid]["held"].setdefault(v, {})[group] = c
    return out


def _pivot_blocs(by_text: dict, tid, ok, k, body) -> str:
    """Blocs with at least ``k`` members whose known vote is on the winning side (``by_text``:
    :func:`_by_text`)."""
    side = "Y" if ok else "N"
    t = by_text.get(tid)
    votes = t["votes"] if t is not None else {}
    if body == "SC":
        if ok and k == 1:
            p5 = sorted(i for v, who in votes.items() if v != "N" for i in who if i in P5)
            return " ".join(p5) + " (each alone)" if p5 else ""
        return ""
    if k <= 0:
        return ""
    if t is None or side not in t["lists"]:
        return "unknown (that list is not complete)"
    n = t["held"].get(side, {})
    return " ".join(sorted(g for g, c in n.items() if c >= k))
