"""Every cell of every row through its field's parser, every problem of a row collected.

Built for 100,000 rows: a list repeats the same dates, names and answers thousands of times,
so each distinct cell of a column is parsed once (its value, or its reason, cached), and a
text cell costs a strip and a look at its first character unless it could be a formula.
"""

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .bulk import collector_paused
from .errors import CellError, ImportRefused
from .mapping import Mapping
from .schema import Schema
from .table import Table

# Text a spreadsheet would run as a formula: "=…", a function call after + - @ ("@SUM(",
# "+HYPERLINK("), or a DDE link ("-cmd|…"). Phone numbers (+7 701 …), @handles and "- note"
# are ordinary text. Such text is imported as it is written, never evaluated, and flagged.
_FORMULA = re.compile(r"^=|^[+\-@]\s*[A-Za-z_][\w.]*\s*\(|^[+\-@=].*\|")
# Our own exports put an apostrophe before any text starting with one of these (see
# writing.safe_cell); exactly that apostrophe is taken off again here.
_GUARDED = ("=", "+", "-", "@", "\t", "\r")
_SUSPECT_START = ("'", "=", "+", "-", "@")

ALL_OR_NOTHING = "all"
GOOD_ROWS = "good"


class Record(NamedTuple):
    line: int
    values: dict[str, Any]  # field name -> parsed value, for every field of the schema


class Rejected(NamedTuple):
    line: int
    reasons: tuple[str, ...]  # every problem of the row, in column order
    cells: list  # the row as read, for the file of rejected rows


class Flag(NamedTuple):
    """A cell that looks like a formula, taken as plain text. ``text`` is "" for a
    sensitive field."""

    line: int
    field: str
    text: str


@dataclass
class Plan:
    """What an import would write, and what it would refuse with every reason."""

    schema: Schema
    table: Table
    mapping: Mapping
    records: list[Record] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how columns were read ("dates day first")

    def reject(self, problems: dict[int, list[str]]) -> None:
        """Refuse more rows, by line, for reasons found after the cells were read (checks
        against the database: "no case has the codename …"). A row refused already gets the
        new reasons added."""
        if not problems:
            return
        cells = {row.line: row.cells for row in self.table.rows}
        kept = []
        for record in self.records:
            if record.line in problems:
                self.rejected.append(
                    Rejected(record.line, tuple(problems[record.line]), cells[record.line])
                )
            else:
                kept.append(record)
        self.records = kept
        merged: dict[int, Rejected] = {}
        for rejected in self.rejected:
            extra = () if rejected.line not in problems else tuple(problems[rejected.line])
            if rejected.line in merged:
                before = merged[rejected.line]
                reasons = before.reasons + tuple(r for r in extra if r not in before.reasons)
                merged[rejected.line] = before._replace(reasons=reasons)
            else:
                reasons = rejected.reasons + tuple(r for r in extra if r not in rejected.reasons)
                merged[rejected.line] = rejected._replace(reasons=reasons)
        self.rejected = sorted(merged.values())

    def refuse_unless_importable(self, mode: str = ALL_OR_NOTHING) -> None:
        """Raise ImportRefused when this plan cannot be written in ``mode``: a required field
        has no column, rows were refused and the import is all or nothing, or there is
        nothing to write."""
        missing = self.mapping.missing(self.schema)
        if missing:
            raise ImportRefused(
                _("Choose the columns for: %(fields)s.")
                % {"fields": ", ".join(str(f.label) for f in missing)}
            )
        if self.rejected and mode != GOOD_ROWS:
            raise ImportRefused(
                ngettext(
                    "%(count)d row cannot be imported; fix it in the file and try again, or "
                    "import the other rows and get the refused one back as a file.",
                    "%(count)d rows cannot be imported; fix them in the file and try again, or "
                    "import the other rows and get the refused ones back as a file.",
                    len(self.rejected),
                )
                % {"count": len(self.rejected)}
            )
        if not self.records:
            raise ImportRefused(_("The file has no rows to import."))


def reason_text(line: int, reasons) -> str:
    """"line 33: 31.02.2023 is not a date; “Организация” is empty"."""
    return _("line %(line)d: %(reasons)s") % {"line": line, "reasons": "; ".join(reasons)}


class _Failed(NamedTuple):
    reason: str


_EMPTY = object()  # an empty cell (a parser may well return None for a filled one)
_REFUSED = object()  # a cell whose value was refused: left out of the row's values


def _text_cell(value: str) -> tuple[str, bool]:
    """A text cell stripped, our own formula guard taken off; and whether it looks like a
    formula."""
    text = value.strip()
    if not text.startswith(_SUSPECT_START):
        return text, False
    if text.startswith("'") and text[1:].startswith(_GUARDED):
        return text[1:], False
    return text, bool(_FORMULA.match(text))


def _reason(problem: CellError, f) -> str:
    if f.sensitive:
        message = str(problem.safe) if problem.safe else _("the value cannot be used")
    else:
        message = str(problem)
    if f.name_in_reasons or f.sensitive:
        return _("%(field)s: %(problem)s") % {"field": f.label, "problem": message}
    return message


