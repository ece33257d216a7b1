"""Ledger at scale: the balances page and the monthly report for a signed-in treasurer over
1,000,000 postings against the same pages over 10,000 postings (requests/s), in one run on one
instance.

The instance grows in place: 10,000 postings are written in bulk (donations, disbursements by
category, some for a case, transfers, four-legged exchanges, in KZT, RUB, EUR and USD over three
years), measured; then postings are added up to the large size and the same pages are measured
again. Balances and reports add up the kept monthly totals (``ledger.totals``), rebuilt once
after each bulk write through the function the upgrade uses; live postings keep them in their
own transaction. WAYSTATION_BENCH_POSTINGS=N scales the large stage down.
"""

import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.core.management.color import no_style
from django.utils.timezone import now as timezone_now

from bench.report import ratio_line, table
from bench.workers import run_worker

LARGE = int(os.environ.get("WAYSTATION_BENCH_POSTINGS", "1000000"))
SMALL = 10_000
# Requests/s with the large set ÷ with the small set (issue 21). Balances and reports add up
# the kept monthly totals, not every posting: a hundred times the postings may cost at most
# twice the time.
GOAL = 0.5
SECONDS = 3.0
ROUNDS = 3
BATCH = 10_000


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="waystation-bench-") as folder:
        progress, figures = run_worker("bench.ledger", LARGE, data_dir=Path(folder) / "instance")
    for line in progress:
        print(f"  {line}", flush=True)
    small, large = figures["small"], figures["large"]
    rows = []
    for page in ("balances", "report"):
        for label, stage in ((f"{SMALL:,} postings", small), (f"{figures['postings']:,}", large)):
            best = max(stage[page])
            rows.append(
                (f"{page}, {label}", f"best {best:8.2f} requests/s  ({1000 / best:7.1f} ms)")
            )
    table(rows)
    print(
        f"  ({figures['generate_s']:.0f} s to write the large set in batches of about"
        f" {BATCH:,} transactions, kept totals rebuilt once at the end)"
    )
    for page in ("balances", "report"):
        ratio = max(large[page]) / max(small[page])
        label = f"{page}: {figures['postings']:,} / {SMALL:,} postings"
        print(ratio_line(label, ratio, GOAL, digits=3))


# --- the worker: its own process, data directory and instance -------------------------------

CURRENCIES = {"KZT": 0, "RUB": 0, "EUR": 2, "USD": 2}  # minor digits used for amounts here


def _amount(rng: random.Random, currency: str) -> Decimal:
    digits = CURRENCIES[currency]
    return Decimal(rng.randint(100, 5_000_000 if digits == 0 else 200_000)).scaleb(-digits)


def generate(postings: int, *, seed: int, setup: dict) -> int:
    """Write about ``postings`` postings in bulk, then rebuild the kept totals once through the
    function the upgrade uses; returns how many were written.

    Rows go in as plain tuples through ``core.bulk.insert_rows`` (one prepared statement on
    SQLite, COPY on PostgreSQL), transactions with ids taken after the largest one, in one
    database transaction: Django's model objects cost several times the database's own work."""
    from django.db import connection, transaction

    from waystation.core.bulk import insert_rows, null
    from waystation.ledger import totals
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

    rng = random.Random(seed)
    accounts, funds, cases, systems, treasurer = (
        setup["accounts"],
        setup["funds"],
        setup["cases"],
        setup["systems"],
        setup["treasurer"],
    )
    sqlite = connection.vendor == "sqlite"
    nothing = null()
    categories = Category.values
    start = date(2024, 1, 1)
    days = [start + timedelta(days=n) for n in range(3 * 365)]
    day_values = [connection.ops.adapt_datefield_value(d) for d in days]
    created = connection.ops.adapt_datetimefield_value(timezone_now())
    same_currency = {
        a.pk: [b for b in accounts if b.currency == a.currency and b != a] for a in accounts
    }
    other_currency = {a.pk: [b for b in accounts if b.currency != a.currency] for a in accounts}
    income, expense, exchange = systems[Book.INCOME], systems[Book.EXPENSE], systems[Book.EXCHANGE]
    money = str if sqlite else (lambda value: value)  # SQLite stores DECIMAL as REAL anyway
    next_id = (Transaction.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    tx_names = [
        "id", "kind", "state", "date", "amount", "currency", "fund", "category", "case", "donor",
        "pledge", "rate", "expected", "counted", "counted_account", "memo", "created_by",
        "created_at", "decided_by", "decided_at", "reverses", "reason",
    ]  # fmt: skip
    leg_names = [
        "transaction", "account", "fund", "currency", "amount", "date", "posted", "book",
        "category",
    ]  # fmt: skip
    written, started, cpu = 0, time.perf_counter(), time.process_time()
    if sqlite:  # a larger page cache while writing (the indexes' pages), as before after
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            (cache_size,) = cursor.fetchone()
            cursor.execute("PRAGMA cache_size = -262144")
    with transaction.atomic():
        while written < postings:
            entries, legs = [], []
            while len(legs) < BATCH * 2 and written + len(legs) < postings:
                roll = rng.random()
                when = rng.randrange(len(days))
                day = day_values[when]
                fund = rng.choice(funds).pk
                account = rng.choice(accounts)
                currency = account.currency
                amount = _amount(rng, currency)
                case, category, state = nothing, "", State.POSTED
                tx = next_id
                if roll < 0.4:
                    kind = Kind.DONATION
                    moves = [(account, amount, currency, ""), (income, -amount, currency, "")]
                elif roll < 0.9:
                    kind, category = Kind.DISBURSEMENT, rng.choice(categories)
                    if rng.random() < 0.3:
                        case = rng.choice(cases).pk
                    state = State.PENDING if rng.random() < 0.01 else State.POSTED
                    moves = [
                        (account, -amount, currency, ""),
                        (expense, amount, currency, category),
                    ]
                elif roll < 0.95:
                    kind = Kind.TRANSFER
                    target = rng.choice(same_currency[account.pk])
                    moves = [(account, -amount, currency, ""), (target, amount, currency, "")]
                else:
                    kind = Kind.EXCHANGE
                    target = rng.choice(other_currency[account.pk])
                    bought = _amount(rng, target.currency)
                    moves = [
                        (account, -amount, currency, ""),
                        (exchange, amount, currency, ""),
                        (exchange, -bought, target.currency, ""),
                        (target, bought, target.currency, ""),
                    ]
                next_id += 1
                entries.append(
                    (
                        tx, kind.value, state.value, day, money(amount), currency, fund,
                        category, case, nothing, nothing, None, None, None, nothing, "",
                        treasurer.pk, created, nothing, nothing, nothing, "",
                    )
                )  # fmt: skip
                posted = 1 if state == State.POSTED else 0
                legs += [
                    (tx, a.pk, fund, c, money(x), day, posted, a.book, g) for a, x, c, g in moves
                ]
            insert_rows(Transaction, tx_names, entries)
            insert_rows(Posting, leg_names, legs)
            written += len(legs)
        if not sqlite:  # the ids were given: move the sequence past them
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), [Transaction]):
                    cursor.execute(statement)
        inserted = time.perf_counter()
        totals.recompute(Posting, Transaction, MonthTotal, CaseMonthTotal)
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
    print(
        f"wrote {written:,} postings: inserting {inserted - started:.1f} s, kept totals rebuilt"
        f" in {time.perf_counter() - inserted:.1f} s, with the commit; processor time of the"
        f" writing process {time.process_time() - cpu:.1f} s",
        flush=True,
    )
    return written


