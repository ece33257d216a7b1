"""The four-eyes rule: which payments wait for a second approver, and why one waits. Read by
the services that record money leaving and by the pages that explain a held payment."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone

from .models import Kind, State, Transaction
from .sums import money_sum


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
    through, else ``HeldFor.AMOUNT`` (also for exchanges, cash counts and reversals)."""
    if entry.kind == Kind.DISBURSEMENT and not needs_second_approver(entry.amount, entry.currency):
        return HeldFor.DAY_TOTAL
    return HeldFor.AMOUNT


def paid_in_a_day_with(entry: Transaction) -> Decimal:
    """What the person who recorded ``entry`` paid out alone in its currency over the last 24
    hours, ``entry`` included: the total its threshold was checked against."""
    return recorded_by_in_a_day(entry.created_by, entry.currency) + entry.amount


def recorded_by_in_a_day(actor, currency: str) -> Decimal:
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
