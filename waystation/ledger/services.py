"""Writes to the ledger. Each service checks what it is given, writes the transaction with
its postings in one database transaction, and records the audit event in the same one.

Every transaction is refused unless its postings sum to zero in each currency (``_post``):
the books balance by construction, not by habit."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction as db
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, can
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.blobstore import blob_store

from .models import (
    Account,
    AccountKind,
    Book,
    Category,
    Donor,
    DonorKind,
    Fund,
    Kind,
    Pledge,
    Posting,
    Rate,
    Receipt,
    State,
    Transaction,
)
from .money import AmountError, check_amount, is_currency
from .sums import money_sum


class LedgerError(ValueError):
    """Refused, with a message the user can act on."""


@dataclass(frozen=True)
class Leg:
    account: Account
    amount: Decimal
    currency: str
    category: str = ""


def _require(actor, perm: Perm) -> None:
    if not can(actor, perm):
        raise LedgerError(_("You may not do this."))


def _amount(value, currency: str, *, positive: bool = True) -> Decimal:
    try:
        return check_amount(value, currency, positive=positive)
    except AmountError as error:
        raise LedgerError(str(error)) from None


def _holding(account: Account) -> Account:
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


def _post(
    *,
    actor,
    kind: Kind,
    date,
    fund: Fund,
    amount: Decimal,
    currency: str,
    legs,
    state=None,
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
        _amount(leg.amount, leg.currency, positive=False)
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
        Posting.objects.bulk_create(
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
        record(
            Event.LEDGER_RECORDED,
            actor=actor,
            obj=entry,
            data={"kind": kind, "state": state, "currency": currency},
        )
    return entry


# --- set-up ------------------------------------------------------------------------------------


def fund_create(*, actor, name: str, purpose: str = "") -> Fund:
    _require(actor, Perm.LEDGER_RECORD)
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
    _require(actor, Perm.LEDGER_RECORD)
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
    _require(actor, Perm.LEDGER_RECORD)
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


# --- money in ----------------------------------------------------------------------------------


def _donor(kind: str, name: str) -> Donor:
    name = (name or "").strip()
    if kind not in DonorKind.values:
        raise LedgerError(_("Choose whether the donor is named, a pseudonym or anonymous."))
    if kind == DonorKind.ANONYMOUS:
        name = ""
    elif not name:
        raise LedgerError(_("Enter the donor's name or pseudonym, or choose anonymous."))
    donor = Donor(kind=kind)
    donor.name = name  # encrypted with the row id, which the UUID gives before the insert
    donor.save()
    return donor


def pledge_create(
    *, actor, donor_kind: str, donor_name: str, fund: Fund, currency: str, amount, due_on=None
) -> Pledge:
    _require(actor, Perm.LEDGER_RECORD)
    amount = _amount(amount, currency)
    with db.atomic():
        pledge = Pledge.objects.create(
            donor=_donor(donor_kind, donor_name),
            fund=fund,
            currency=currency,
            amount=amount,
            due_on=due_on,
            created_by=actor,
        )
        record(Event.LEDGER_SET_UP, actor=actor, obj=pledge, data={"currency": currency})
    return pledge


def donation_record(
    *,
    actor,
    account: Account,
    fund: Fund,
    amount,
    date,
    donor_kind: str = DonorKind.ANONYMOUS,
    donor_name: str = "",
    pledge: Pledge | None = None,
    memo: str = "",
) -> Transaction:
    """Money given into ``account`` for ``fund``; with ``pledge``, towards that promise (its
    donor and fund)."""
    _require(actor, Perm.LEDGER_RECORD)
    account = _holding(account)
    amount = _amount(amount, account.currency)
    with db.atomic():
        if pledge is not None:
            if pledge.currency != account.currency:
                raise LedgerError(
                    _("The pledge is in %(currency)s: choose an account in that currency.")
                    % {"currency": pledge.currency}
                )
            donor, fund = pledge.donor, pledge.fund
        else:
            donor = _donor(donor_kind, donor_name)
        return _post(
            actor=actor,
            kind=Kind.DONATION,
            date=date,
            fund=fund,
            amount=amount,
            currency=account.currency,
            donor=donor,
            pledge=pledge,
            memo=memo.strip(),
            legs=[
                Leg(account, amount, account.currency),
                Leg(system_account(Book.INCOME), -amount, account.currency),
            ],
        )


# --- money out ---------------------------------------------------------------------------------


def threshold_of(currency: str) -> Decimal | None:
    """The currency's threshold, or None where there is none (every payment then waits)."""
    try:
        threshold = Decimal(str(settings.LEDGER_APPROVAL_THRESHOLDS[currency]))
    except (KeyError, InvalidOperation):
        return None
    return threshold if threshold.is_finite() else None


