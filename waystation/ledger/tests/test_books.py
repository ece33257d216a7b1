"""Double entry: every transaction balances per currency, pending disbursements stay out of
the balances until a second person approves them, cash counts post the difference."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest

from waystation.accounts.roles import Role
from waystation.accounts.tests.factories import UserFactory
from waystation.audit.models import AuditEvent
from waystation.core.refusals import Forbidden
from waystation.ledger import selectors, services
from waystation.ledger.approval import needs_second_approver
from waystation.ledger.books import LedgerError, Leg, post, system_account
from waystation.ledger.models import Book, Category, Posting, State, Transaction
from waystation.ledger.sums import money_sum

from .factories import make_books

D = Decimal
DAY = date(2026, 3, 10)


@pytest.fixture
def books(cast):
    return make_books(cast["treasurer"])


def assert_balanced():
    totals = defaultdict(D)
    for tx, currency, amount in Posting.objects.values_list("transaction", "currency", "amount"):
        totals[(tx, currency)] += amount
    assert all(total == 0 for total in totals.values()), totals


def balance(account):
    return money_sum(Posting.objects.filter(account=account, posted=True))


def test_every_kind_of_transaction_balances_per_currency(cast, books):
    t = cast["treasurer"]
    services.donation_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("120.50"),
        date=DAY,
        donor_kind="named",
        donor_name="Hans Müller",
    )
    services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("20.25"),
        date=DAY,
        category=Category.FOOD,
    )
    services.transfer_record(
        actor=t,
        source=books["cash_eur"],
        target=books["card_eur"],
        fund=books["general"],
        amount=D("50"),
        date=DAY,
    )
    exchange = services.exchange_record(
        actor=t,
        source=books["card_eur"],
        target=books["card_kzt"],
        fund=books["general"],
        sold=D("40"),
        bought=D("21000"),
        date=DAY,
    )
    services.cash_count_record(
        actor=t, account=books["cash_eur"], fund=books["general"], counted=D("49.00"), date=DAY
    )
    assert_balanced()
    assert exchange.rate == D("525")
    exchange_book = exchange.postings.filter(book=Book.EXCHANGE)
    assert sorted((p.currency, p.amount) for p in exchange_book) == [
        ("EUR", D("40")),
        ("KZT", D("-21000")),
    ]
    assert balance(books["cash_eur"]) == D("49.00")  # 120.50 - 20.25 - 50, counted 49
    assert balance(books["card_eur"]) == D("10")
    assert balance(books["card_kzt"]) == D("21000")
    difference = Transaction.objects.get(kind="cash_count")
    assert (difference.expected, difference.counted, difference.amount) == (
        D("50.25"),
        D("49.00"),
        D("-1.25"),
    )
    assert AuditEvent.objects.filter(event="ledger.recorded").count() == 5


def test_unbalanced_postings_are_refused(cast, books):
    legs = [
        Leg(books["cash_eur"], D("10"), "EUR"),
        Leg(system_account(Book.INCOME), D("-9.99"), "EUR"),
    ]
    with pytest.raises(LedgerError, match="do not balance in EUR"):
        post(
            actor=cast["treasurer"],
            kind="donation",
            date=DAY,
            fund=books["general"],
            amount=D("10"),
            currency="EUR",
            legs=legs,
        )
    assert not Transaction.objects.exists()


def test_amount_with_too_many_decimals_is_refused(cast, books):
    with pytest.raises(LedgerError, match="at most 2 decimal places"):
        services.donation_record(
            actor=cast["treasurer"],
            account=books["cash_eur"],
            fund=books["general"],
            amount=D("10.005"),
            date=DAY,
        )
    with pytest.raises(LedgerError, match="at most 2 decimal places"):
        services.donation_record(
            actor=cast["treasurer"],
            account=books["card_kzt"],
            fund=books["general"],
            amount=D("0.001"),
            date=DAY,
        )
    with pytest.raises(TypeError):
        services.donation_record(
            actor=cast["treasurer"],
            account=books["cash_eur"],
            fund=books["general"],
            amount=10.5,
            date=DAY,
        )
    with pytest.raises(LedgerError, match="too large"):
        services.donation_record(
            actor=cast["treasurer"],
            account=books["cash_eur"],
            fund=books["general"],
            amount=D("1e30"),
            date=DAY,
        )
    with pytest.raises(LedgerError, match="no believable rate"):
        services.exchange_record(
            actor=cast["treasurer"],
            source=books["card_kzt"],
            target=books["cash_eur"],
            fund=books["general"],
            sold=D("99999999999"),
            bought=D("0.01"),
            date=DAY,
        )
    # trailing zeros are not more precision
    services.donation_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("10.500"),
        date=DAY,
    )


def test_large_disbursement_waits_for_a_second_approver(cast, books, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100"}
    t, coordinator = cast["treasurer"], cast["coordinator"]
    services.donation_record(
        actor=t, account=books["cash_eur"], fund=books["general"], amount=D("1000"), date=DAY
    )
    small = services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("100"),
        date=DAY,
        category=Category.RENT,
    )
    large = services.disbursement_record(
        actor=t,
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("100.01"),
        date=DAY,
        category=Category.LAWYER,
    )
    assert small.state == State.POSTED and large.state == State.PENDING
    assert balance(books["cash_eur"]) == D("900")
    with pytest.raises(LedgerError, match="Someone other than"):
        services.disbursement_approve(actor=t, entry=large)
    with pytest.raises(Forbidden):
        services.disbursement_approve(actor=cast["caseworker"], entry=large)
    assert balance(books["cash_eur"]) == D("900")
    services.disbursement_approve(actor=coordinator, entry=large)
    large.refresh_from_db()
    assert large.state == State.POSTED and large.decided_by == coordinator
    assert balance(books["cash_eur"]) == D("799.99")
    with pytest.raises(LedgerError, match="not waiting"):
        services.disbursement_reject(actor=coordinator, entry=large)


def test_no_way_round_the_second_approver_by_exchange_or_cash_count(cast, books, settings):
    """Money leaving through a poor exchange, or written off as a cash shortfall, is judged as a
    disbursement is: above the threshold it waits for someone else."""
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100", "KZT": "50000"}
    t, coordinator = cast["treasurer"], cast["coordinator"]
    services.donation_record(
        actor=t, account=books["cash_eur"], fund=books["general"], amount=D("1000"), date=DAY
    )
    selling_cheap = services.exchange_record(
        actor=t,
        source=books["cash_eur"],
        target=books["card_kzt"],
        fund=books["general"],
        sold=D("900"),
        bought=D("1"),
        date=DAY,
    )
    assert selling_cheap.state == State.PENDING
    assert balance(books["cash_eur"]) == D("1000") and balance(books["card_kzt"]) == 0
    shortfall = services.cash_count_record(
        actor=t, account=books["cash_eur"], fund=books["general"], counted=D("100"), date=DAY
    )
    assert shortfall.state == State.PENDING and shortfall.amount == D("-900")
    assert balance(books["cash_eur"]) == D("1000")
    with pytest.raises(LedgerError, match="Someone other than"):
        services.disbursement_approve(actor=t, entry=shortfall)
    services.disbursement_reject(actor=coordinator, entry=selling_cheap)
    services.disbursement_approve(actor=coordinator, entry=shortfall)
    assert balance(books["cash_eur"]) == D("100")
    # Small ones go straight into the books, as small disbursements do.
    small = services.cash_count_record(
        actor=t, account=books["cash_eur"], fund=books["general"], counted=D("90"), date=DAY
    )
    assert small.state == State.POSTED and balance(books["cash_eur"]) == D("90")
    assert_balanced()


def test_payments_split_under_the_threshold_add_up(cast, books, settings):
    """One person's payments over 24 hours count together: the one that takes them above the
    threshold waits, whatever date was typed; another person's do not count."""
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100"}
    t = cast["treasurer"]
    services.donation_record(
        actor=t, account=books["cash_eur"], fund=books["general"], amount=D("1000"), date=DAY
    )

    def pay(actor, amount, on=DAY):
        return services.disbursement_record(
            actor=actor,
            account=books["cash_eur"],
            fund=books["general"],
            amount=D(amount),
            date=on,
            category=Category.FOOD,
        )

    states = [pay(t, "40").state, pay(t, "40", date(2026, 1, 5)).state, pay(t, "40").state]
    assert states == [State.POSTED, State.POSTED, State.PENDING]
    assert balance(books["cash_eur"]) == D("920")
    other = UserFactory(username="treasurer2", roles=[Role.TREASURER])
    assert pay(other, "40").state == State.POSTED
    # What a second person approved was seen: it does not count against the next one.
    waiting = Transaction.objects.get(state=State.PENDING)
    services.disbursement_approve(actor=cast["coordinator"], entry=waiting)
    assert pay(t, "20").state == State.POSTED


