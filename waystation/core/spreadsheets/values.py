"""Value parsers: what a cell becomes in a record, or the reason why it cannot.

A parser sees the whole column first (``column(values)``), so that a choice that depends on
the column — whether 03/04/2023 is the 3rd of April or the 4th of March — is made once and
said on the preview, and returns a ``ColumnParser``: the function each cell goes through and
those notes. The engine calls that function once per distinct cell value and caches the
result, so a parser may be slow; it is never called for an empty cell.

Cells arrive as calamine and the CSV reader give them: ``str`` (stripped, never empty, a
formula guard from our own exports taken off), ``int``, ``float``, ``bool``, ``date``,
``datetime``, ``time`` or ``timedelta``. A plain function ``value -> value`` may be given
wherever a parser is expected (``Field(parser=fn)``); it is wrapped in ``Function``.
"""

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from .dates import Dates, ParsedDate
from .errors import CellError

__all__ = [
    "ColumnParser",
    "Dates",
    "Function",
    "Integer",
    "ParsedDate",
    "Parser",
    "Text",
    "as_parser",
    "cell_text",
]


class ColumnParser(NamedTuple):
    parse: Callable[[Any], Any]
    notes: list[str]  # said on the preview and by a dry run, e.g. how dates are read


class Parser:
    """The base of every parser: ``parse(value)`` for one cell, and ``column(values)``, which
    by default uses ``parse`` for every cell with no notes. ``empty`` is the value of an
    empty cell in a field that is not required."""

    empty: Any = None

    def parse(self, value):
        raise NotImplementedError

    def column(self, values: Iterable) -> ColumnParser:
        return ColumnParser(self.parse, [])


def cell_text(value) -> str:
    """A cell as text: 5.0 from a number cell is "5", a date cell is 31.12.2024."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, timedelta):
        return str(value)
    return " ".join(str(value).split())


class Text(Parser):
    """Any cell as text, spaces inside collapsed only when ``single_line``."""

    empty = ""

    def __init__(self, *, max_chars: int = 2000, single_line: bool = False):
        self.max_chars, self.single_line = max_chars, single_line

    def parse(self, value) -> str:
        text = cell_text(value)
        if self.single_line:
            text = " ".join(text.split())
        if len(text) > self.max_chars:
            reason = _("the cell is longer than %(n)d characters") % {"n": self.max_chars}
            raise CellError(reason, safe=reason)
        return text


class Integer(Parser):
    """A whole number (5, 5.0, "5", " 5 "), within the bounds given."""

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None):
        self.minimum, self.maximum = minimum, maximum

    def parse(self, value) -> int:
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float):
            number = int(value) if value.is_integer() else None
        else:
            text = cell_text(value).replace("\u00a0", "").replace(" ", "")
            number = int(text) if text.lstrip("+-").isdigit() and text.isascii() else None
        if number is None:
            raise CellError(
                _("“%(text)s” is not a whole number") % {"text": cell_text(value)[:40]},
                safe=_("not a whole number"),
            )
        if self.minimum is not None and number < self.minimum:
            raise CellError(
                _("%(number)d is less than %(minimum)d")
                % {"number": number, "minimum": self.minimum},
                safe=_("the number is too small"),
            )
        if self.maximum is not None and number > self.maximum:
            raise CellError(
                _("%(number)d is more than %(maximum)d")
                % {"number": number, "maximum": self.maximum},
                safe=_("the number is too large"),
            )
        return number


class Function(Parser):
    """A plain function as a parser; it gets the cell (see the module's note on types) and
    raises CellError for a value it cannot use."""

    def __init__(self, function: Callable[[Any], Any], *, empty: Any = None):
        self.parse, self.empty = function, empty


def as_parser(parser) -> Parser:
    if hasattr(parser, "column"):
        return parser
    if callable(parser):
        return Function(parser)
    raise TypeError(f"not a parser: {parser!r}")
