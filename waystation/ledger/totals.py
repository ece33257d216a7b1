"""Kept totals: what the posted postings add up to per month, so that a balance or a report at a
million postings adds up a few thousand rows instead of every posting.

``MonthTotal`` holds, per account, fund, currency, category and month, the sum of the posted
postings in ten-thousandths; ``CaseMonthTotal`` the spending per case, currency and month (as
``selectors.spending_per_case`` counts it). Both are added to in the database transaction that
posts (``books.post``) or approves (``services.disbursements``) a transaction, with one
statement per key that adds in the database — ``INSERT … ON CONFLICT … DO UPDATE SET total =
total + excluded.total`` — so two postings at once never lose an update: the database takes
the second writer's row lock (PostgreSQL) or write lock (SQLite) and adds to what the first
committed. A rejected or withdrawn transaction was never posted, so it never reached them.

``recompute`` rebuilds both from the postings: the upgrade to this release runs it (with the
migration's historical models), and the benchmark after writing postings in bulk; the tests
check the kept totals against it after random sequences of operations."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DateField, Func, Sum

from .models import CaseMonthTotal, MonthTotal, Posting
from .money import STORED_PLACES
from .sums import as_money, minor_total, money_sum

_SCALE = 10**STORED_PLACES
# Spending per case counts disbursements and takes off their reversals.
_DISBURSEMENT, _REVERSAL, _POSTED = "disbursement", "reversal", "posted"


class _MonthStart(Func):
    """The first day of a date's month, computed by the database itself (Django's TruncMonth
    calls back into Python for every row on SQLite: a third of rebuilding a million rows)."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month')")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(DATE_TRUNC('month', %(expressions)s) AS date)"
        )


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_months(since: date | None, until: date | None):
    """Split a period into whole months, read from the kept totals, and the days at its edges,
    read from the postings: ``((first, end) or None, [(from, to), …])`` — the months from
    ``first`` (inclusive) to ``end`` (exclusive), None meaning unbounded on that side; None
    instead of the pair when the period holds no whole month."""
    first = None if since is None else (since if since.day == 1 else next_month(since))
    end = None
    if until is not None:
        end = next_month(until) if (until + timedelta(days=1)).day == 1 else month_of(until)
    if first is not None and end is not None and first >= end:
        return None, [(since, until)]
    edges = []
    if since is not None and since < first:
        edges.append((since, first - timedelta(days=1)))
    if until is not None and end <= until:
        edges.append((end, until))
    return (first, end), edges


def held_on(account, day: date) -> Decimal:
    """What the books say ``account`` held at the end of ``day`` (posted postings): the kept
    totals of the months before, and the postings of that month up to the day."""
    kept = MonthTotal.objects.filter(account=account, month__lt=month_of(day))
    before = kept.aggregate(total=Sum("total"))["total"] or 0
    days = Posting.objects.filter(
        book=account.book, posted=True, date__gte=month_of(day), date__lte=day, account=account
    )
    return as_money(before) + money_sum(days)


def _minor(amount) -> int:
    return int(amount.scaleb(STORED_PLACES).to_integral_value())


def _date_value(day: date):
    return connection.ops.adapt_datefield_value(day)


def _upsert(table: str, key: list[str], fixed: list[str], added: list[str], rows) -> None:
    """Add ``rows`` (the ``key`` values, the ``fixed`` ones, set only when the row is new, then
    the amounts to add) in the database: one statement per row, atomic on both databases."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [*key, *fixed, *added]
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in added)
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def add_posted(entry, postings) -> None:
    """Add a transaction that has just become posted (recorded as posted, or approved) and its
    postings to the kept totals. Call inside the database transaction that posts it."""
    per_key: dict[tuple, int] = defaultdict(int)
    for posting in postings:
        key = (
            posting.account_id,
            posting.fund_id,
            posting.currency,
            posting.category,
            month_of(posting.date),
            posting.book,  # an account has one book: not part of the key
        )
        per_key[key] += _minor(posting.amount)
    _upsert(
        MonthTotal._meta.db_table,
        ["account_id", "fund_id", "currency", "category", "month"],
        ["book"],
        ["total"],
        [
            (account, fund, currency, category, _date_value(month), book, total)
            for (account, fund, currency, category, month, book), total in per_key.items()
        ],
    )
    if entry.case_id and entry.kind in (_DISBURSEMENT, _REVERSAL):
        sign = 1 if entry.kind == _DISBURSEMENT else -1
        _upsert(
            CaseMonthTotal._meta.db_table,
            ["case_id", "currency", "month"],
            [],
            ["spent", "payments"],
            [
                (
                    entry.case_id,
                    entry.currency,
                    _date_value(month_of(entry.date)),
                    sign * _minor(entry.amount),
                    1 if sign > 0 else 0,
                )
            ],
        )


def recompute(posting_model, transaction_model, month_model, case_model) -> None:
    """Rebuild the kept totals from every posted posting and transaction. Takes the models so
    that a migration can pass its historical ones."""
    month_model.objects.all().delete()
    case_model.objects.all().delete()
    grouped = (
        posting_model.objects.filter(posted=True)
        .annotate(month=_MonthStart("date"))
        .values("month", "account", "fund", "currency", "book", "category")
        .annotate(total=minor_total())
        .order_by()
    )
    month_model.objects.bulk_create(
        (
            month_model(
                month=_as_date(row["month"]),
                account_id=row["account"],
                fund_id=row["fund"],
                currency=row["currency"],
                book=row["book"],
                category=row["category"],
                total=int(row["total"] or 0),
            )
            for row in grouped.iterator()
        ),
        batch_size=2000,
    )
    per_case: dict[tuple, list] = defaultdict(lambda: [0, 0])
    spending = (
        transaction_model.objects.filter(
            state=_POSTED, kind__in=[_DISBURSEMENT, _REVERSAL], case__isnull=False
        )
        .annotate(month=_MonthStart("date"))
        .values("case", "currency", "month", "kind")
        .annotate(total=minor_total(), count=Count("pk"))
        .order_by()
    )
    for row in spending:
        item = per_case[(row["case"], row["currency"], _as_date(row["month"]))]
        if row["kind"] == _DISBURSEMENT:
            item[0] += int(row["total"] or 0)
            item[1] += row["count"]
        else:
            item[0] -= int(row["total"] or 0)
    case_model.objects.bulk_create(
        (
            case_model(case_id=case, currency=currency, month=month, spent=spent, payments=count)
            for (case, currency, month), (spent, count) in per_case.items()
        ),
        batch_size=2000,
    )


def _as_date(month) -> date:
    """TruncMonth gives a date on PostgreSQL, and a datetime or a string on SQLite."""
    if isinstance(month, str):
        return date.fromisoformat(month[:10])
    if hasattr(month, "date") and callable(month.date):
        return month.date()
    return month
