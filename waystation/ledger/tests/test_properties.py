"""Property-based: any sequence of donations, disbursements (some waiting for approval, then
approved, rejected, withdrawn by their recorder or left), transfers, exchanges and reversals of
earlier transactions (on their date or today; a reversal of a reversal, or a second one,
refused) keeps the books balanced per currency, and every balance the reports show is exactly
what the operations add up to, to the minor unit, in currencies with 0, 2 and 3 decimal
places."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waystation.core.refusals import Refusal
from waystation.ledger import selectors, services
from waystation.ledger.books import LedgerError
from waystation.ledger.models import AccountKind, Category, Kind, Posting, State
from waystation.ledger.money import minor_digits
from waystation.ledger.sums import minor_total

ACCOUNTS = [
    ("Cash", "EUR"),
    ("Card", "EUR"),
    ("Cash", "RUB"),
    ("Kaspi", "KZT"),
    ("Bank", "JPY"),
    ("Bank", "BHD"),
]
THRESHOLD_MINOR = 500_000  # in each currency's minor units: some disbursements wait
START = date(2026, 1, 1)


class _Rollback(Exception):
    pass


def _money(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


account_index = st.integers(0, len(ACCOUNTS) - 1)
minor_amount = st.integers(1, 10**10)  # up to 100 000 000.00 EUR, 10 000 000 000 JPY
operations = st.lists(
    st.one_of(
        st.tuples(st.just("donation"), account_index, minor_amount, st.integers(0, 1)),
        st.tuples(
            st.just("disbursement"),
            account_index,
            st.integers(1, 2 * THRESHOLD_MINOR),
            st.integers(0, 1),
            st.sampled_from(["approve", "reject", "withdraw", "leave"]),
        ),
        st.tuples(st.just("transfer"), st.booleans(), minor_amount, st.integers(0, 1)),
        st.tuples(
            st.just("exchange"),
            account_index,
            account_index,
            minor_amount,
            minor_amount,
            st.integers(0, 1),
        ),
        st.tuples(st.just("reverse"), st.integers(0, 40), st.sampled_from(["same", "today"])),
    ),
    max_size=20,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
@pytest.mark.django_db
def test_any_sequence_keeps_the_books_balanced_and_exact(cast, ops):
    try:
        with transaction.atomic():
            _run(cast, ops)
            raise _Rollback
    except _Rollback:
        pass


def _run(cast, ops):
    from django.conf import settings as django_settings

    treasurer, coordinator = cast["treasurer"], cast["coordinator"]
    django_settings.LEDGER_APPROVAL_THRESHOLDS = {
        code: str(_money(THRESHOLD_MINOR, code)) for _name, code in ACCOUNTS
    }
    funds = [services.fund_create(actor=treasurer, name=n) for n in ("General", "Legal")]
    accounts = [
        services.account_create(actor=treasurer, name=name, kind=AccountKind.OTHER, currency=c)
        for name, c in ACCOUNTS
    ]
    held = defaultdict(Decimal)  # account pk -> balance
    paid_alone = defaultdict(int)  # currency -> minor units paid out without approval
    per_fund = defaultdict(Decimal)  # (fund pk, currency) -> balance

    written = []  # (transaction, its moves once posted)
    reversed_ = set()

    def move(account, fund, amount):
        held[account.pk] += amount
        per_fund[(fund.pk, account.currency)] += amount

    def wrote(entry, *moves):
        written.append((entry, moves))
        if entry.state == State.POSTED:
            for account, fund, amount in moves:
                move(account, fund, amount)

    for step, op in enumerate(ops):
        day = START + timedelta(days=step * 9)
        if op[0] == "donation":
            _kind, index, minor, fund_index = op
            account, fund = accounts[index], funds[fund_index]
            amount = _money(minor, account.currency)
            entry = services.donation_record(
                actor=treasurer, account=account, fund=fund, amount=amount, date=day
            )
            wrote(entry, (account, fund, amount))
        elif op[0] == "disbursement":
            _kind, index, minor, fund_index, decision = op
            account, fund = accounts[index], funds[fund_index]
            amount = _money(minor, account.currency)
            entry = services.disbursement_record(
                actor=treasurer,
                account=account,
                fund=fund,
                amount=amount,
                date=day,
                category=Category.values[step % len(Category.values)],
            )
            # All of a run is recorded within a day: the treasurer's unapproved payments in a
            # currency add up, and the one taking them over the threshold waits.
            waits = paid_alone[account.currency] + minor > THRESHOLD_MINOR
            assert (entry.state == State.PENDING) == waits
            if not waits:
                paid_alone[account.currency] += minor
            if entry.state == State.PENDING and decision == "approve":
                entry = services.disbursement_approve(actor=coordinator, entry=entry)
            elif entry.state == State.PENDING and decision == "reject":
                entry = services.disbursement_reject(actor=coordinator, entry=entry)
            elif entry.state == State.PENDING and decision == "withdraw":
                with pytest.raises(Refusal):  # only the person who recorded it
                    services.disbursement_withdraw(actor=coordinator, entry=entry)
                entry = services.disbursement_withdraw(actor=treasurer, entry=entry)
                assert entry.state == State.WITHDRAWN
            wrote(entry, (account, fund, -amount))
        elif op[0] == "transfer":
            _kind, forward, minor, fund_index = op
            source, target = (accounts[0], accounts[1]) if forward else (accounts[1], accounts[0])
            amount = _money(minor, "EUR")
            entry = services.transfer_record(
                actor=treasurer,
                source=source,
                target=target,
                fund=funds[fund_index],
                amount=amount,
                date=day,
            )
            wrote(entry, (source, funds[fund_index], -amount), (target, funds[fund_index], amount))
        elif op[0] == "reverse":
            _kind, pick, when = op
            if not written:
                continue
            original, moves = written[pick % len(written)]
            if (
                original.kind == Kind.REVERSAL
                or original.state != State.POSTED
                or original.pk in reversed_
            ):
                with pytest.raises(LedgerError):
                    services.transaction_reverse(
                        actor=treasurer, entry=original, reason="mistake", when=when
                    )
                continue
            entry = services.transaction_reverse(
                actor=treasurer, entry=original, reason="mistake", when=when
            )
            assert entry.date == (original.date if when == "same" else entry.date)
            if entry.state == State.PENDING:  # money out above the threshold waits too
                entry = services.disbursement_approve(actor=coordinator, entry=entry)
            reversed_.add(original.pk)
            wrote(entry, *((account, fund, -amount) for account, fund, amount in moves))
        else:
            _kind, a, b, sold_minor, bought_minor, fund_index = op
            source, target = accounts[a], accounts[b]
            if source.currency == target.currency:
                continue
            sold, bought = (
                _money(sold_minor, source.currency),
                _money(bought_minor, target.currency),
            )
            rate = (bought / sold).quantize(Decimal("1e-10"))  # as the service rounds it
            if not Decimal("1e-10") <= rate < Decimal("1e14"):  # no believable rate
                with pytest.raises(LedgerError, match="believable rate"):
                    services.exchange_record(
                        actor=treasurer, source=source, target=target,
                        fund=funds[fund_index], sold=sold, bought=bought, date=day,
                    )
                continue
            entry = services.exchange_record(
                actor=treasurer,
                source=source,
                target=target,
                fund=funds[fund_index],
                sold=sold,
                bought=bought,
                date=day,
            )
            assert (entry.state == State.PENDING) == (sold_minor > THRESHOLD_MINOR)
            if entry.state == State.PENDING:
                entry = services.disbursement_approve(actor=coordinator, entry=entry)
            wrote(entry, (source, funds[fund_index], -sold), (target, funds[fund_index], bought))

    # every transaction balances in every currency, counted by the database
    unbalanced = (
        Posting.objects.values("transaction", "currency")
        .annotate(total=minor_total())
        .exclude(total=0)
    )
    assert not unbalanced.exists()
    # the trial balance: all books together, posted only, sum to zero per currency
    for row in Posting.objects.filter(posted=True).values("currency").annotate(t=minor_total()):
        assert row["t"] == 0, row
    # the balances shown are exactly the operations' sums, in the minor unit
    figures = selectors.balances(treasurer)
    for account, balance in figures.accounts:
        assert balance == held[account.pk], account
        assert balance == balance.quantize(Decimal(1).scaleb(-minor_digits(account.currency)))
    shown = {(fund.pk, code): balance for fund, code, balance in figures.funds}
    assert {k: v for k, v in shown.items() if v} == {k: v for k, v in per_fund.items() if v}
    by_currency = defaultdict(Decimal)
    for account in accounts:
        by_currency[account.currency] += held[account.pk]
    assert {c: v for c, v in figures.currencies if v} == {c: v for c, v in by_currency.items() if v}
