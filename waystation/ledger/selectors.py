"""Reads of the ledger, for a viewer: every query goes through the permission policy, and
balances and reports are aggregates computed by the database (SUM … GROUP BY over postings,
read from a covering index), never by loading postings into Python."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count
from django.db.models.functions import TruncMonth

from waystation.accounts.policy import Perm, visible

from .models import Account, Book, Category, Fund, Kind, Pledge, Posting, Rate, State, Transaction
from .money import quantum
from .sums import as_money, minor_total


def _postings(viewer):
    return visible(viewer, Posting.objects.all(), Perm.LEDGER_VIEW).filter(posted=True)


def _period(queryset, since: date | None, until: date | None):
    if since:
        queryset = queryset.filter(date__gte=since)
    if until:
        queryset = queryset.filter(date__lte=until)
    return queryset


def funds_for(viewer):
    return visible(viewer, Fund.objects.all(), Perm.LEDGER_VIEW)


def accounts_for(viewer):
    return visible(viewer, Account.objects.filter(book=Book.HOLDING), Perm.LEDGER_VIEW)


def rates_for(viewer):
    return visible(viewer, Rate.objects.all(), Perm.LEDGER_VIEW)


def transactions_for(viewer):
    return visible(viewer, Transaction.objects.all(), Perm.LEDGER_VIEW)


def pending_for(viewer):
    return transactions_for(viewer).filter(state=State.PENDING).order_by("date", "pk")


def pledges_for(viewer):
    """Pledges with what has come in towards each (posted donations)."""
    return (
        visible(viewer, Pledge.objects.all(), Perm.LEDGER_VIEW)
        .select_related("donor", "fund")
        .order_by("-created_at", "-pk")
    )


def pledge_received(pledge) -> Decimal:
    from .sums import money_sum

    return money_sum(pledge.donations.filter(state=State.POSTED))


@dataclass
class Balances:
    accounts: list = field(default_factory=list)  # (account, balance)
    funds: list = field(default_factory=list)  # (fund, currency, balance)
    currencies: list = field(default_factory=list)  # (currency, balance)
    pending: int = 0


def balances(viewer, *, until: date | None = None) -> Balances:
    """What each account, fund and currency holds (posted transactions up to ``until``)."""
    held = _period(_postings(viewer).filter(book=Book.HOLDING), None, until)
    # One scan, grouped in the order of the covering index; the few groups (accounts × funds)
    # are then added up per account, per fund and per currency here.
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    per_fund: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    currencies: dict[str, Decimal] = defaultdict(Decimal)
    grouped = held.values("account", "fund", "currency").annotate(total=minor_total())
    for row in grouped.order_by("account", "fund", "currency"):
        total = as_money(row["total"])
        per_account[row["account"]] += total
        per_fund[(row["fund"], row["currency"])] += total
        currencies[row["currency"]] += total
    result = Balances()
    for account in accounts_for(viewer):
        result.accounts.append((account, per_account.get(account.pk, Decimal(0))))
    funds = {fund.pk: fund for fund in funds_for(viewer)}
    result.funds = sorted(
        ((funds[fund], code, total) for (fund, code), total in per_fund.items()),
        key=lambda item: (item[0].name, item[1]),
    )
    result.currencies = sorted(currencies.items())
    result.pending = pending_for(viewer).count()
    return result


@dataclass
class Total:
    currency: str
    amount: Decimal
    missing: list  # currencies without a rate to ``currency``


def total_in(viewer, currency: str, per_currency: list[tuple[str, Decimal]]) -> Total:
    """The balances summed in ``currency`` at the rates the treasurer entered (either
    direction of a pair, or through one other currency: KZT → EUR → RUB); currencies with no
    such rate are listed, not guessed."""
    rates: dict[tuple[str, str], Decimal] = {}
    for rate in rates_for(viewer):
        rates[(rate.currency, rate.quote)] = rate.rate
        rates[(rate.quote, rate.currency)] = Decimal(1) / rate.rate

    def rate_to(code: str) -> Decimal | None:
        if (code, currency) in rates:
            return rates[(code, currency)]
        for (first, middle), step in sorted(rates.items()):
            if first == code and (middle, currency) in rates:
                return step * rates[(middle, currency)]
        return None

    amount, missing = Decimal(0), []
    for code, balance in per_currency:
        if code == currency:
            amount += balance
        elif (found := rate_to(code)) is not None:
            amount += balance * found
        elif balance:
            missing.append(code)
    return Total(currency, amount.quantize(quantum(currency)), missing)


@dataclass
class MonthRow:
    month: date
    income: Decimal
    spending: dict  # category -> amount
    spent: Decimal


def monthly(viewer, *, currency: str, since=None, until=None) -> list[MonthRow]:
    """Donations received and spending by category per month, in one currency."""
    rows = _period(_postings(viewer), since, until).filter(
        currency=currency, book__in=[Book.INCOME, Book.EXPENSE]
    )
    months: dict[date, MonthRow] = {}
    grouped = (
        rows.annotate(month=TruncMonth("date"))
        .values("month", "book", "category")
        .annotate(total=minor_total())
        .order_by()
    )
    for row in grouped:
        month = row["month"]
        month = month.date() if hasattr(month, "date") and callable(month.date) else month
        item = months.setdefault(month, MonthRow(month, Decimal(0), {}, Decimal(0)))
        total = as_money(row["total"])
        if row["book"] == Book.INCOME:
            item.income += -total
        else:
            item.spending[row["category"]] = item.spending.get(row["category"], 0) + total
            item.spent += total
    return [months[m] for m in sorted(months)]


def category_totals(months: list[MonthRow]) -> list[tuple[str, str, Decimal]]:
    totals = defaultdict(Decimal)
    for month in months:
        for category, amount in month.spending.items():
            totals[category] += amount
    return [(c, str(label), totals[c]) for c, label in Category.choices if c in totals]


def spending_per_case(viewer, *, since=None, until=None) -> list[tuple[str, str, Decimal, int]]:
    """(codename, currency, total, disbursements): the case is only ever named by codename.
    Posted disbursements for a case, from their headline amount (the expense leg's)."""
    from waystation.cases.models import Case

    rows = (
        _period(transactions_for(viewer), since, until)
        .filter(kind=Kind.DISBURSEMENT, state=State.POSTED, case__isnull=False)
        .values("case", "currency")
        .annotate(total=minor_total(), count=Count("pk"))
        .order_by("case", "currency")
    )
    rows = list(rows)
    codenames = dict(
        Case.objects.filter(pk__in={row["case"] for row in rows}).values_list("pk", "codename")
    )
    return sorted(
        (codenames[row["case"]], row["currency"], as_money(row["total"]), row["count"])
        for row in rows
    )


def currencies_in_use(viewer) -> list[str]:
    held = accounts_for(viewer).values_list("currency", flat=True).distinct()
    return sorted(set(held))


def journal(viewer, *, since=None, until=None, kind: str = "", state: str = ""):
    rows = _period(transactions_for(viewer), since, until)
    if kind in Kind.values:
        rows = rows.filter(kind=kind)
    if state in State.values:
        rows = rows.filter(state=state)
    return rows.select_related("fund", "case").order_by("-date", "-pk")
