"""Ledger at scale: the balances page and the monthly report for a signed-in treasurer over
1,000,000 postings against the same pages over 10,000 postings (requests/s), in one run on one
instance.

The instance grows in place: 10,000 postings are written in bulk (donations, disbursements by
category, some for a case, transfers, four-legged exchanges, in KZT, RUB, EUR and USD over three
years), measured; then postings are added up to the large size and the same pages are measured
again. Every balance is a SUM … GROUP BY over a covering index, so the pages cost time in
proportion to the postings they add up. WAYSTATION_BENCH_POSTINGS=N scales the large stage down.
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

from bench.report import ratio_line, table
from bench.workers import run_worker

LARGE = int(os.environ.get("WAYSTATION_BENCH_POSTINGS", "1000000"))
SMALL = 10_000
# Requests/s with the large set ÷ with the small set. A balance is a sum over every posting, so
# a hundred times the postings may cost up to a hundred times the time: the goal is linear.
GOAL = 0.01
SECONDS = 3.0
ROUNDS = 3
BATCH = 5_000


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
    print(f"  ({figures['generate_s']:.0f} s to write the large set in batches of {BATCH:,})")
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
    """Write about ``postings`` postings in bulk; returns how many were written."""
    from waystation.ledger.models import Book, Category, Kind, Posting, State, Transaction

    rng = random.Random(seed)
    accounts, funds, cases, systems, treasurer = (
        setup["accounts"],
        setup["funds"],
        setup["cases"],
        setup["systems"],
        setup["treasurer"],
    )
    categories = Category.values
    start = date(2024, 1, 1)
    written = 0
    while written < postings:
        entries, legs_of = [], []
        while len(legs_of) < BATCH and written + sum(len(x) for x in legs_of) < postings:
            roll = rng.random()
            day = start + timedelta(days=rng.randrange(3 * 365))
            fund = rng.choice(funds)
            account = rng.choice(accounts)
            currency = account.currency
            amount = _amount(rng, currency)
            case, category, state = None, "", State.POSTED
            if roll < 0.4:
                kind = Kind.DONATION
                legs = [
                    (account, amount, currency, ""),
                    (systems[Book.INCOME], -amount, currency, ""),
                ]
            elif roll < 0.9:
                kind, category = Kind.DISBURSEMENT, rng.choice(categories)
                case = rng.choice(cases) if rng.random() < 0.3 else None
                state = State.PENDING if rng.random() < 0.01 else State.POSTED
                legs = [
                    (account, -amount, currency, ""),
                    (systems[Book.EXPENSE], amount, currency, category),
                ]
            elif roll < 0.95:
                kind = Kind.TRANSFER
                target = rng.choice(
                    [a for a in accounts if a.currency == currency and a != account]
                )
                legs = [(account, -amount, currency, ""), (target, amount, currency, "")]
            else:
                kind = Kind.EXCHANGE
                target = rng.choice([a for a in accounts if a.currency != currency])
                bought = _amount(rng, target.currency)
                exchange = systems[Book.EXCHANGE]
                legs = [
                    (account, -amount, currency, ""),
                    (exchange, amount, currency, ""),
                    (exchange, -bought, target.currency, ""),
                    (target, bought, target.currency, ""),
                ]
            entries.append(
                Transaction(
                    kind=kind,
                    state=state,
                    date=day,
                    amount=amount,
                    currency=currency,
                    fund=fund,
                    category=category,
                    case=case,
                    created_by=treasurer,
                )
            )
            legs_of.append(legs)
        Transaction.objects.bulk_create(entries)
        Posting.objects.bulk_create(
            [
                Posting(
                    transaction=entry,
                    account=leg_account,
                    fund_id=entry.fund_id,
                    currency=leg_currency,
                    amount=leg_amount,
                    date=entry.date,
                    posted=entry.state == State.POSTED,
                    book=leg_account.book,
                    category=leg_category,
                )
                for entry, legs in zip(entries, legs_of, strict=True)
                for leg_account, leg_amount, leg_currency, leg_category in legs
            ],
            batch_size=BATCH,
        )
        written += sum(len(legs) for legs in legs_of)
    return written


def _setup() -> dict:
    from waystation.accounts.models import User
    from waystation.accounts.policy import Perm, system_actor
    from waystation.accounts.roles import Role
    from waystation.cases.services import case_create
    from waystation.ledger import services
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
        book: services.system_account(book)
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
