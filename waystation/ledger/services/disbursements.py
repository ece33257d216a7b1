"""Money out, and the second approver: a payment above the threshold (or taking its
recorder's 24-hour total above it) waits, out of every balance, until someone else approves
or rejects it; the person who recorded it may withdraw it while it waits."""

from django.contrib.auth import get_user_model
from django.db import transaction as db
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event
from waystation.audit.services import record

from .. import totals
from ..approval import needs_second_approver, recorded_by_in_a_day
from ..books import LedgerError, Leg, checked_amount, holding, post, system_account
from ..models import Account, Book, Category, Fund, Kind, State, Transaction


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
    policy.check(actor, Perm.LEDGER_RECORD)
    account = holding(account)
    amount = checked_amount(amount, account.currency)
    if category not in Category.values:
        raise LedgerError(_("Choose what the money was for."))
    with db.atomic():
        # One payment of a person at a time: the day's total is read under a lock on the
        # person, in the transaction that writes the payment, so two at once cannot both see
        # the total without the other and slip under the threshold together.
        list(get_user_model().objects.select_for_update().filter(pk=actor.pk).values("pk"))
        # The day's earlier payments are never negative: this covers the payment on its own.
        paid_today = recorded_by_in_a_day(actor, account.currency)
        pending = needs_second_approver(paid_today + amount, account.currency)
        return post(
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
    with db.atomic():
        entry = Transaction.objects.select_for_update().get(pk=entry.pk)
        if entry.state != State.PENDING:
            raise LedgerError(_("This transaction is not waiting for approval."))
        if entry.created_by_id == actor.pk:
            raise LedgerError(_("Someone other than the person who recorded it must decide."))
        entry.state, entry.decided_by, entry.decided_at = state, actor, timezone.now()
        entry.save(update_fields=["state", "decided_by", "decided_at"])
        entry.postings.update(posted=state == State.POSTED)
        if state == State.POSTED:
            totals.add_posted(entry, entry.postings.all())
        record(Event.LEDGER_DECIDED, actor=actor, obj=entry, data={"state": state})
    return entry


# Named for disbursements, the usual case; exchanges, cash counts and reversals above the
# threshold wait and are decided the same way.
def disbursement_approve(*, actor, entry: Transaction) -> Transaction:
    policy.check(actor, Perm.LEDGER_APPROVE)
    return _decide(actor=actor, entry=entry, state=State.POSTED)


def disbursement_reject(*, actor, entry: Transaction) -> Transaction:
    policy.check(actor, Perm.LEDGER_APPROVE)
    return _decide(actor=actor, entry=entry, state=State.REJECTED)


def disbursement_withdraw(*, actor, entry: Transaction) -> Transaction:
    """The person who recorded a waiting transaction takes it back: it leaves the approval
    queue and the lists, never reaches a balance, and stays readable in the history."""
    policy.check(actor, Perm.LEDGER_RECORD)
    with db.atomic():
        entry = Transaction.objects.select_for_update().get(pk=entry.pk)
        if entry.created_by_id != actor.pk:
            raise LedgerError(_("Only the person who recorded it may withdraw it."))
        if entry.state != State.PENDING:
            raise LedgerError(_("Only a transaction waiting for approval can be withdrawn."))
        entry.state, entry.decided_by, entry.decided_at = State.WITHDRAWN, actor, timezone.now()
        entry.save(update_fields=["state", "decided_by", "decided_at"])
        entry.postings.update(posted=False)
        record(Event.LEDGER_WITHDRAWN, actor=actor, obj=entry)
    return entry
