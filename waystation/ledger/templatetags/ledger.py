from django import template
from django.utils.formats import number_format

from waystation.accounts.policy import Perm, can

from ..money import is_currency, minor_digits

register = template.Library()


@register.filter
def money(value, currency):
    """``1 250,50 EUR``: grouped and with the currency's own decimal places, in the locale."""
    if value is None:
        return "—"
    places = minor_digits(currency) if is_currency(currency) else 2
    return f"{number_format(value, decimal_pos=places, force_grouping=True)} {currency}"


@register.filter
def get(mapping, key):
    return mapping.get(key, 0)


@register.filter
def rate(value):
    """A rate as entered, without trailing zeros: 0.9, 525, 0.0019."""
    return "" if value is None else format(value.normalize(), "f")


@register.simple_tag(takes_context=True)
def may_record(context) -> bool:
    """Whether the member may record in the ledger (what the tabs offer)."""
    request = context.get("request")
    return bool(request and can(request.user, Perm.LEDGER_RECORD))