def _setup() -> dict:
    from waystation.accounts.models import User
    from waystation.accounts.policy import Perm, system_actor
    from waystation.accounts.roles import Role
    from waystation.cases.services import case_create
    from waystation.ledger import services
    from waystation.ledger.books import system_account
    from waystation.ledger.models import AccountKind, Book

    treasurer = User.objects.create_user("bench", roles=[Role.TREASURER])
    funds = [services.fund_create(actor=treasurer, name=f"Fund {i}") for i in range(5)]
    accounts = [
        services.account_create(
            actor=treasurer, name=f"{kind.label} {i}", kind=kind, currency=currency
        )
        for currency in CURRENCIES
        for i, kind in enumerate(
            [
                AccountKind.CASH,
                AccountKind.BANK_CARD,
                AccountKind.PAYMENT_SERVICE,
                AccountKind.OTHER,
            ]
        )
    ]
    for code, rate in (("EUR", "520"), ("RUB", "5.6"), ("USD", "480")):
        services.rate_set(actor=treasurer, currency=code, quote="KZT", rate=Decimal(rate))
    opener = system_actor("bench.ledger", Perm.CASES_MANAGE)
    cases = [case_create(actor=opener) for _ in range(200)]
    systems = {
        book: system_account(book)
        for book in (Book.INCOME, Book.EXPENSE, Book.EXCHANGE, Book.DIFFERENCE)
    }
    return {
        "treasurer": treasurer,
        "funds": funds,
        "accounts": accounts,
        "cases": cases,
        "systems": systems,
    }


def _per_second(request) -> float:
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < SECONDS:
        request()
        done += 1
    return done / elapsed


def _measure(pages: dict) -> dict:
    for request in pages.values():
        request()
    figures = {page: [] for page in pages}
    for _ in range(ROUNDS):
        for page, request in pages.items():
            figures[page].append(_per_second(request))
    return figures


def main(large: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from waystation.core.instance import instance_create

    instance_create(settings.DATA_DIR, passphrase="benchmark instance", label="bench")
    setup = _setup()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(setup["treasurer"])

    def get(path, query=None):
        response = client.get(path, query)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")

    pages = {
        "balances": lambda: get(reverse("ledger:overview"), {"currency": "KZT"}),
        "report": lambda: get(reverse("ledger:reports"), {"currency": "KZT"}),
    }
    written = generate(SMALL, seed=1, setup=setup)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    small = _measure(pages)
    print(f"measured {written:,} postings; writing up to {large:,}", flush=True)
    started = time.perf_counter()
    written += generate(large - written, seed=2, setup=setup)
    generate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    large_figures = _measure(pages)
    print(
        json.dumps(
            {"postings": written, "generate_s": generate_s, "small": small, "large": large_figures}
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
