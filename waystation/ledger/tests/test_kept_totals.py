"""Kept totals (issue 21): after any sequence of donations, disbursements (some for a case, some
waiting and then approved, rejected or withdrawn), transfers and reversals (on the original's
date or today) over several months, the totals kept with each posting are exactly what a full
recomputation from the postings gives, and the balances and reports read from them equal the
same figures added up from every posting, on any date and for any period."""

import threading
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.cases.tests.factories import make_case
from waystation.ledger import selectors, services, totals
from waystation.ledger.books import LedgerError
from waystation.ledger.models import (
    Book,
    CaseMonthTotal,
    Category,
    Kind,
    MonthTotal,
    Posting,
    State,
    Transaction,
)
from waystation.ledger.sums import as_money, minor_total

from .factories import make_books

START = date(2026, 1, 1)
ACCOUNTS = ["cash_eur", "card_eur", "cash_rub", "card_kzt"]


class _Rollback(Exception):
    pass


def _kept() -> tuple[dict, dict]:
    months = {
        (r.account_id, r.fund_id, r.currency, r.category, r.month, r.book): r.total
        for r in MonthTotal.objects.all()
        if r.total
    }
    cases = {
        (r.case_id, r.currency, r.month): (r.spent, r.payments)
        for r in CaseMonthTotal.objects.all()
        if r.spent or r.payments
    }
    return months, cases


def _recomputed() -> tuple[dict, dict]:
    totals.recompute(Posting, Transaction, MonthTotal, CaseMonthTotal)
    return _kept()


def _balances_from_postings(until):
    rows = Posting.objects.filter(posted=True, book=Book.HOLDING)
    if until:
        rows = rows.filter(date__lte=until)
    per_account = {
        row["account"]: as_money(row["t"])
        for row in rows.values("account").annotate(t=minor_total()).order_by()
    }
    return {pk: total for pk, total in per_account.items() if total}


def _monthly_from_postings(currency, since, until):
    rows = Posting.objects.filter(
        posted=True, currency=currency, book__in=[Book.INCOME, Book.EXPENSE]
    )
    if since:
        rows = rows.filter(date__gte=since)
    if until:
        rows = rows.filter(date__lte=until)
    per_month = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for posting in rows:
        item = per_month[totals.month_of(posting.date)]
        if posting.book == Book.INCOME:
            item[0] -= posting.amount
        else:
            item[1] += posting.amount
    return {m: tuple(v) for m, v in per_month.items()}


def _per_case_from_transactions(since, until):
    rows = Transaction.objects.filter(
        state=State.POSTED, kind__in=[Kind.DISBURSEMENT, Kind.REVERSAL], case__isnull=False
    )
    if since:
        rows = rows.filter(date__gte=since)
    if until:
        rows = rows.filter(date__lte=until)
    spent = defaultdict(lambda: [Decimal(0), 0])
    for entry in rows.select_related("case"):
        item = spent[(entry.case.codename, entry.currency)]
        if entry.kind == Kind.DISBURSEMENT:
            item[0] += entry.amount
            item[1] += 1
        else:
            item[0] -= entry.amount
    return sorted((name, code, total, count) for (name, code), (total, count) in spent.items())


amount = st.integers(1, 10**9)
day = st.integers(0, 200)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("donation"), st.integers(0, 3), amount, day, st.integers(0, 1)),
        st.tuples(
            st.just("disbursement"),
            st.integers(0, 3),
            st.integers(1, 60_000),
            day,
            st.integers(0, 2),  # no case, or one of two
            st.sampled_from(["approve", "reject", "withdraw", "leave"]),
        ),
        st.tuples(st.just("transfer"), st.booleans(), amount, day),
        st.tuples(st.just("reverse"), st.integers(0, 30), st.sampled_from(["same", "today"])),
    ),
    max_size=16,
)
period = st.tuples(st.none() | day, st.none() | day)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, periods=st.lists(period, min_size=1, max_size=3))
@pytest.mark.django_db
def test_kept_totals_equal_a_full_recomputation(cast, ops, periods):
    try:
        with transaction.atomic():
            _run(cast, ops, periods)
            raise _Rollback
    except _Rollback:
        pass


