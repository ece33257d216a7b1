"""Undoing a posted transaction without touching it: a reversal is a new transaction with the
opposite postings, linked to the original ("reverses" / "reversed by"), with the reason. The
original stays as it was, readable, and both count in every report, so each balance is exact
on any date: before the reversal the original counts, from its date on they cancel."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction as db
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event

from ..approval import needs_second_approver
from ..books import LedgerError, Leg, post
from ..models import Book, Kind, Posting, ReversalDate, State, Transaction

_LIVE = (State.POSTED, State.PENDING)


def _closed(entry: Transaction, postings) -> bool:
    """The original's date is closed when a cash count of one of its accounts is dated on or
    after it: that count fixed what the account held, so a change before it would silently
    contradict what was counted. The reversal then goes to today."""
    accounts = {p.account_id for p in postings if p.book == Book.HOLDING}
    return (
        Transaction.objects.filter(
            kind=Kind.CASH_COUNT,
            state=State.POSTED,
            date__gte=entry.date,
            counted_account__in=accounts,
        )
        .exclude(pk=entry.pk)
        .exists()
    )


def transaction_reverse(
    *, actor, entry: Transaction, reason: str, when: str = ReversalDate.SAME
) -> Transaction:
    """Reverse the posted ``entry``: dated on its own date (``ReversalDate.SAME``, unless that
    date is closed, then today) or today. Money that the reversal takes out of an account is
    judged as a disbursement is: above the threshold the reversal waits for a second person
    (reversing a donation alone would be a way round the approval of disbursements)."""
    policy.check(actor, Perm.LEDGER_RECORD)
    reason = (reason or "").strip()
    if not reason:
        raise LedgerError(_("Say why the transaction is reversed."))
    if when not in ReversalDate.values:
        raise LedgerError(_("Choose the date of the reversal."))
    with db.atomic():
        entry = Transaction.objects.select_for_update().get(pk=entry.pk)
        if entry.kind == Kind.REVERSAL:
            raise LedgerError(
                _("A reversal cannot be reversed: record the transaction again instead.")
            )
        if entry.state != State.POSTED:
            raise LedgerError(_("Only a posted transaction can be reversed."))
        if entry.reversals.filter(state__in=_LIVE).exists():
            raise LedgerError(_("This transaction is reversed already."))
        postings = list(Posting.objects.filter(transaction=entry).select_related("account"))
        today = timezone.localdate()
        on = entry.date
        if when == ReversalDate.TODAY or _closed(entry, postings):
            on = today
        # What the reversal changes in the accounts where money sits, per currency.
        change: dict[str, Decimal] = defaultdict(Decimal)
        for posting in postings:
            if posting.book == Book.HOLDING:
                change[posting.currency] -= posting.amount
        pending = any(
            needs_second_approver(-moved, code) for code, moved in change.items() if moved < 0
        )
        return post(
            actor=actor,
            kind=Kind.REVERSAL,
            state=State.PENDING if pending else State.POSTED,
            date=on,
            fund=entry.fund,
            amount=entry.amount,
            currency=entry.currency,
            category=entry.category,
            case=entry.case,
            reverses=entry,
            reason=reason,
            memo=entry.memo,
            # The transaction reversed and the reversal's date, under the keys the audit log
            # already names in the reader's language ("transaction", "on").
            audit={"tx": entry.pk, "on": on.isoformat()},
            event=Event.LEDGER_REVERSED,
            legs=[Leg(p.account, -p.amount, p.currency, p.category) for p in postings],
        )
