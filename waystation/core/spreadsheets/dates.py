"""Dates as people write them in spreadsheets, with their precision: real date cells,
31.12.2023, 2023-12-31, 31/12/2023 or 12/31/2023 (the order found from the whole column and
said), Excel serial numbers, "12 марта 2023", "12. März 2023", "March 12, 2023"; and with the
day unknown: "март 2023", "березень 2023", "March 2023", "03/2023", "2023-03". An impossible
date is refused with its reason: "31.02.2023 is not a date"."""

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.core.dates import format_named

from .errors import CellError

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, allowing for Lotus's leap-year bug
_LAST_SERIAL = 2958465  # 9999-12-31

_MONTH_WORDS = {
    # English
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mär": 3, "mai": 5,
    "juni": 6, "juli": 7, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
    # Russian: май has no stem longer than two letters
    "май": 5, "мая": 5, "мае": 5,
}  # fmt: skip
# Any word starting with one of these (январь, января, январе; березень, березня).
_MONTH_STEMS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    "січ": 1, "лют": 2, "берез": 3, "квіт": 4, "трав": 5, "черв": 6, "лип": 7, "серп": 8,
    "верес": 9, "жовт": 10, "листоп": 11, "груд": 12,
}  # fmt: skip

_WORD = r"([^\W\d_]+)\.?"
_YEAR_WORD = r"(?:\s*(?:г|р|год[а-я]*|рок[а-яі]*)\.?)?"  # 2023 г., 2023 року
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})$")
_DASHED_DMY = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_NUMERIC_MONTH = re.compile(r"^(\d{1,2})[./](\d{4})$")
_DAY_WORD_YEAR = re.compile(rf"^(\d{{1,2}})\.?\s+{_WORD},?\s+(\d{{4}}){_YEAR_WORD}$")
_WORD_DAY_YEAR = re.compile(rf"^{_WORD}\s+(\d{{1,2}}),?\s+(\d{{4}})$")
_WORD_YEAR = re.compile(rf"^(?:в\s+|у\s+|im\s+)?{_WORD}\s+(\d{{4}}){_YEAR_WORD}$")
_SERIAL = re.compile(r"^\d{4,7}(?:\.\d+)?$")


class ParsedDate(NamedTuple):
    value: date
    day_known: bool = True  # False: only the month is known (value is its first day)


def month_number(word: str) -> int | None:
    word = word.casefold().replace("ё", "е")
    if word in _MONTH_WORDS:
        return _MONTH_WORDS[word]
    for stem, number in _MONTH_STEMS.items():
        if word.startswith(stem):
            return number
    return None


def month_year(value: date) -> str:
    """How an export writes a date whose day is not known, so that it reads back the same."""
    return value.strftime("%B %Y")


def _not_a_date(text: str) -> CellError:
    return CellError(_("%(text)s is not a date") % {"text": text[:40]}, safe=_("not a date"))


