"""Turning spreadsheet rows into approaches to import, or into rejected rows with a reason."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .classify import RESPONSE_KINDS, channel, response_kind
from .dates import CellError, ParsedDate, parse_date
from .mapping import Mapping
from .names import organisation_key

MAX_CELL_CHARS = 2000
# Text a spreadsheet would run as a formula: "=…", a function call after + - @ ("@SUM(",
# "+HYPERLINK("), or a DDE link ("-cmd|…"). Phone numbers (+7 701 …), @handles and "- note"
# are ordinary text. Our own exports put an apostrophe before any text starting with
# = + - @ (see writing.safe_cell); exactly that apostrophe is taken off again on import.
_FORMULA = re.compile(r"^=|^[+\-@]\s*[A-Za-z_][\w.]*\s*\(|^[+\-@=].*\|")
_GUARDED = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ApproachRow:
    line: int
    date: ParsedDate
    organisation: str
    organisation_key: str
    contact: str = ""
    channel: str = "other"
    response_kind: str = "none"
    response_text: str = ""
    response_date: ParsedDate | None = None
    comment: str = ""
    subject: str = ""
    kind: str = ""
    country: str = ""
    city: str = ""
    case: str = ""  # a case's codename, normalised; empty: for the group


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportPlan:
    rows: list[ApproachRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def organisation_count(self) -> int:
        return len({row.organisation_key for row in self.rows})


def _text(cells: list, mapping: Mapping, name: str) -> str:
    index = mapping.columns.get(name)
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    value = cells[index]
    text = " ".join(str(value).split()) if not isinstance(value, str) else value.strip()
    if text.startswith("'") and text[1:].startswith(_GUARDED):
        return text[1:]  # our own formula guard from an export
    if _FORMULA.match(text):
        raise CellError(
            _("the cell “%(text)s” contains a spreadsheet formula") % {"text": text[:30]}
        )
    if len(text) > MAX_CELL_CHARS:
        raise CellError(_("a cell is longer than %(n)d characters") % {"n": MAX_CELL_CHARS})
    return text


def _raw(cells: list, mapping: Mapping, name: str):
    index = mapping.columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _row(raw, mapping: Mapping) -> ApproachRow:
    cells = raw.cells
    texts = {name: _text(cells, mapping, name) for name in mapping.columns}
    organisation = " ".join(texts.get("organisation", "").split())
    if not organisation:
        raise CellError(_("the organisation is missing"))
    date_cell = _raw(cells, mapping, "date")
    approach_date = parse_date(texts["date"] if isinstance(date_cell, str) else date_cell)
    response_text = texts.get("response", "")
    response_date = None
    answered_cell = _raw(cells, mapping, "response_date")
    if answered_cell not in (None, ""):
        try:
            response_date = parse_date(
                texts["response_date"] if isinstance(answered_cell, str) else answered_cell
            )
        except CellError as problem:
            raise CellError(_("response date: %(reason)s") % {"reason": problem}) from None
        if response_date.value < approach_date.value:
            raise CellError(_("the response date is before the approach date"))
    return ApproachRow(
        line=raw.line,
        date=approach_date,
        organisation=organisation,
        organisation_key=organisation_key(organisation),
        contact=texts.get("contact", ""),
        channel=channel(texts.get("channel", "")),
        response_kind=_kind_of_response(texts.get("response_kind", ""), response_text),
        response_text=response_text,
        response_date=response_date,
        comment=texts.get("comment", ""),
        subject=texts.get("subject", ""),
        kind=texts.get("kind", ""),
        country=texts.get("country", ""),
        city=texts.get("city", ""),
        case=_codename(texts.get("case", "")),
    )


def _codename(text: str) -> str:
    from waystation.cases.codenames import normalise

    return normalise(text) if text else ""


def _kind_of_response(stated: str, text: str) -> str:
    """Our own exports state the kind; otherwise it is read from the free text."""
    return stated if stated in RESPONSE_KINDS else response_kind(text)


def parse_rows(table, mapping: Mapping) -> ImportPlan:
    plan = ImportPlan()
    for raw in table.rows:
        try:
            plan.rows.append(_row(raw, mapping))
        except CellError as problem:
            plan.rejected.append(RejectedRow(raw.line, str(problem)))
    return plan