def needs_second_approver(amount: Decimal, currency: str) -> bool:
    """Above the currency's threshold; with no threshold, or one that is not a number, always
    (fail closed)."""
    threshold = threshold_of(currency)
    return threshold is None or amount > threshold


class HeldFor:
    """Why a payment waits for a second approver: its own amount, or the 24-hour total of what
    the same person paid out alone — said as it is, not as "the amount is above the threshold"
    for a payment well below it."""

    AMOUNT = "amount"
    DAY_TOTAL = "day_total"


def held_for(entry: Transaction) -> str:
    """For a pending disbursement: ``HeldFor.DAY_TOTAL`` when its amount alone would have gone
    through, else ``HeldFor.AMOUNT`` (also for exchanges and cash counts)."""
    if entry.kind == Kind.DISBURSEMENT and not needs_second_approver(entry.amount, entry.currency):
        return HeldFor.DAY_TOTAL
    return HeldFor.AMOUNT


def paid_in_a_day_with(entry: Transaction) -> Decimal:
    """What the person who recorded ``entry`` paid out alone in its currency over the last 24
    hours, ``entry`` included: the total its threshold was checked against."""
    return _recorded_by_in_a_day(entry.created_by, entry.currency) + entry.amount


def _recorded_by_in_a_day(actor, currency: str) -> Decimal:
    """What ``actor`` paid out alone (no second person decided it) in ``currency`` over the
    last 24 hours, by when it was recorded, not the date typed: ten payments just under the
    threshold add up as one above it, and the one that crosses it waits for a second person."""
    recent = Transaction.objects.filter(
        kind=Kind.DISBURSEMENT,
        created_by=actor,
        currency=currency,
        created_at__gte=timezone.now() - timedelta(days=1),
        state=State.POSTED,
        decided_by__isnull=True,
    )
    return money_sum(recent)


def disbursement_record(
    *,
    actor,
    account: Account,
    fund: Fund,
    amount,
    date,
    category: str,
    case=None,
    memo: str = "",
) -> Transaction:
    """Money paid out of ``account``. Above the currency's threshold it waits, not counted in
    any balance, until another member with the approve permission approves it."""
    _require(actor, Perm.LEDGER_RECORD)
    account = _holding(account)
    amount = _amount(amount, account.currency)
    if category not in Category.values:
        raise LedgerError(_("Choose what the money was for."))
    with db.atomic():
        # One payment of a person at a time: the day's total is read under a lock on the
        # person, in the transaction that writes the payment, so two at once cannot both see
        # the total without the other and slip under the threshold together.
        list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values("pk"))
        # The day's earlier payments are never negative: this covers the payment on its own.
        paid_today = _recorded_by_in_a_day(actor, account.currency)
        pending = needs_second_approver(paid_today + amount, account.currency)
        return _post(
            actor=actor,
            kind=Kind.DISBURSEMENT,
            state=State.PENDING if pending else State.POSTED,
            date=date,
            fund=fund,
            amount=amount,
            currency=account.currency,
            category=category,
            case=case,
            memo=memo.strip(),
            legs=[
                Leg(account, -amount, account.currency),
                Leg(system_account(Book.EXPENSE), amount, account.currency, category),
            ],
        )


def _decide(*, actor, entry: Transaction, state: State) -> Transaction:
    _require(actor, Perm.LEDGER_APPROVE)
    with db.atomic():
        entry = Transaction.objects.select_for_update().get(pk=entry.pk)
        if entry.state != State.PENDING:
            raise LedgerError(_("This transaction is not waiting for approval."))
        if entry.created_by_id == actor.pk:
            raise LedgerError(_("Someone other than the person who recorded it must decide."))
        entry.state, entry.decided_by, entry.decided_at = state, actor, timezone.now()
        entry.save(update_fields=["state", "decided_by", "decided_at"])
        entry.postings.update(posted=state == State.POSTED)
        record(Event.LEDGER_DECIDED, actor=actor, obj=entry, data={"state": state})
    return entry


# Named for disbursements, the usual case; exchanges and cash counts above the threshold wait
# and are decided the same way.
def disbursement_approve(*, actor, entry: Transaction) -> Transaction:
    return _decide(actor=actor, entry=entry, state=State.POSTED)


def disbursement_reject(*, actor, entry: Transaction) -> Transaction:
    return _decide(actor=actor, entry=entry, state=State.REJECTED)


# --- between accounts --------------------------------------------------------------------------


def transfer_record(
    *, actor, source: Account, target: Account, fund: Fund, amount, date, memo: str = ""
) -> Transaction:
    _require(actor, Perm.LEDGER_RECORD)
    source, target = _holding(source), _holding(target)
    if source.pk == target.pk:
        raise LedgerError(_("Choose two different accounts."))
    if source.currency != target.currency:
        raise LedgerError(_("The accounts hold different currencies: record an exchange."))
    amount = _amount(amount, source.currency)
    return _post(
        actor=actor,
        kind=Kind.TRANSFER,
        date=date,
        fund=fund,
        amount=amount,
        currency=source.currency,
        memo=memo.strip(),
        legs=[Leg(source, -amount, source.currency), Leg(target, amount, target.currency)],
    )


