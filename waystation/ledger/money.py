"""Currencies and amounts: ISO 4217 codes and minor units from py-moneyed's registry, amounts
as ``Decimal`` checked against the currency's minor unit (never float)."""

from decimal import Decimal, InvalidOperation
from functools import cache

import moneyed
from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies
from django.conf import settings
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

from waystation.core.refusals import Refusal

# Amounts are stored with this many decimal places: the most any ISO 4217 currency uses
# (CLF, UYW: 4). Each amount is checked against its own currency's minor unit.
STORED_PLACES = 4
MAX_DIGITS = 15  # 11 digits before the point: exact in SQLite too (see sums.py)


class AmountError(Refusal, ValueError):
    """An amount that cannot be used; the message says why (a ValueError for the parsers)."""


@cache
def _in_use() -> frozenset[str]:
    """The registered codes that are legal tender somewhere today (CLDR, through Babel):
    without the pesetas, schillings and units of account the registry also knows."""
    tender = set()
    for territory in get_global("territory_currencies"):
        tender.update(get_territory_currencies(territory, tender=True))
    return frozenset(code for code in tender if is_currency(code))


@cache
def _choices(locale: str) -> list[tuple[str, str]]:
    return sorted(
        (code, f"{code} — {get_currency_name(code, locale=locale)}") for code in _in_use()
    )


def currency_choices() -> list[tuple[str, str]]:
    """Currencies in use today, named in the reader's language; any registered code is still
    accepted where one is typed (an old account, an import)."""
    return _choices(to_locale(get_language() or settings.LANGUAGE_CODE))


def is_currency(code: str) -> bool:
    currency = moneyed.CURRENCIES.get(code or "")
    return bool(currency and currency.numeric and len(code) == 3)


def minor_digits(code: str) -> int:
    """Decimal places of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for BHD."""
    sub_unit = moneyed.get_currency(code).sub_unit
    return len(str(sub_unit)) - 1


def quantum(code: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(code))


def check_amount(amount, code: str, *, positive: bool = True) -> Decimal:
    """The amount as a Decimal in the currency's minor unit, or AmountError saying why not."""
    if not is_currency(code):
        raise AmountError(_("“%(code)s” is not an ISO 4217 currency code.") % {"code": code})
    if isinstance(amount, float):
        raise TypeError("money is never a float")
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except InvalidOperation:
        raise AmountError(_("Enter an amount, e.g. 1250.50.")) from None
    if not value.is_finite():
        raise AmountError(_("Enter an amount, e.g. 1250.50."))
    # Before quantize, which cannot give 1e30 two decimal places and raises.
    if abs(value) >= Decimal(10) ** (MAX_DIGITS - STORED_PLACES):
        raise AmountError(_("This amount is too large."))
    digits = minor_digits(code)
    if value != value.quantize(quantum(code)):
        if digits == 0:
            message = _("%(code)s has no minor unit: enter a whole amount.")
        else:
            message = _(
                "%(code)s amounts have at most %(digits)s decimal places; %(amount)s has more."
            )
        raise AmountError(message % {"code": code, "digits": digits, "amount": value})
    if positive and value <= 0:
        raise AmountError(_("Enter an amount above zero."))
    return value.quantize(quantum(code))


def to_minor(amount: Decimal, code: str) -> int:
    return int(amount.scaleb(minor_digits(code)))