def _run(cast, ops, periods):
    from django.conf import settings as django_settings

    django_settings.LEDGER_APPROVAL_THRESHOLDS = {"EUR": "300", "RUB": "30000", "KZT": "150000"}
    treasurer, coordinator = cast["treasurer"], cast["coordinator"]
    books = make_books(treasurer)
    funds = [books["general"], books["detention"]]
    cases = [None, make_case(), make_case()]
    written = []
    for op in ops:
        if op[0] == "donation":
            _kind, index, minor, offset, fund = op
            account = books[ACCOUNTS[index]]
            written.append(
                services.donation_record(
                    actor=treasurer,
                    account=account,
                    fund=funds[fund],
                    amount=Decimal(minor).scaleb(-2),
                    date=START + timedelta(days=offset),
                )
            )
        elif op[0] == "disbursement":
            _kind, index, minor, offset, case, decision = op
            entry = services.disbursement_record(
                actor=treasurer,
                account=books[ACCOUNTS[index]],
                fund=funds[0],
                amount=Decimal(minor),
                date=START + timedelta(days=offset),
                category=Category.values[minor % len(Category.values)],
                case=cases[case],
            )
            if entry.state == State.PENDING and decision == "approve":
                entry = services.disbursement_approve(actor=coordinator, entry=entry)
            elif entry.state == State.PENDING and decision == "reject":
                entry = services.disbursement_reject(actor=coordinator, entry=entry)
            elif entry.state == State.PENDING and decision == "withdraw":
                entry = services.disbursement_withdraw(actor=treasurer, entry=entry)
            written.append(entry)
        elif op[0] == "transfer":
            _kind, forward, minor, offset = op
            source, target = books["cash_eur"], books["card_eur"]
            if not forward:
                source, target = target, source
            written.append(
                services.transfer_record(
                    actor=treasurer,
                    source=source,
                    target=target,
                    fund=funds[1],
                    amount=Decimal(minor).scaleb(-2),
                    date=START + timedelta(days=offset),
                )
            )
        elif written:
            _kind, pick, when = op
            try:
                entry = services.transaction_reverse(
                    actor=treasurer, entry=written[pick % len(written)], reason="twice", when=when
                )
            except LedgerError:
                continue  # a reversal, not posted, or reversed already: refused as elsewhere
            if entry.state == State.PENDING:
                entry = services.disbursement_approve(actor=coordinator, entry=entry)
            written.append(entry)

    kept = _kept()
    assert kept == _recomputed()
    for since_offset, until_offset in periods:
        since = None if since_offset is None else START + timedelta(days=since_offset)
        until = None if until_offset is None else START + timedelta(days=until_offset)
        shown = {
            account.pk: balance
            for account, balance in selectors.balances(treasurer, until=until).accounts
            if balance
        }
        assert shown == _balances_from_postings(until), until
        for currency in ("EUR", "RUB", "KZT"):
            months = selectors.monthly(treasurer, currency=currency, since=since, until=until)
            assert {
                m.month: (m.income, m.spent) for m in months if m.income or m.spent
            } == {
                m: v for m, v in _monthly_from_postings(currency, since, until).items() if any(v)
            }, (currency, since, until)
        assert selectors.spending_per_case(
            treasurer, since=since, until=until
        ) == _per_case_from_transactions(since, until)


@pytest.mark.parametrize(
    ("since", "until", "months", "edges"),
    [
        (None, None, (None, None), []),
        (date(2026, 1, 1), date(2026, 3, 31), (date(2026, 1, 1), date(2026, 4, 1)), []),
        (
            date(2026, 1, 15),
            date(2026, 3, 10),
            (date(2026, 2, 1), date(2026, 3, 1)),
            [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 10))],
        ),
        (date(2026, 2, 3), date(2026, 2, 20), None, [(date(2026, 2, 3), date(2026, 2, 20))]),
        (None, date(2025, 12, 31), (None, date(2026, 1, 1)), []),
        (None, date(2026, 2, 28), (None, date(2026, 3, 1)), []),
    ],
)
def test_a_period_is_split_into_whole_months_and_the_days_at_its_edges(
    since, until, months, edges
):
    assert totals.whole_months(since, until) == (months, edges)


@pytest.mark.usefixtures("transactional_db")
def test_two_postings_at_once_both_reach_the_kept_total(cast):
    """Each posting adds to its month's total in the database (INSERT … ON CONFLICT DO UPDATE
    SET total = total + excluded.total), so two at once, on the same account, fund and month,
    never lose one another's amount. The PostgreSQL run is the one that matters."""
    treasurer = cast["treasurer"]
    books = make_books(treasurer)
    start = threading.Barrier(4, timeout=10)
    problems = []

    def give(cents):
        try:
            start.wait()
            services.donation_record(
                actor=treasurer,
                account=books["cash_eur"],
                fund=books["general"],
                amount=Decimal(cents).scaleb(-2),
                date=date(2026, 5, 5),
            )
        except Exception as problem:  # reported below
            problems.append(repr(problem))
        finally:
            connection.close()

    threads = [threading.Thread(target=give, args=(cents,)) for cents in (101, 202, 303, 404)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not problems, problems
    kept = MonthTotal.objects.get(
        account=books["cash_eur"], fund=books["general"], month=date(2026, 5, 1)
    )
    assert kept.total == 101_000 and kept.book == Book.HOLDING
    held = dict(selectors.balances(treasurer).accounts)
    assert held[books["cash_eur"]] == Decimal("10.10")