def exchange_record(
    *,
    actor,
    source: Account,
    target: Account,
    fund: Fund,
    sold,
    bought,
    date,
    memo: str = "",
) -> Transaction:
    """``sold`` out of ``source`` bought ``bought`` into ``target``: the rate actually obtained.
    Each currency balances through the exchange account."""
    _require(actor, Perm.LEDGER_RECORD)
    source, target = _holding(source), _holding(target)
    if source.currency == target.currency:
        raise LedgerError(
            _("Both accounts hold %(currency)s: record a transfer.") % {"currency": source.currency}
        )
    sold = _amount(sold, source.currency)
    bought = _amount(bought, target.currency)
    rate = (bought / sold).quantize(Decimal("1e-10"))
    if not Decimal("1e-10") <= rate < Decimal("1e14"):  # what Transaction.rate can hold
        raise LedgerError(_("Check the two amounts: they give no believable rate."))
    exchange = system_account(Book.EXCHANGE)
    # What leaves the account is judged as a disbursement is: a poor rate loses money as surely
    # as a payment does, so a large exchange waits for a second person too.
    pending = needs_second_approver(sold, source.currency)
    return _post(
        actor=actor,
        kind=Kind.EXCHANGE,
        state=State.PENDING if pending else State.POSTED,
        date=date,
        fund=fund,
        amount=sold,
        currency=source.currency,
        rate=rate,
        memo=memo.strip(),
        legs=[
            Leg(source, -sold, source.currency),
            Leg(exchange, sold, source.currency),
            Leg(exchange, -bought, target.currency),
            Leg(target, bought, target.currency),
        ],
    )


def cash_count_record(
    *, actor, account: Account, fund: Fund, counted, date, memo: str = ""
) -> Transaction:
    """The treasurer counted ``counted`` in ``account``: the difference from the books (up to
    that date, posted only) is posted against the cash-difference account, for ``fund``."""
    _require(actor, Perm.LEDGER_RECORD)
    account = _holding(account)
    counted = _amount(counted, account.currency, positive=False)
    if counted < 0:
        raise LedgerError(_("A count cannot be below zero."))
    with db.atomic():
        Account.objects.select_for_update().get(pk=account.pk)  # one count at a time
        expected = money_sum(
            Posting.objects.filter(account=account, posted=True, book=Book.HOLDING, date__lte=date)
        )
        difference = counted - expected
        # A large difference either way waits for a second person: a shortfall written off
        # alone would be a way round the approval of disbursements.
        pending = difference != 0 and needs_second_approver(abs(difference), account.currency)
        return _post(
            actor=actor,
            kind=Kind.CASH_COUNT,
            state=State.PENDING if pending else State.POSTED,
            date=date,
            fund=fund,
            amount=difference,
            currency=account.currency,
            expected=expected,
            counted=counted,
            memo=memo.strip(),
            legs=[
                Leg(account, difference, account.currency),
                Leg(system_account(Book.DIFFERENCE), -difference, account.currency),
            ],
        )


# --- receipts and exports ----------------------------------------------------------------------


def receipt_add(*, actor, entry: Transaction, received) -> Receipt:
    """``received`` is an upload already in the encrypted blob store (core.uploads); the
    caller calls ``received.keep()`` after this returns."""
    _require(actor, Perm.LEDGER_RECORD)
    with db.atomic():
        receipt = Receipt.objects.create(
            transaction=entry,
            blob=received.blob.name,
            sha256=received.blob.sha256,
            size=received.blob.size,
            media_type=received.media_type,
            added_by=actor,
        )
        record(Event.LEDGER_RECEIPT_ADDED, actor=actor, obj=receipt, data={"tx": entry.pk})
    return receipt


def receipt_open(*, actor, receipt: Receipt):
    """The receipt's content, chunk by chunk; the reading is audited before any byte."""
    _require(actor, Perm.LEDGER_VIEW)
    record(Event.LEDGER_RECEIPT_READ, actor=actor, obj=receipt, data={"tx": receipt.transaction_id})
    return blob_store().open(receipt.blob)


def ledger_export(*, actor, fmt: str, since=None, until=None) -> bytes:
    from waystation.core.spreadsheets.writing import write_table

    from .exporting import HEADERS, export_rows

    _require(actor, Perm.LEDGER_VIEW)
    rows = export_rows(actor, since=since, until=until)
    data = write_table([str(h) for h in HEADERS], rows, fmt, sheet="Ledger")
    record(Event.LEDGER_EXPORTED, actor=actor, data={"format": fmt, "rows": len(rows)})
    return data
