"""The project's vocabulary, defined once: vote codes and their words, official-total columns,
the basis of a country vote, topics, bodies, kinds of text, coverage values and the State
Department's coincidence methods.

Every module that needs one of these names imports it from here; nothing else defines them.
"""

from __future__ import annotations

#: The United States, whose posture the briefing traces (ISO 3166-1 alpha-3).
US = "USA"

#: Vote codes in their display order: Yes, No, Abstain, Non-voting (absent, did not vote, or no
#: vote under Article 19 — the record rarely says which).
VOTES: tuple[str, ...] = ("Y", "N", "A", "X")
VOTE_CODES = "".join(VOTES)
#: The field of each vote code in official totals and tallies (``non_voting`` for X).
TALLY_FIELDS = {"Y": "yes", "N": "no", "A": "abstain", "X": "non_voting"}
TOTAL_FIELDS: tuple[str, ...] = tuple(TALLY_FIELDS.values())
VOTE_WORDS = {"Y": "Yes", "N": "No", "A": "Abstain", "X": "Non-voting"}
#: A state's vote as a verb phrase ("the United States abstained").
VOTE_VERBS = {"Y": "voted Yes", "N": "voted No", "A": "abstained", "X": "did not vote"}
#: Scores of the agreement index (DESIGN §4). Non-voting has no score.
VOTE_SCORE = {"Y": 1.0, "A": 0.5, "N": 0.0}
#: The catalogue column holding each vote's official total.
OFFICIAL_COLUMNS = {
    "Y": "official_yes",
    "N": "official_no",
    "A": "official_abstain",
    "X": "official_non_voting",
}

#: Where a country vote comes from, firmest first (sources README).
BASES = ("record", "list", "derived", "named")
#: The bases a finding is re-checked on ("holds on UN records and complete lists alone").
FIRM_BASES = ("record", "list")

TOPICS = ("ukraine", "gaza")
TOPIC_WORDS = {"ukraine": "Ukraine", "gaza": "Gaza"}
BODIES = ("GA", "SC")
BODY_WORDS = {"GA": "Assembly", "SC": "Council"}
KINDS = ("resolution", "decision", "amendment", "draft", "motion")
#: Kinds that make up a topic's text set (amendments and motions are shown with the US posture).
SET_KINDS = ("resolution", "decision")
COVERAGE = ("full", "partial", "totals")

#: The State Department's coincidence methods, in the order the reports used them.
COINCIDENCE_METHODS = ("votes_only", "state_2017", "state_2021")
COINCIDENCE_LABELS = {
    "votes_only": "votes only (to 2016)",
    "state_2017": "2017 method",
    "state_2021": "2021 method",
}
