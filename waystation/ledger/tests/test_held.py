"""A payment that waits for a second approver says why: its own amount, or what the same person
paid out alone over the last 24 hours together with it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from waystation.ledger import approval, services
from waystation.ledger.models import State, Transaction

from .factories import make_books

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(cast, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"KZT": "250000", "EUR": "500"}
    books = make_books(cast["treasurer"])
    services.donation_record(
        actor=cast["treasurer"],
        account=books["card_kzt"],
        fund=books["general"],
        amount=Decimal("1000000"),
        date=date(2026, 12, 1),
    )
    return books


def _pay(client, books, amount, language="en"):
    client.cookies["ws_language"] = language
    data = {
        "account": books["card_kzt"].pk,
        "fund": books["general"].pk,
        "amount": amount,
        "date": "2026-12-06",
        "category": "food",
    }
    return client.post(reverse("ledger:disbursement_new"), data, follow=True).content.decode()


def test_a_small_payment_held_for_the_day_total_says_so(client_for, books):
    client = client_for("treasurer")
    assert "Recorded." in _pay(client, books, "240000")
    page = _pay(client, books, "20000")
    held = Transaction.objects.get(state=State.PENDING)
    assert held.amount == Decimal("20000")
    assert approval.held_for(held) == approval.HeldFor.DAY_TOTAL
    assert "together with what you paid out alone in the last 24 hours" in page
    assert "260,000.00 KZT" in page and "250,000.00 KZT" in page
    assert "above the threshold, it is not in the balances" not in page


def test_in_russian_the_reason_is_the_24_hour_total_not_the_amount(client_for, books):
    client = client_for("treasurer")
    _pay(client, books, "240000", "ru")
    page = _pay(client, books, "20000", "ru")
    assert "за последние 24 часа" in page
    assert "сумма выше порога" not in page


def test_a_payment_above_the_threshold_on_its_own_says_that(client_for, books):
    page = _pay(client_for("treasurer"), books, "300000")
    held = Transaction.objects.get(state=State.PENDING)
    assert approval.held_for(held) == approval.HeldFor.AMOUNT
    assert "above the threshold, it is not in the balances" in page
    assert "24 hours" not in page