class _Column:
    """One mapped field's cell reader with its caches; lives for one ``check`` call."""

    __slots__ = ("empty", "field", "flags", "index", "missing", "name", "others", "parse", "texts")

    def __init__(self, f, index: int, parse):
        self.field, self.index, self.name, self.parse = f, index, f.name, parse
        self.texts: dict[str, tuple] = {}  # a text cell -> (value or _Failed, formula?)
        self.others: dict[tuple, Any] = {}  # (type, value) -> value or _Failed
        self.empty = getattr(f.parser, "empty", None)
        self.missing = (
            _("“%(field)s” is empty") % {"field": f.label} if f.required else None
        )
        self.flags: list[tuple] = []  # (row position, field name, text) of formula-like cells

    def _parsed(self, value):
        try:
            return self.parse(value)
        except CellError as problem:
            return _Failed(_reason(problem, self.field))

    def read_text(self, cell: str):
        found = self.texts.get(cell)
        if found is None:
            text, formula = _text_cell(cell)
            found = (self._parsed(text) if text else _EMPTY, formula)
            self.texts[cell] = found
        return found

    def read_other(self, cell):
        # Keyed with the type: True == 1 == 1.0, but they are different cells.
        key = (cell.__class__, cell)
        found = self.others.get(key)
        if found is None:
            found = self.others[key] = self._parsed(cell)
        return found


    def read_all(self, cell_lists: list, problems: dict) -> list:
        """This column's value in every row: its parsed value, its empty value, or _REFUSED
        with the reason added to ``problems`` under the row's position."""
        index, texts = self.index, self.texts
        read_text, read_other = self.read_text, self.read_other
        missing, empty, name = self.missing, self.empty, self.name
        hidden = self.field.sensitive
        values = []
        append = values.append
        for position, cells in enumerate(cell_lists):
            cell = cells[index] if index < len(cells) else None
            if cell.__class__ is str:
                found = texts.get(cell) or read_text(cell)
                value = found[0]
                if found[1]:
                    self.flags.append((position, name, "" if hidden else cell.strip()))
            elif cell is None:
                value = _EMPTY
            else:
                value = read_other(cell)
            if value is _EMPTY:
                if missing is None:
                    append(empty)
                    continue
                problems.setdefault(position, []).append(missing)
                value = _REFUSED
            elif value.__class__ is _Failed:
                problems.setdefault(position, []).append(value.reason)
                value = _REFUSED
            append(value)
        return values


def _column_values(rows, index: int):
    for row in rows:
        cells = row.cells
        if index < len(cells):
            yield cells[index]


@collector_paused()
def check(table: Table, schema: Schema, mapping: Mapping) -> Plan:
    """Every row of ``table`` read with ``mapping``: a Record where every cell is good and
    the row's own check passes, else a Rejected row with all its reasons."""
    plan = Plan(schema, table, mapping)
    columns = []
    for f in schema.fields:
        index = mapping.columns.get(f.name)
        if index is None:
            continue
        prepared = f.parser.column(_column_values(table.rows, index))
        columns.append(_Column(f, index, prepared.parse))
        plan.notes.extend(
            _("%(field)s: %(note)s") % {"field": f.label, "note": note} for note in prepared.notes
        )
    if mapping.missing(schema):
        return plan  # nothing to check: refuse_unless_importable says which column to choose
    absent = {f.name: getattr(f.parser, "empty", None) for f in schema.fields}
    for column in columns:
        del absent[column.name]
    rows = table.rows
    cell_lists = [raw[1] for raw in rows]
    problems: dict[int, list] = {}  # row position -> reasons, in column order
    # Column by column: each column's loop keeps its caches at hand, and a row's values are
    # then put together in C (zip, dict) rather than cell by cell.
    per_column = [column.read_all(cell_lists, problems) for column in columns]
    names = (*(column.name for column in columns), *absent)
    fixed = tuple(absent.values())
    row_check = schema.row_check
    records, rejected = plan.records, plan.rejected
    for position, found in enumerate(zip(*per_column, strict=True)):
        values = dict(zip(names, found + fixed, strict=True))
        reasons = problems.get(position)
        if reasons is not None:
            for name in [name for name, value in values.items() if value is _REFUSED]:
                del values[name]
        if row_check is not None:
            extra = row_check(values)
            if extra:
                reasons = [*(reasons or ()), *extra]
        raw = rows[position]
        if reasons:
            rejected.append(Rejected(raw[0], tuple(reasons), raw[1]))
        else:
            records.append(Record(raw[0], values))
    order = {column.name: place for place, column in enumerate(columns)}
    plan.flags = sorted(
        (
            Flag(rows[position][0], name, text)
            for column in columns
            for position, name, text in column.flags
        ),
        key=lambda flag: (flag.line, order[flag.field]),
    )
    return plan
