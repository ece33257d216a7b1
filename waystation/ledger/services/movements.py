"""Money moved between the group's own accounts: transfers in one currency, exchanges between
two (at the rate actually obtained), and cash counts that post the difference from the books."""

from decimal import Decimal

from django.db import transaction as db
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm

from ..approval import needs_second_approver
from ..books import LedgerError, Leg, checked_amount, holding, post, system_account
from ..models import Account, Book, Fund, Kind, State, Transaction
from ..totals import held_on


def transfer_record(
    *, actor, source: Account, target: Account, fund: Fund, amount, date, memo: str = ""
) -> Transaction:
    policy.check(actor, Perm.LEDGER_RECORD)
    source, target = holding(source), holding(target)
    if source.pk == target.pk:
        raise LedgerError(_("Choose two different accounts."))
    if source.currency != target.currency:
        raise LedgerError(_("The accounts hold different currencies: record an exchange."))
    amount = checked_amount(amount, source.currency)
    return post(
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
    policy.check(actor, Perm.LEDGER_RECORD)
    source, target = holding(source), holding(target)
    if source.currency == target.currency:
        raise LedgerError(
            _("Both accounts hold %(currency)s: record a transfer.") % {"currency": source.currency}
        )
    sold = checked_amount(sold, source.currency)
    bought = checked_amount(bought, target.currency)
    rate = (bought / sold).quantize(Decimal("1e-10"))
    if not Decimal("1e-10") <= rate < Decimal("1e14"):  # what Transaction.rate can hold
        raise LedgerError(_("Check the two amounts: they give no believable rate."))
    exchange = system_account(Book.EXCHANGE)
    # What leaves the account is judged as a disbursement is: a poor rate loses money as surely
    # as a payment does, so a large exchange waits for a second person too.
    pending = needs_second_approver(sold, source.currency)
    return post(
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
    policy.check(actor, Perm.LEDGER_RECORD)
    account = holding(account)
    counted = checked_amount(counted, account.currency, positive=False)
    if counted < 0:
        raise LedgerError(_("A count cannot be below zero."))
    with db.atomic():
        Account.objects.select_for_update().get(pk=account.pk)  # one count at a time
        expected = held_on(account, date)
        difference = counted - expected
        # A large difference either way waits for a second person: a shortfall written off
        # alone would be a way round the approval of disbursements.
        pending = difference != 0 and needs_second_approver(abs(difference), account.currency)
        return post(
            actor=actor,
            kind=Kind.CASH_COUNT,
            state=State.PENDING if pending else State.POSTED,
            date=date,
            fund=fund,
            amount=difference,
            currency=account.currency,
            expected=expected,
            counted=counted,
            counted_account=account,
            memo=memo.strip(),
            legs=[
                Leg(account, difference, account.currency),
                Leg(system_account(Book.DIFFERENCE), -difference, account.currency),
            ],
        )
