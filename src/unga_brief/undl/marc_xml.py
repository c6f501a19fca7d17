"""The UN Digital Library's MARC XML voting records (DESIGN §7), read with ``defusedxml`` only:
entity declarations and external references are refused, so entity-expansion bombs and
external entities never expand. Returns :class:`~unga_brief.undl.records.UndlRecords`.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import iterparse as _safe_iterparse

from unga_brief.core.errors import (
    BadDate,
    BadVoteCode,
    MalformedFile,
    TotalsMismatch,
)
from unga_brief.core.vocab import TALLY_FIELDS, VOTES
from unga_brief.undl.cleaning import (
    FIELD_MAX,
    NAME_MAX,
    TITLE_MAX,
    check_record_id,
    check_symbol,
    clean_text,
    safe_label,
    shown,
)
from unga_brief.undl.records import (
    ISO3_RE,
    MARC_996,
    MARC_NS,
    TEXT_COLUMNS,
    TOTAL_COLUMNS,
    VOTE_COLUMNS,
    UndlRecords,
    body_of,
    iso_day,
    records_frames,
    tally_problems,
    trim_title,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# MARC XML


def _local(tag: object) -> str | None:
    """Local name of a MARC-namespace (or namespace-less) element; None for anything else."""
    if not isinstance(tag, str):  # comments, processing instructions
        return None
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return name if ns == MARC_NS else None
    return tag


def _read_record(rec, index: int, name: str, check_totals: bool):
    """One <record> -> (text dict, list of vote dicts). Raises on any problem."""
    control: dict[str, str] = {}
    fields: list[tuple[str, str, list[tuple[str, str]]]] = []
    for child in rec:
        kind = _local(child.tag)
        if kind == "controlfield":
            control.setdefault(child.get("tag", ""), (child.text or "").strip())
        elif kind == "datafield":
            subs = [
                (sf.get("code", ""), (sf.text or "").strip())
                for sf in child
                if _local(sf.tag) == "subfield"
            ]
            fields.append((child.get("tag", ""), child.get("ind1", " "), subs))

    def first(tag: str, code: str, ind1: str | None = None) -> str | None:
        for t, i1, subs in fields:
            if t == tag and (ind1 is None or i1 == ind1):
                for c, v in subs:
                    if c == code and v:
                        return v
        return None

    rid = control.get("001", "")
    if not rid:
        raise MalformedFile(f"{name}: record #{index} has no 001 (UNDL record id)")
    check_record_id(rid, f"{name}: record #{index}")
    symbol = first("791", "a")
    if symbol is None:
        raise MalformedFile(f"{name}: record {rid} has no 791 $a (document symbol)")
    symbol = check_symbol(symbol, f"{name}: record {rid}")
    where = f"{name}: record {rid} ({symbol})"
    raw_date = first("269", "a")
    if raw_date is None:
        raise MalformedFile(f"{where}: no 269 $a (date of the vote)")
    date = iso_day(raw_date)
    if date is None:
        raise BadDate(f"{where}: 269 date {shown(raw_date)} is not a YYYY-MM-DD day")
    title = trim_title(clean_text(first("245", "a"), TITLE_MAX))
    draft = clean_text(first("993", "a", ind1="2") or first("993", "a"), FIELD_MAX)
    body = body_of(symbol)
    if body is None:
        body = {"General Assembly": "GA", "Security Council": "SC"}.get(first("981", "a") or "")

    totals: dict[str, int | None] = dict.fromkeys(TOTAL_COLUMNS)
    for t, _i1, subs in fields:
        if t != "996":
            continue
        for code, value in subs:
            key = MARC_996.get(code)
            if key is None or totals[key] is not None or value == "":
                continue
            if not re.fullmatch(r"[0-9]+", value):
                raise MalformedFile(f"{where}: 996 ${code} {shown(value)} is not a count")
            totals[key] = int(value)
        break

    votes: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    counts = dict.fromkeys(VOTES, 0)
    n967 = 0
    for t, _i1, subs in fields:
        if t != "967":
            continue
        n967 += 1
        sub: dict[str, str] = {}
        for c, v in subs:
            sub.setdefault(c, v)
        order = sub.get("a") or f"#{n967}"
        if not re.fullmatch(r"#?[0-9]{1,6}", order):
            order = shown(order)
        iso3 = sub.get("c", "")
        if not ISO3_RE.match(iso3):
            raise MalformedFile(
                f"{where}: 967 order {order}: ISO3 $c {shown(iso3)} is not 3 letters"
            )
        code = sub.get("d", "")
        if code == "":
            code = "X"  # a 967 without $d: non-voting
        elif code not in VOTES:
            raise BadVoteCode(
                f"{where}: 967 order {order} ({iso3}): vote code {shown(code)} is not Y, N, A "
                "(or absent for non-voting)"
            )
        if iso3 in seen:
            raise MalformedFile(
                f"{where}: {iso3} appears twice (967 orders {seen[iso3]} and {order})"
            )
        seen[iso3] = order
        counts[code] += 1
        votes.append(
            {
                "undl_record": rid,
                "symbol": symbol,
                "date": date,
                "iso3": iso3,
                "name": clean_text(sub.get("e"), NAME_MAX),
                "vote": code,
            }
        )

    if check_totals and n967:
        problems = tally_problems(
            counts, totals, "967 rows", dict.fromkeys(TALLY_FIELDS.values(), "996")
        )
        if problems:
            raise TotalsMismatch(f"{where}: " + "; ".join(problems))
    elif not n967:
        log.info("%s: no 967 fields (totals only)", where)
    text = {
        "undl_record": rid,
        "symbol": symbol,
        "date": date,
        "title": title,
        "draft": draft,
        "meeting": clean_text(first("952", "a"), FIELD_MAX),
        "body": body,
        **totals,
    }
    return text, votes


def parse_marc_xml(
    source: str | Path | bytes, *, check_totals: bool = True, label: str | None = None
) -> UndlRecords:
    """Read a UNDL MARC XML voting export: ``<collection>`` of ``<record>`` (or one bare record).

    ``source`` is a path (``str`` or ``Path``) or the file's bytes; ``label`` names it in
    messages (default: the path, or ``<bytes>``). Each 967 field gives one vote row (``$c``
    ISO3, ``$d`` Y/N/A, absent = X, ``$e`` name); 791/269/245/993/952/996 give the text row.
    A record with 967 fields must tally with its 996 totals (unless ``check_totals=False``);
    a record without 967 fields is kept as totals only.

    Raises MalformedFile (unreadable, malformed or truncated XML; entity declarations or
    external references, i.e. XML bombs and external entities; no record; a record without
    001, 791 or 269; a duplicate ISO3 or record), BadVoteCode, BadDate, TotalsMismatch.
    Any DOCTYPE is refused (UNDL exports have none), and entity declarations and external
    references would be too.
    """
    if isinstance(source, bytes | bytearray):
        name = safe_label(label or "<bytes>")
        opener = lambda: io.BytesIO(bytes(source))  # noqa: E731
    else:
        path = Path(source)
        name = safe_label(label or str(path))
        if not path.is_file():
            raise MalformedFile(f"{name}: file not found")
        opener = lambda: open(path, "rb")  # noqa: E731

    texts: list[dict] = []
    votes: list[dict] = []
    seen: set[str] = set()
    try:
        with opener() as fh:
            depth = 0
            root_kind = None
            for event, elem in _safe_iterparse(
                fh,
                events=("start", "end"),
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
            ):
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root_kind = _local(elem.tag)
                        if root_kind not in ("collection", "record"):
                            raise MalformedFile(
                                f"{name}: root element is <{elem.tag}>, expected a MARC21 "
                                f"<collection> or <record> ({MARC_NS})"
                            )
                    continue
                depth -= 1
                is_record = _local(elem.tag) == "record" and (
                    (root_kind == "collection" and depth == 1) or depth == 0
                )
                if not is_record:
                    continue
                text, rows = _read_record(elem, len(texts) + 1, name, check_totals)
                if text["undl_record"] in seen:
                    raise MalformedFile(
                        f"{name}: record {text['undl_record']} appears twice in the file"
                    )
                seen.add(text["undl_record"])
                texts.append(text)
                votes.extend(rows)
                elem.clear()  # keep memory to one record at a time
    except DTDForbidden as e:
        ext = f" referring to {shown(e.sysid)}" if e.sysid else ""
        raise MalformedFile(
            f"{name}: refused: the XML has a DOCTYPE declaration{ext} (UNDL MARC exports have "
            "none; DTDs carry entity-expansion bombs and external entities)"
        ) from None
    except EntitiesForbidden as e:
        raise MalformedFile(
            f"{name}: refused: the XML declares entity {shown(e.name)} (entity declarations are "
            "not allowed: entity-expansion bomb or external entity)"
        ) from None
    except ExternalReferenceForbidden as e:
        raise MalformedFile(
            f"{name}: refused: the XML refers to an external resource {shown(e.sysid)}"
        ) from None
    except DefusedXmlException as e:
        raise MalformedFile(f"{name}: refused: unsafe XML ({type(e).__name__})") from None
    except ParseError as e:
        raise MalformedFile(f"{name}: malformed XML: {shown(str(e), 200)[1:-1]}") from None
    except OSError as e:
        raise MalformedFile(f"{name}: cannot read: {e.strerror or e}") from None
    if not texts:
        raise MalformedFile(f"{name}: no MARC <record> in the file")
    log.info("%s: %d record(s), %d vote rows", name, len(texts), len(votes))
    return records_frames(
        {c: [r[c] for r in votes] for c in VOTE_COLUMNS},
        {c: [t[c] for t in texts] for c in TEXT_COLUMNS},
    )
