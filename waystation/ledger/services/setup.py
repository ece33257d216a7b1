"""Funds, accounts and the rates entered for showing totals in one currency."""

from decimal import Decimal

from django.db import transaction as db
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event
from waystation.audit.services import record

from ..books import LedgerError
from ..models import Account, AccountKind, Fund, Rate
from ..money import is_currency


def fund_create(*, actor, name: str, purpose: str = "") -> Fund:
    policy.check(actor, Perm.LEDGER_RECORD)
    name = name.strip()
    if not name:
        raise LedgerError(_("Give the fund a name."))
    if Fund.objects.filter(name__iexact=name).exists():
        raise LedgerError(_("There is a fund with this name already."))
    with db.atomic():
        fund = Fund.objects.create(name=name, purpose=purpose.strip())
        record(Event.LEDGER_SET_UP, actor=actor, obj=fund)
    return fund


def account_create(*, actor, name: str, kind: str, currency: str) -> Account:
    policy.check(actor, Perm.LEDGER_RECORD)
    name, currency = name.strip(), currency.strip().upper()
    if not name:
        raise LedgerError(_("Give the account a name."))
    if kind not in AccountKind.values or kind == AccountKind.SYSTEM:
        raise LedgerError(_("Choose what kind of account this is."))
    if not is_currency(currency):
        raise LedgerError(_("Choose an ISO 4217 currency."))
    if Account.objects.filter(name__iexact=name, currency=currency).exists():
        raise LedgerError(_("There is an account with this name and currency already."))
    with db.atomic():
        account = Account.objects.create(name=name, kind=kind, currency=currency)
        record(Event.LEDGER_SET_UP, actor=actor, obj=account, data={"currency": currency})
    return account


def rate_set(*, actor, currency: str, quote: str, rate: Decimal, as_of=None) -> Rate:
    """One unit of ``currency`` is worth ``rate`` units of ``quote`` (replaces the pair's rate)."""
    policy.check(actor, Perm.LEDGER_RECORD)
    if not (is_currency(currency) and is_currency(quote)) or currency == quote:
        raise LedgerError(_("Choose two different ISO 4217 currencies."))
    if isinstance(rate, float) or not isinstance(rate, Decimal) or not rate > 0:
        raise LedgerError(_("Enter a rate above zero."))
    with db.atomic():
        Rate.objects.filter(currency=quote, quote=currency).delete()  # one direction per pair
        entered, _created = Rate.objects.update_or_create(
            currency=currency,
            quote=quote,
            defaults={"rate": rate, "as_of": as_of or timezone.localdate(), "entered_by": actor},
        )
        record(Event.LEDGER_SET_UP, actor=actor, obj=entered, data={"currency": currency})
    return entered
