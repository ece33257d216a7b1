"""Dates as people write them in spreadsheets: real date cells, 03.10.2022, 2022-10-03, Excel
serial numbers, "March 2023" or "март 2023" (the day then unknown) — or a clear reason why not."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, allowing for Lotus's leap-year bug
_EARLIEST = date(1990, 1, 1)
_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
for number, stems in enumerate(
    [
        ("январ",),
        ("феврал",),
        ("март", "марте", "марта"),
        ("апрел",),
        ("май", "мая", "мае"),
        ("июн",),
        ("июл",),
        ("август",),
        ("сентябр",),
        ("октябр",),
        ("ноябр",),
        ("декабр",),
    ],
    start=1,
):
    for stem in stems:
        _MONTHS[stem] = number

_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(?:в\s+)?([a-zа-яё]+)\.?\s+(\d{4})(?:\s*г(?:ода?)?\.?)?$")


class CellError(Exception):
    """This cell cannot be used; the message is the reason shown for its row."""


@dataclass(frozen=True)
class ParsedDate:
    value: date
    day_known: bool = True


def _checked(value: date, day_known: bool = True) -> ParsedDate:
    if value < _EARLIEST or value > timezone.localdate():
        raise CellError(
            _("%(date)s is outside the plausible range (1990 to today)")
            % {"date": value.isoformat()}
        )
    return ParsedDate(value, day_known)


def _real(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_("%(text)s is not a real date") % {"text": text}) from None


def _month_number(word: str) -> int | None:
    word = word.casefold().replace("ё", "е")
    if word in _MONTHS:
        return _MONTHS[word]
    for stem, number in _MONTHS.items():
        if len(stem) >= 4 and word.startswith(stem):
            return number
    return None


def month_year(value: date) -> str:
    """How an export writes a date whose day is not known, so that it reads back the same."""
    return value.strftime("%B %Y")


def parse_date(value) -> ParsedDate:
    if isinstance(value, datetime):
        return _checked(value.date())
    if isinstance(value, date):
        return _checked(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:
            return _checked(_EXCEL_EPOCH + timedelta(days=int(value)))
        raise CellError(_("%(value)s is not a date") % {"value": value})
    text = " ".join(str(value or "").split())
    if not text:
        raise CellError(_("the date is missing"))
    if match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
        year += 2000 if year < 100 else 0
        return _checked(_real(year, month, day, text))
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
        return _checked(_real(year, month, day, text))
    if re.fullmatch(r"\d+(\.0)?", text):
        return parse_date(float(text))
    if match := _MONTH_YEAR.match(text.casefold()):
        month = _month_number(match.group(1))
        if month:
            return _checked(date(int(match.group(2)), month, 1), day_known=False)
    raise CellError(
        _("“%(text)s” is not a date this import understands (use 31.12.2024)") % {"text": text[:40]}
    )