def test_a_currency_without_threshold_always_needs_approval(cast, books, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "100"}
    services.donation_record(
        actor=cast["treasurer"],
        account=books["cash_rub"],
        fund=books["general"],
        amount=D("1000"),
        date=DAY,
    )
    entry = services.disbursement_record(
        actor=cast["treasurer"],
        account=books["cash_rub"],
        fund=books["general"],
        amount=D("1"),
        date=DAY,
        category=Category.FOOD,
    )
    assert entry.state == State.PENDING


def test_a_threshold_that_is_not_a_number_fails_closed(settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "five hundred", "USD": "NaN"}
    assert needs_second_approver(D("1"), "EUR")
    assert needs_second_approver(D("1"), "USD")
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500"}
    assert not needs_second_approver(D("500"), "EUR")
    assert needs_second_approver(D("500.01"), "EUR")


def test_rejected_disbursement_never_reaches_the_balances(cast, books, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "10"}
    entry = services.disbursement_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("50"),
        date=DAY,
        category=Category.FOOD,
    )
    services.disbursement_reject(actor=cast["coordinator"], entry=entry)
    assert balance(books["cash_eur"]) == 0
    assert selectors.balances(cast["treasurer"]).pending == 0


def test_pledge_fulfilment(cast, books):
    t = cast["treasurer"]
    pledge = services.pledge_create(
        actor=t,
        donor_kind="pseudonym",
        donor_name="Friend in Riga",
        fund=books["detention"],
        currency="EUR",
        amount=D("300"),
    )
    services.donation_record(
        actor=t,
        account=books["card_eur"],
        fund=books["general"],
        amount=D("100"),
        date=DAY,
        pledge=pledge,
    )
    assert selectors.pledge_received(pledge) == D("100")
    donation = Transaction.objects.get(pledge=pledge)
    assert donation.fund == books["detention"] and donation.donor == pledge.donor
    with pytest.raises(LedgerError, match="in EUR"):
        services.donation_record(
            actor=t,
            account=books["cash_rub"],
            fund=books["general"],
            amount=D("100"),
            date=DAY,
            pledge=pledge,
        )


def test_donor_names_are_encrypted(cast, books):
    from django.db import connection

    services.donation_record(
        actor=cast["treasurer"],
        account=books["cash_eur"],
        fund=books["general"],
        amount=D("5"),
        date=DAY,
        donor_kind="named",
        donor_name="Johanna Beispielfrau",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM ledger_donor")
        (raw,) = cursor.fetchone()
    assert b"Johanna" not in bytes(raw)
    assert Transaction.objects.get().donor.name == "Johanna Beispielfrau"


def test_transfers_and_exchanges_check_their_currencies(cast, books):
    t = cast["treasurer"]
    with pytest.raises(LedgerError, match="record an exchange"):
        services.transfer_record(
            actor=t,
            source=books["cash_eur"],
            target=books["cash_rub"],
            fund=books["general"],
            amount=D("1"),
            date=DAY,
        )
    with pytest.raises(LedgerError, match="record a transfer"):
        services.exchange_record(
            actor=t,
            source=books["cash_eur"],
            target=books["card_eur"],
            fund=books["general"],
            sold=D("1"),
            bought=D("1"),
            date=DAY,
        )
