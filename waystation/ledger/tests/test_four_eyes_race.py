"""The four-eyes rule cannot be raced (issue 18, finding 11): two payments by one person at the
same moment each see the other in the 24-hour total, so the one that crosses the threshold
waits for a second approver. Runs on both databases; the PostgreSQL run is the one that
matters (the embedded database serialises writers anyway)."""

import contextlib
import threading
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection

from waystation.ledger import approval, services
from waystation.ledger.models import Category, State
from waystation.ledger.services import disbursements

from .factories import make_books

pytestmark = pytest.mark.usefixtures("transactional_db")


def test_two_payments_at_once_cannot_both_slip_under_the_threshold(cast, settings, monkeypatch):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500"}
    treasurer = cast["treasurer"]
    books = make_books(treasurer)
    services.donation_record(
        actor=treasurer,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("2000"),
        date=date(2026, 3, 1),
    )
    # Each payment, once it has read the day's total, waits (up to 3 s) for the other to have
    # read it too: without a lock both read nothing and both go through.
    both_read = threading.Barrier(2, timeout=3)
    total = approval.recorded_by_in_a_day

    def read_then_wait(actor, currency):
        paid = total(actor, currency)
        # Broken: the other is held by the lock until this one is written, as it should be.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_read.wait()
        return paid

    monkeypatch.setattr(disbursements, "recorded_by_in_a_day", read_then_wait)
    states, problems = [], []

    def pay():
        try:
            entry = services.disbursement_record(
                actor=treasurer,
                account=books["cash_eur"],
                fund=books["general"],
                amount=D("300"),
                date=date(2026, 3, 2),
                category=Category.RENT,
            )
            states.append(entry.state)
        except Exception as problem:  # reported below
            problems.append(repr(problem))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not problems, problems
    assert sorted(states) == sorted([State.POSTED, State.PENDING]), states
