"""An instance made by the previous release (ledger at 0002) upgrades: its transactions read
as before, its cash counts name the account they counted, and the new reversal and withdrawal
work on what it held; the kept totals of the next release are filled from its postings."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from waystation.accounts.tests.factories import UserFactory
from waystation.ledger import selectors, services
from waystation.ledger.models import Kind, MonthTotal, State, Transaction

D = Decimal
BEFORE = [("ledger", "0002_report_indexes")]


@pytest.fixture
def upgraded(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    treasurer = UserFactory(username="treasurer-old", roles=["treasurer"])
    fund = old.get_model("ledger", "Fund").objects.create(name="General")
    account = old.get_model("ledger", "Account")
    cash = account.objects.create(name="Cash", kind="cash", book="holding", currency="EUR")
    income = account.objects.create(name="Donations", kind="system", book="income")
    spent = account.objects.create(name="Spending", kind="system", book="difference")
    tx, posting = old.get_model("ledger", "Transaction"), old.get_model("ledger", "Posting")
    day = date(2026, 2, 1)

    def write(kind, amount, legs, **fields):
        entry = tx.objects.create(
            kind=kind,
            state="posted",
            date=day,
            fund=fund,
            amount=amount,
            currency="EUR",
            created_by_id=treasurer.pk,
            **fields,
        )
        for leg_account, leg_amount in legs:
            posting.objects.create(
                transaction=entry,
                account=leg_account,
                fund=fund,
                currency="EUR",
                amount=leg_amount,
                date=day,
                posted=True,
                book=leg_account.book,
            )
        return entry.pk

    gift = write("donation", D("100"), [(cash, D("100")), (income, D("-100"))])
    count = write(
        "cash_count",
        D("-5"),
        [(cash, D("-5")), (spent, D("5"))],
        expected=D("100"),
        counted=D("95"),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    return {"treasurer": treasurer, "gift": gift, "count": count, "cash": cash.pk}


def test_an_instance_of_the_previous_release_upgrades(upgraded, settings):
    settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "500"}
    treasurer = upgraded["treasurer"]
    gift = Transaction.objects.get(pk=upgraded["gift"])
    assert (gift.kind, gift.state, gift.amount, gift.reverses, gift.reason) == (
        Kind.DONATION,
        State.POSTED,
        D("100"),
        None,
        "",
    )
    # The upgrade filled the kept totals from the postings it found (issue 21).
    kept = MonthTotal.objects.get(account_id=upgraded["cash"], month=date(2026, 2, 1))
    assert (kept.book, kept.total) == ("holding", 95 * 10_000)
    assert MonthTotal.objects.get(book="income").total == -100 * 10_000
    count = Transaction.objects.get(pk=upgraded["count"])
    assert count.counted_account_id == upgraded["cash"]
    # The count on the same date closes it: reversing the old gift goes to today.
    reversal = services.transaction_reverse(actor=treasurer, entry=gift, reason="bounced")
    assert reversal.state == State.POSTED and reversal.date != gift.date
    held = {account.pk: balance for account, balance in selectors.balances(treasurer).accounts}
    assert held[upgraded["cash"]] == D("-5")
