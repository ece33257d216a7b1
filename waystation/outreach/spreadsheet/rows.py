"""Turning spreadsheet rows into approaches to import, or into rejected rows with a reason.

Built for 100,000 rows: a log repeats the same dates, organisations, channels and answers
thousands of times, so each distinct value is parsed, normalised or classified once per file,
and a text cell costs a strip and a look at its first character unless it could be a formula.
"""

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from operator import itemgetter
from typing import NamedTuple

from django.utils.translation import gettext as _

from waystation.core.spreadsheets.bulk import collector_paused

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
# Every formula above and our own guard start with one of these: other text needs no regex.
_SUSPECT_START = ("'", "=", "+", "-", "@")


class ApproachRow(NamedTuple):  # a tuple, not a frozen dataclass: a fifth of the cost to build
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


def _checked_text(value) -> str:
    """A cell's text, stripped; a formula or an overlong cell is refused."""
    text = value.strip() if isinstance(value, str) else " ".join(str(value).split())
    if not text.startswith(_SUSPECT_START) and len(text) <= MAX_CELL_CHARS:
        return text
    if text.startswith("'") and text[1:].startswith(_GUARDED):
        return text[1:]  # our own formula guard from an export
    if _FORMULA.match(text):
        raise CellError(
            _("the cell “%(text)s” contains a spreadsheet formula") % {"text": text[:30]}
        )
    if len(text) > MAX_CELL_CHARS:
        raise CellError(_("a cell is longer than %(n)d characters") % {"n": MAX_CELL_CHARS})
    return text


def _spaced_organisation(text: str) -> tuple[str, str]:
    organisation = " ".join(text.split())
    return organisation, organisation_key(organisation)


def _codename(text: str) -> str:
    from waystation.cases.codenames import normalise

    return normalise(text) if text else ""


# What a row's fields are read from, in this order (see _RowReader.row).
_TEXT_FIELDS = (
    "organisation",
    "date",
    "response_date",
    "response",
    "response_kind",
    "contact",
    "channel",
    "comment",
    "subject",
    "kind",
    "country",
    "city",
    "case",
)
# ApproachRow(...) runs a Python __new__, and with keywords cost a third of all the checking
# of a row; this builds the same tuple in C. It applies no defaults: give every field, in the
# order of ApproachRow._fields.
_approach_row = partial(tuple.__new__, ApproachRow)


class _RowReader:
    """Checks the rows of one file with one mapping. The caches live as long as one
    ``parse_rows`` call: a date's plausibility depends on today, a reason on the language."""

    def __init__(self, mapping: Mapping):
        self.indexes = list(mapping.columns.values())
        # Each field's checked text, from a row's list of them; a field without a column
        # reads the "" put after them (-1).
        names = list(mapping.columns)
        self.fields = itemgetter(
            *(names.index(name) if name in names else -1 for name in _TEXT_FIELDS)
        )
        self.date_column = mapping.columns.get("date")
        self.answered_column = mapping.columns.get("response_date")
        self.text: dict[str, str] = {}  # a text cell -> its checked text
        # Typed: True == 1 == 1.0, but they are different cells.
        self.other_text = lru_cache(maxsize=None, typed=True)(_checked_text)
        self.dates: dict[tuple, ParsedDate | str] = {}  # (type, value) -> date or the reason
        self.organisation = cache(_spaced_organisation)
        self.channel = cache(channel)
        self.answer = cache(response_kind)
        self.codename = cache(_codename)

    def _date(self, value) -> ParsedDate:
        # Keyed with the type: True == 1 and 1.0 == 1, but they are different cells.
        key = (value.__class__, value)
        parsed = self.dates.get(key)
        if parsed is None:
            try:
                parsed = parse_date(value)
            except CellError as problem:
                parsed = str(problem)
            self.dates[key] = parsed
        if isinstance(parsed, str):
            raise CellError(parsed)
        return parsed

    def row(self, raw) -> ApproachRow:
        cells = raw.cells
        count = len(cells)
        known = self.text
        texts = []
        # Every mapped cell is checked, in column order, so the first problem is the one told.
        for index in self.indexes:
            value = cells[index] if index < count else None
            if value.__class__ is str:
                text = known.get(value)
                if text is None:
                    # Most text needs no more than this (a comment column is new in every
                    # row); a refused cell raises here each time it comes.
                    text = value.strip()
                    if text.startswith(_SUSPECT_START) or len(text) > MAX_CELL_CHARS:
                        text = _checked_text(value)
                    known[value] = text
            elif value is None:
                text = ""
            else:
                text = self.other_text(value)
            texts.append(text)
        texts.append("")
        (
            organisation_text,
            date_text,
            answered_text,
            response_text,
            stated,
            contact,
            channel_text,
            comment,
            subject,
            kind,
            country,
            city,
            case,
        ) = self.fields(texts)
        organisation, key = self.organisation(organisation_text)
        if not organisation:
            raise CellError(_("the organisation is missing"))
        index = self.date_column
        date_cell = cells[index] if index is not None and index < count else None
        approach_date = self._date(date_text if isinstance(date_cell, str) else date_cell)
        response_date = None
        index = self.answered_column
        answered_cell = cells[index] if index is not None and index < count else None
        if answered_cell is not None and answered_cell != "":
            try:
                response_date = self._date(
                    answered_text if isinstance(answered_cell, str) else answered_cell
                )
            except CellError as problem:
                raise CellError(_("response date: %(reason)s") % {"reason": problem}) from None
            if response_date.value < approach_date.value:
                raise CellError(_("the response date is before the approach date"))
        # Our own exports state the kind; otherwise it is read from the free text.
        answer = stated if stated in RESPONSE_KINDS else self.answer(response_text)
        return _approach_row(
            (
                raw.line,
                approach_date,  # date
                organisation,
                key,  # organisation_key
                contact,
                self.channel(channel_text),
                answer,  # response_kind
                response_text,
                response_date,
                comment,
                subject,
                kind,
                country,
                city,
                self.codename(case),
            )
        )


@collector_paused()
def parse_rows(table, mapping: Mapping) -> ImportPlan:
    plan = ImportPlan()
    check = _RowReader(mapping).row
    rows, rejected = plan.rows, plan.rejected
    for raw in table.rows:
        try:
            rows.append(check(raw))
        except CellError as problem:
            rejected.append(RejectedRow(raw.line, str(problem)))
    return plan
