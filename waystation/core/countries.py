"""Country names as the reader says them, in the order the reader looks them up.

Names are CLDR's territory names through Babel: in the nominative ("Либерия", "Сан-Марино"),
where django-countries' own catalogues had forms such as "Либерии" or "Сан - Марино". They
replace django-countries' names everywhere (settings.COUNTRIES_OVERRIDE), so the model fields,
forms and ``country.name`` all show them; django-countries keeps the codes.

Lists are sorted with the Unicode Collation Algorithm (pyuca, the default table): that is the
alphabet of Russian, Ukrainian (Є after Е, І and Ї after И — a code-point sort puts them before
А), German (Ä with A) and English alike. django-countries sorts with it as well once pyuca is
installed.
"""

from functools import cache

import pyuca
from babel import Locale
from django.utils.functional import lazy
from django_countries.data import COUNTRIES

from .dates import babel_locale


@cache
def _collator():
    return pyuca.Collator()


def collation_key(text: str):
    return _collator().sort_key(str(text))


def sorted_by_name(items, name=lambda item: item[1]) -> list:
    """``items`` (by default (code, name) pairs) in the reader's alphabetical order."""
    return sorted(items, key=lambda item: collation_key(name(item)))


@cache
def _names(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).territories)


def country_name(code: str, language: str | None = None) -> str:
    """CLDR's name of ``code`` in ``language`` (the active language by default)."""
    code = str(code).upper()
    return _names(babel_locale(language)).get(code) or _names("en").get(code, code)


def country_choices(codes=None, language: str | None = None) -> list[tuple[str, str]]:
    """(code, name) for ``codes`` (every country django-countries knows by default), sorted."""
    return sorted_by_name(
        (code, country_name(code, language)) for code in (COUNTRIES if codes is None else codes)
    )


_lazy_name = lazy(country_name, str)


def countries_override() -> dict:
    """For settings.COUNTRIES_OVERRIDE: each code's name, looked up in the language in force
    when it is shown."""
    return {code: _lazy_name(code) for code in COUNTRIES}
