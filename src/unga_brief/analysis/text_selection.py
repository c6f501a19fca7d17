"""Which texts a finding reads: by topic, by parameter, in date order."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from unga_brief.core.errors import ParameterError, UnknownText
from unga_brief.core.vocab import (
    SET_KINDS,
    TOPICS,
)
from unga_brief.data.catalog import text_label

# =============================================================================================
# Choosing texts
# =============================================================================================


def topic_texts(votes_or_catalog: pd.DataFrame, topic: str | None = None) -> list[str]:
    """Every GA resolution and decision of a topic (both topics with ``topic=None``) held in
    the frame, ordered by date then symbol. The briefing's default sets are chosen from the
    catalogue by :func:`unga_brief.report.params.default_texts`; this is the frame-level default."""
    if topic is not None and topic not in TOPICS:
        raise ParameterError(f"unknown topic {topic!r}; known: {', '.join(TOPICS)}")
    t = texts_frame(votes_or_catalog)
    ok = (t["body"].astype(str) == "GA") & t["kind"].astype(str).isin(SET_KINDS)
    ok &= t["topic"].astype(str).isin([topic] if topic else TOPICS)
    return order_texts(t[ok])["text_id"].tolist()


def select_texts(
    votes_or_catalog: pd.DataFrame,
    texts: Sequence[str] | None,
    *,
    topic: str | None = None,
    window: tuple | None = None,
    catalog: pd.DataFrame | None = None,
    what: str = "texts",
) -> list[str]:
    """Check and order a list of text ids (default: :func:`topic_texts` of ``topic``), keep
    those dated inside ``window`` (``(start, end)``, inclusive, either may be None). Unknown
    ids raise ``UnknownText``; an empty result raises ``ParameterError``."""
    # The columns a text is chosen and ordered by: rows of a wide frame are not taken whole.
    t = texts_frame(votes_or_catalog[[c for c in votes_or_catalog.columns if c in _TEXT_KEYS]])
    known = set(t["text_id"]) | (set(catalog["id"]) if catalog is not None else set())
    if texts is None:
        ids = order_texts(t)["text_id"].tolist() if topic is None else topic_texts(t, topic)
    else:
        ids = list(dict.fromkeys(texts))
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UnknownText(
                f"unknown {what}: {', '.join(unknown)} (see data/catalog/catalog.csv)"
            )
    if window is not None:
        start, end = (pd.Timestamp(w) if w is not None else None for w in window)
        dates = dict(zip(t["text_id"], t["date"], strict=True))
        if catalog is not None:
            dates = {**dict(zip(catalog["id"], catalog["date"], strict=True)), **dates}
        ids = [
            i
            for i in ids
            if (start is None or dates[i] >= start) and (end is None or dates[i] <= end)
        ]
    if not ids:
        raise ParameterError(f"no {what} selected (topic {topic!r}, window {window!r})")
    return ids


#: The columns :func:`select_texts` reads (:func:`topic_texts`, :func:`order_texts`).
_TEXT_KEYS = frozenset({"text_id", "id", "date", "body", "kind", "topic", "symbol", "label"})


def texts_frame(df: pd.DataFrame) -> pd.DataFrame:
    t = df.rename(columns={"id": "text_id"}) if "text_id" not in df.columns else df
    return t.drop_duplicates("text_id")


def natural_key(name: str) -> tuple:
    """'A/RES/ES-11/10' after 'A/RES/ES-11/9': digits compare as numbers."""
    return tuple(
        (0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p
    )


def order_texts(texts: pd.DataFrame) -> pd.DataFrame:
    """Texts ordered by date, then by symbol (natural order; the label where no symbol)."""
    recs = texts.to_dict("records")
    idx = sorted(
        range(len(recs)),
        key=lambda i: (pd.Timestamp(recs[i]["date"]), natural_key(text_label(recs[i]))),
    )
    return texts.iloc[idx]
