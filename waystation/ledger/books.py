"""Double entry, the one way money is written: a transaction and its legs, refused unless the
legs sum to zero in each currency. Called by the services (``ledger.services``), which check
the permission first; nothing here checks who acts."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction as db
from django.utils.translation import gettext as _

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.refusals import Refusal

from .models import Account, AccountKind, Book, Fund, Kind, Posting, State, Transaction
from .money import AmountError, check_amount
from .totals import add_posted


class LedgerError(Refusal):
    """Refused, with a message the user can act on."""


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: Decimal
    currency: str
    category: str = ""


def checked_amount(value, currency: str, *, positive: bool = True) -> Decimal:
    try:
        return check_amount(value, currency, positive=positive)
    except AmountError as error:
        raise LedgerError(str(error)) from None


def holding(account: Account) -> Account:
    if account.book != Book.HOLDING:
        raise LedgerError(_("Choose an account where money sits."))
    return account


def system_account(book: Book) -> Account:
    """The one account of a book other than holding, made on first use."""
    if book == Book.HOLDING:
        raise ValueError("holding accounts are made by the treasurer")
    account, _created = Account.objects.get_or_create(
        book=book, defaults={"name": str(book.label), "kind": AccountKind.SYSTEM}
    )
    return account


def post(
    *,
    actor,
    kind: Kind,
    date,
    fund: Fund,
    amount: Decimal,
    currency: str,
    legs,
    state=None,
    audit: dict | None = None,
    event: Event = Event.LEDGER_RECORDED,
    **fields,
) -> Transaction:
    """Write one transaction and its legs; refuse it unless the legs balance per currency."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        if leg.account.book == Book.HOLDING and leg.account.currency != leg.currency:
            raise LedgerError(
                _("%(account)s holds %(currency)s only.")
                % {"account": leg.account.name, "currency": leg.account.currency}
            )
        checked_amount(leg.amount, leg.currency, positive=False)
        totals[leg.currency] += leg.amount
    unbalanced = sorted(code for code, total in totals.items() if total != 0)
    if unbalanced:
        raise LedgerError(
            _("The postings do not balance in %(currencies)s.")
            % {"currencies": ", ".join(unbalanced)}
        )
    state = state or State.POSTED
    with db.atomic():
        entry = Transaction.objects.create(
            kind=kind,
            state=state,
            date=date,
            fund=fund,
            amount=amount,
            currency=currency,
            created_by=actor,
            **fields,
        )
        postings = Posting.objects.bulk_create(
            Posting(
                transaction=entry,
                account=leg.account,
                fund=fund,
                currency=leg.currency,
                amount=leg.amount,
                date=date,
                posted=state == State.POSTED,
                book=leg.account.book,
                category=leg.category,
            )
            for leg in legs
            if leg.amount
        )
        if state == State.POSTED:
            add_posted(entry, postings)
        record(
            event,
            actor=actor,
            obj=entry,
            data={"kind": kind, "state": state, "currency": currency, **(audit or {})},
        )
    return entry
