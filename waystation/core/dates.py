"""Dates and times as the reader writes them: the CLDR patterns of the active language, through
Babel. English is British ("9 Dec 2026", a 24-hour clock), never the American month first.

Templates keep Django's named formats — ``{{ on|date:"SHORT_DATE_FORMAT" }}`` — and the site's
``date`` filter (core/templatetags/cldr_dates.py) sends those names here; any other format
string ('Y-m-d', 'c') is a machine format and stays Django's. Date *inputs* are a separate
matter: their values are ISO whatever the language (core/formats/).
"""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language

# Babel's locale for each interface language where the two differ.
_LOCALES = {"en": "en_GB"}

# Django's format names → (CLDR date width or skeleton, with the time of day).
_DATE_WIDTHS = {
    "DATE_FORMAT": ("long", False),
    "SHORT_DATE_FORMAT": ("medium", False),
    "DATETIME_FORMAT": ("long", True),
    "SHORT_DATETIME_FORMAT": ("medium", True),
}
_SKELETONS = {
    "YEAR_MONTH_FORMAT": "yMMMM",  # "декабрь 2026 г." (the month in the nominative)
    "SHORT_YEAR_MONTH_FORMAT": "yMMM",  # "дек. 2026 г.", "Dec 2026"
    "MONTH_DAY_FORMAT": "MMMMd",  # "9 декабря"
    "WEEKDAY_DAY_FORMAT": "MMMEd",  # "ср, 9 дек.", "Wed 9 Dec" (not Django's "Ср 9 Дек")
}
NAMED_FORMATS = frozenset(_DATE_WIDTHS) | frozenset(_SKELETONS)


def babel_locale(language: str | None = None) -> str:
    language = (language or get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    return _LOCALES.get(language, language)


def format_named(value: date | datetime, name: str, *, language: str | None = None) -> str:
    """``value`` in one of ``NAMED_FORMATS``. An aware datetime is shown in the current time
    zone; a date asked for with a time of day is shown without one."""
    locale = babel_locale(language)
    if type(value) is date:
        return _format_day(value, name, locale)
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    # The offset is part of the key: aware datetimes of the same instant compare equal.
    offset = value.utcoffset() if isinstance(value, datetime) else None
    return _format_moment(value, offset, name, locale)


@lru_cache(maxsize=4096)
def _format_moment(value: datetime, offset, name: str, locale: str) -> str:
    """A moment (shown in the time zone it carries) in a named format, once per moment and
    offset: a list such as the dashboard's recent activity shows the same moments on every
    visit (Babel takes ~60 µs each)."""
    if name in _SKELETONS:
        return format_skeleton(_SKELETONS[name], value, locale=locale)
    width, with_time = _DATE_WIDTHS[name]
    day = value.date() if isinstance(value, datetime) else value
    shown = format_date(day, width, locale=locale)
    if with_time and isinstance(value, datetime):
        clock = format_time(value.time(), "short", locale=locale)
        return get_datetime_format(width, locale=locale).replace("'", "").format(clock, shown)
    return shown


@lru_cache(maxsize=4096)
def _format_day(value: date, name: str, locale: str) -> str:
    """A day in a named format: the same text every time (Babel takes ~50 µs, a list page asks
    for dozens of days, most of them the same few)."""
    if name in _SKELETONS:
        return format_skeleton(_SKELETONS[name], value, locale=locale)
    return format_date(value, _DATE_WIDTHS[name][0], locale=locale)


def short_date(value: date | datetime, *, language: str | None = None) -> str:
    """The form used in lists and sentences ("9 дек. 2026 г.", "9 Dec 2026")."""
    return format_named(value, "SHORT_DATE_FORMAT", language=language)
