"""Build small MARC XML voting records for tests (synthetic roll calls, never shipped data)."""

from __future__ import annotations

from xml.sax.saxutils import escape

NS = "http://www.loc.gov/MARC21/slim"


def marc_record(
    record_id: str,
    symbol: str,
    date: str,
    title: str,
    votes: dict[str, str],
    names: dict[str, str] | None = None,
    totals: dict[str, int] | None = None,
) -> bytes:
    """One ``<collection>`` with one record; ``votes`` ISO3 -> Y/N/A/X (X = no $d)."""
    names = names or {}
    fields = [
        f'<controlfield tag="001">{record_id}</controlfield>',
        f'<datafield tag="269" ind1=" " ind2=" "><subfield code="a">{date}</subfield></datafield>',
        f'<datafield tag="791" ind1=" " ind2=" "><subfield code="a">{escape(symbol)}</subfield></datafield>',
        f'<datafield tag="245" ind1=" " ind2=" "><subfield code="a">{escape(title)} :</subfield></datafield>',
    ]
    for i, (iso3, v) in enumerate(sorted(votes.items()), start=1):
        d = "" if v == "X" else f'<subfield code="d">{v}</subfield>'
        fields.append(
            f'<datafield tag="967" ind1=" " ind2=" "><subfield code="a">{i}</subfield>'
            f'<subfield code="c">{iso3}</subfield>{d}'
            f'<subfield code="e">{escape(names.get(iso3, iso3).upper())}</subfield></datafield>'
        )
    if totals is None:
        totals = {c: sum(1 for v in votes.values() if v == c) for c in "YNAX"}
    fields.append(
        '<datafield tag="996" ind1=" " ind2=" ">'
        f'<subfield code="b">{totals["Y"]}</subfield><subfield code="c">{totals["N"]}</subfield>'
        f'<subfield code="d">{totals["A"]}</subfield><subfield code="e">{totals["X"]}</subfield>'
        f'<subfield code="f">{sum(totals.values())}</subfield></datafield>'
    )
    body = "".join(fields)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><collection xmlns="{NS}"><record>{body}</record></collection>'
    ).encode()