def _real(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _not_a_date(text) from None


def _year(digits: str) -> int:
    year = int(digits)
    return year + 2000 if len(digits) == 2 else year


class Dates:
    """Dates between ``earliest`` and today (or any day, with ``future=True``). Month-only
    forms are refused with ``month_precision=False``."""

    def __init__(
        self, *, earliest: date = date(1990, 1, 1), future: bool = False, month_precision=True
    ):
        self.earliest, self.future, self.month_precision = earliest, future, month_precision
        self.empty = None

    # The engine imports .values, which imports this module; keep the protocol in one place.
    def column(self, values: Iterable):
        from .values import ColumnParser

        day_first, notes = _slash_order(values)
        today = timezone.localdate()

        def parse(value) -> ParsedDate:
            return self._checked(_parse(value, day_first), today)

        return ColumnParser(parse, notes)

    def parse(self, value) -> ParsedDate:
        return self._checked(_parse(value, True), timezone.localdate())

    def _checked(self, parsed: ParsedDate, today: date) -> ParsedDate:
        if not self.month_precision and not parsed.day_known:
            raise CellError(
                _("%(date)s names a month, not a day") % {"date": month_year(parsed.value)},
                safe=_("a month, not a day"),
            )
        if parsed.value < self.earliest:
            raise CellError(
                _("%(date)s is before %(year)d")
                % {"date": _shown(parsed), "year": self.earliest.year},
                safe=_("the date is too early"),
            )
        if not self.future and parsed.value > today:
            raise CellError(
                _("%(date)s is in the future") % {"date": _shown(parsed)},
                safe=_("the date is in the future"),
            )
        return parsed


def _shown(parsed: ParsedDate) -> str:
    if parsed.day_known:
        return parsed.value.strftime("%d.%m.%Y")
    return format_named(parsed.value, "YEAR_MONTH_FORMAT")


def _slash_order(values: Iterable) -> tuple[bool, list[str]]:
    """Whether d/m/yyyy dates in this column are day first, and what to say about it."""
    day_first_seen = month_first_seen = slashed = None
    for value in values:
        if value.__class__ is not str:
            continue
        match = _SLASHED.match(value.strip())
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        slashed = slashed or value.strip()
        if first > 12 >= second:
            day_first_seen = day_first_seen or value.strip()
        elif second > 12 >= first:
            month_first_seen = month_first_seen or value.strip()
    if not slashed:
        return True, []
    if month_first_seen and not day_first_seen:
        return False, [
            _("Dates with slashes are read month first, as %(example)s shows.")
            % {"example": month_first_seen}
        ]
    if day_first_seen and month_first_seen:
        return True, [
            _(
                "Dates with slashes are written both ways in this column (%(one)s, %(other)s); "
                "they are read day first."
            )
            % {"one": day_first_seen, "other": month_first_seen}
        ]
    if day_first_seen:
        return True, [
            _("Dates with slashes are read day first, as %(example)s shows.")
            % {"example": day_first_seen}
        ]
    return True, [
        _(
            "Dates with slashes such as %(example)s could be day or month first; they are read "
            "day first. Choose the other order if that is wrong."
        )
        % {"example": slashed}
    ]


def _parse(value, day_first: bool) -> ParsedDate:
    if isinstance(value, datetime):
        return ParsedDate(value.date())
    if isinstance(value, date):
        return ParsedDate(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value <= _LAST_SERIAL:
            return ParsedDate(_EXCEL_EPOCH + timedelta(days=int(value)))
        raise _not_a_date(str(value))
    text = " ".join(str(value).split())
    if match := _DOTTED.match(text) or _DASHED_DMY.match(text):
        day, month, year = match.groups()
        return ParsedDate(_real(_year(year), int(month), int(day), text))
    if match := _SLASHED.match(text):
        first, second, year = match.groups()
        day, month = (first, second) if day_first else (second, first)
        return ParsedDate(_real(_year(year), int(month), int(day), text))
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
        return ParsedDate(_real(year, month, day, text))
    if match := _NUMERIC_MONTH.match(text):
        month, year = int(match.group(1)), int(match.group(2))
        return ParsedDate(_real(year, month, 1, text), day_known=False)
    if match := _ISO_MONTH.match(text):
        year, month = int(match.group(1)), int(match.group(2))
        return ParsedDate(_real(year, month, 1, text), day_known=False)
    if _SERIAL.match(text):
        return _parse(float(text), day_first)
    folded = text.casefold()
    if (match := _DAY_WORD_YEAR.match(folded)) and (month := month_number(match.group(2))):
        return ParsedDate(_real(int(match.group(3)), month, int(match.group(1)), text))
    if (match := _WORD_DAY_YEAR.match(folded)) and (month := month_number(match.group(1))):
        return ParsedDate(_real(int(match.group(3)), month, int(match.group(2)), text))
    if (match := _WORD_YEAR.match(folded)) and (month := month_number(match.group(1))):
        return ParsedDate(date(int(match.group(2)), month, 1), day_known=False)
    raise CellError(
        _("“%(text)s” is not a date this import understands (write it as 31.12.2024)")
        % {"text": text[:40]},
        safe=_("not a date"),
    )
