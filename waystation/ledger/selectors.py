"""Reads of the ledger, for a viewer: every query goes through the permission policy, and
balances and reports are aggregates computed by the database (SUM … GROUP BY over postings,
read from a covering index), never by loading postings into Python."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Sum
from django.db.models.functions import TruncMonth

from waystation.accounts.policy import Perm, can, get_for, visible
from waystation.core.prepared import prepared_rows

from . import totals
from .models import (
    Account,
    Book,
    CaseMonthTotal,
    Category,
    Donor,
    DonorKind,
    Fund,
    Kind,
    MonthTotal,
    Pledge,
    Posting,
    Rate,
    Receipt,
    State,
    Transaction,
)
from .money import quantum
from .sums import as_money, minor_total, money_sum


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
    return money_sum(pledge.donations.filter(state=State.POSTED))


@dataclass
class Balances:
    accounts: list = field(default_factory=list)  # (account, balance)
    funds: list = field(default_factory=list)  # (fund, currency, balance)
    currencies: list = field(default_factory=list)  # (currency, balance)
    pending: int = 0


def _kept(viewer, model):
    return visible(viewer, model.objects.all(), Perm.LEDGER_VIEW)


def _months(queryset, months):
    """The kept totals of the whole months ``(first, end)`` (see ``totals.whole_months``)."""
    first, end = months
    if first is not None:
        queryset = queryset.filter(month__gte=first)
    if end is not None:
        queryset = queryset.filter(month__lt=end)
    return queryset


def balances(viewer, *, until: date | None = None) -> Balances:
    """What each account, fund and currency holds (posted transactions up to ``until``): the
    kept totals of the whole months, and the postings of the month ``until`` cuts."""
    months, edges = totals.whole_months(None, until)
    groups = []
    if months is not None:
        kept = _months(_kept(viewer, MonthTotal).filter(book=Book.HOLDING), months)
        groups.append(kept.values("account", "fund", "currency").annotate(total=Sum("total")))
    for first, last in edges:
        held = _period(_postings(viewer).filter(book=Book.HOLDING), first, last)
        groups.append(held.values("account", "fund", "currency").annotate(total=minor_total()))
    # The few groups (accounts × funds) are added up per account, per fund and per currency.
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    per_fund: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    currencies: dict[str, Decimal] = defaultdict(Decimal)
    for grouped in groups:
        for row in grouped.order_by():
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


def _converter(viewer, currency: str):
    """A function giving, for a currency, (factor to ``currency``, the entered rates used) or
    None: either direction of a pair, or through one other currency (KZT → EUR → RUB)."""
    rates: dict[tuple[str, str], tuple[Decimal, Rate]] = {}
    for rate in rates_for(viewer):
        rates[(rate.currency, rate.quote)] = (rate.rate, rate)
        rates[(rate.quote, rate.currency)] = (Decimal(1) / rate.rate, rate)

    def rate_to(code: str):
        if code == currency:
            return Decimal(1), []
        if (code, currency) in rates:
            factor, entered = rates[(code, currency)]
            return factor, [entered]
        for (first, middle), (step, entered) in sorted(rates.items(), key=lambda i: i[0]):
            if first == code and (middle, currency) in rates:
                factor, second = rates[(middle, currency)]
                return step * factor, [entered, second]
        return None

    return rate_to


def total_in(viewer, currency: str, per_currency: list[tuple[str, Decimal]]) -> Total:
    """The balances summed in ``currency`` at the rates the treasurer entered (either
    direction of a pair, or through one other currency: KZT → EUR → RUB); currencies with no
    such rate are listed, not guessed."""
    rate_to = _converter(viewer, currency)
    amount, missing = Decimal(0), []
    for code, balance in per_currency:
        if (found := rate_to(code)) is not None:
            amount += balance * found[0]
        elif balance:
            missing.append(code)
    return Total(currency, amount.quantize(quantum(currency)), missing)


@dataclass
class MonthRow:
    month: date
    income: Decimal
    spending: dict  # category -> amount
    spent: Decimal


def _per_month(viewer, since, until, fields: list[str], **filters):
    """Sums of posted postings per month and ``fields`` in the period, as (month, row) pairs:
    the kept totals of its whole months and the postings of the days at its edges."""
    months, edges = totals.whole_months(since, until)
    if months is not None:
        kept = _months(_kept(viewer, MonthTotal).filter(**filters), months)
        for row in kept.values("month", *fields).annotate(total=Sum("total")).order_by():
            yield totals.month_of(row["month"]), row
    for first, last in edges:
        rows = (
            _period(_postings(viewer), first, last)
            .filter(**filters)
            .annotate(month=TruncMonth("date"))
            .values("month", *fields)
            .annotate(total=minor_total())
            .order_by()
        )
        for row in rows:
            month = row["month"]
            month = month.date() if hasattr(month, "date") and callable(month.date) else month
            yield month, row


def monthly(viewer, *, currency: str, since=None, until=None) -> list[MonthRow]:
    """Donations received and spending by category per month, in one currency."""
    months: dict[date, MonthRow] = {}
    grouped = _per_month(
        viewer,
        since,
        until,
        ["book", "category"],
        currency=currency,
        book__in=[Book.INCOME, Book.EXPENSE],
    )
    for month, row in grouped:
        item = months.setdefault(month, MonthRow(month, Decimal(0), {}, Decimal(0)))
        total = as_money(row["total"])
        if row["book"] == Book.INCOME:
            item.income += -total
        else:
            item.spending[row["category"]] = item.spending.get(row["category"], 0) + total
            item.spent += total
    return [months[m] for m in sorted(months)]


@dataclass
class ConvertedMonth:
    month: date
    income: Decimal | None  # None: a currency of the month has no rate (``missing``)
    spent: Decimal | None
    currencies: list  # the currencies the month's figures come from
    missing: list  # those with no rate to the report's currency


@dataclass
class Converted:
    currency: str
    months: list  # ConvertedMonth
    rates: list  # (currency, factor to the report's currency, [Rate entered, …])


def monthly_converted(viewer, *, currency: str, since=None, until=None) -> Converted:
    """Donations and spending per month in every currency, each converted to ``currency`` at
    the rates the treasurer entered, stating the rates used. A month with a currency that has
    no rate shows no total and says which currency lacks one: a total without it would be
    wrong, not approximate."""
    rows = _per_month(
        viewer, since, until, ["currency", "book"], book__in=[Book.INCOME, Book.EXPENSE]
    )
    per_month: dict[date, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for month, row in rows:
        figures = per_month[month]
        key = (row["currency"], row["book"])
        figures[key] = figures.get(key, Decimal(0)) + as_money(row["total"])
    rate_to = _converter(viewer, currency)
    used: dict[str, tuple] = {}
    result = Converted(currency, [], [])
    places = quantum(currency)
    for month in sorted(per_month):
        figures = per_month[month]
        codes = sorted({code for code, _book in figures})
        missing = [code for code in codes if rate_to(code) is None]
        income = spent = None
        if not missing:
            income, spent = Decimal(0), Decimal(0)
            for (code, book), total in figures.items():
                factor, entered = rate_to(code)
                if code != currency:
                    used[code] = (code, factor.quantize(Decimal("1e-10")), entered)
                if book == Book.INCOME:
                    income -= total * factor
                else:
                    spent += total * factor
            income, spent = income.quantize(places), spent.quantize(places)
        result.months.append(ConvertedMonth(month, income, spent, codes, missing))
    result.rates = [used[code] for code in sorted(used)]
    return result


def category_totals(months: list[MonthRow]) -> list[tuple[str, str, Decimal]]:
    totals = defaultdict(Decimal)
    for month in months:
        for category, amount in month.spending.items():
            totals[category] += amount
    return [(c, str(label), totals[c]) for c, label in Category.choices if c in totals]


def spending_per_case(viewer, *, since=None, until=None) -> list[tuple[str, str, Decimal, int]]:
    """(codename, currency, total, disbursements): the case is only ever named by codename.
    Posted disbursements for a case in the period, from their headline amount, less the posted
    reversals of such payments dated in the period (a reversal carries its payment's case): a
    payment and its reversal each count on their own date, as in every other report.
    ``disbursements`` counts the payments, not their reversals. Whole months come from the kept
    totals per case and month; the days at the period's edges are ranges of the index on
    (kind, state, case, currency, date, amount)."""
    spent: dict[tuple[str, str], list] = {}
    months, edges = totals.whole_months(since, until)
    if months is not None:
        kept = (
            _months(_kept(viewer, CaseMonthTotal), months)
            .values("case__codename", "currency")
            .annotate(total=Sum("spent"), count=Sum("payments"))
            .order_by()
        )
        for row in kept:
            item = spent.setdefault((row["case__codename"], row["currency"]), [Decimal(0), 0])
            item[0] += as_money(row["total"])
            item[1] += row["count"]
    for first, last in edges:
        rows = (
            _period(transactions_for(viewer), first, last)
            .filter(kind__in=[Kind.DISBURSEMENT, Kind.REVERSAL], state=State.POSTED)
            .filter(case__isnull=False)
            .values("kind", "case__codename", "currency")
            .annotate(total=minor_total(), count=Count("pk"))
            .order_by("kind", "case__codename", "currency")
        )
        for row in rows:
            item = spent.setdefault((row["case__codename"], row["currency"]), [Decimal(0), 0])
            if row["kind"] == Kind.REVERSAL:
                item[0] -= as_money(row["total"])
            else:
                item[0] += as_money(row["total"])
                item[1] += row["count"]
    return sorted(
        (codename, code, total, count)
        for (codename, code), (total, count) in spent.items()
    )


def currencies_in_use(viewer) -> list[str]:
    held = accounts_for(viewer).values_list("currency", flat=True).distinct()
    return sorted(set(held))


def journal(viewer, *, since=None, until=None, kind: str = "", state: str = ""):
    """The transactions of the period, newest first. Withdrawn ones are left out unless asked
    for by their state: they never counted, yet stay in the history."""
    rows = _period(transactions_for(viewer), since, until)
    if kind in Kind.values:
        rows = rows.filter(kind=kind)
    if state in State.values:
        rows = rows.filter(state=state)
    else:
        rows = rows.exclude(state=State.WITHDRAWN)
    return rows.select_related("fund", "case").order_by("-date", "-pk")


# --- one transaction ---------------------------------------------------------------------------


def transaction_for(viewer, pk) -> Transaction:
    """One transaction, or 404 for one that does not exist or the viewer may not read."""
    queryset = Transaction.objects.select_related(
        "fund", "case", "donor", "created_by", "decided_by", "reverses"
    )
    return get_for(viewer, queryset, pk, Perm.LEDGER_VIEW)


def reversals_of(entry: Transaction):
    """The reversals of ``entry`` (at most one live; rejected or withdrawn ones stay listed)."""
    return entry.reversals.order_by("pk")


def may_reverse(viewer, entry: Transaction) -> bool:
    """Whether the page offers the reversal: a posted transaction that is no reversal itself and
    has none posted or waiting, to a member who records."""
    return (
        can(viewer, Perm.LEDGER_RECORD)
        and entry.state == State.POSTED
        and entry.kind != Kind.REVERSAL
        and not entry.reversals.filter(state__in=[State.POSTED, State.PENDING]).exists()
    )


def pending_counts_for(viewer) -> dict | None:
    """For the overview: pending transactions recorded by others, waiting for this viewer's
    approval (for one who may approve), and this viewer's own, waiting for a second approver
    (for one who records). None for one who may do neither. One count each, their SQL compiled
    once (see core.prepared): on every dashboard of a coordinator or treasurer."""
    may_approve, may_record = can(viewer, Perm.LEDGER_APPROVE), can(viewer, Perm.LEDGER_RECORD)
    if not (may_approve or may_record):
        return None
    return {
        "to_approve": (
            prepared_rows("pending-by-others", _pending_by_others, viewer, count=True)
            if may_approve
            else None
        ),
        "own": (
            prepared_rows("pending-own", _pending_own, viewer, count=True) if may_record else None
        ),
    }


def _pending_by_others(viewer):
    return pending_for(viewer).exclude(created_by_id=viewer.pk)


def _pending_own(viewer):
    return pending_for(viewer).filter(created_by_id=viewer.pk)


def may_withdraw(viewer, entry: Transaction) -> bool:
    return (
        can(viewer, Perm.LEDGER_RECORD)
        and entry.state == State.PENDING
        and entry.created_by_id == viewer.pk
    )


def receipt_for(viewer, pk) -> Receipt:
    return get_for(viewer, Receipt.objects.all(), pk, Perm.LEDGER_VIEW)


_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def receipt_download_name(receipt: Receipt) -> str:
    """``receipt-<id>`` and the extension of its type: the uploaded name is never kept."""
    return f"receipt-{receipt.pk}{_EXTENSIONS.get(receipt.media_type, '')}"


# --- donors ------------------------------------------------------------------------------------


def donors_to_choose(viewer):
    """The donors a member recording a donation may choose, named or by pseudonym (an anonymous
    gift is never linked to another). Donor names are for those who record donations."""
    return (
        visible(viewer, Donor.objects.all(), Perm.LEDGER_RECORD)
        .exclude(kind=DonorKind.ANONYMOUS)
        .order_by("created_at", "pk")
    )


@dataclass
class DonorTotal:
    donor: Donor
    donations: int
    totals: list  # (currency, amount)
    first: date
    last: date

    @property
    def returning(self) -> bool:
        return self.donations > 1


def donations_per_donor(viewer) -> list[DonorTotal]:
    """Posted donations per named or pseudonymous donor, reversed ones left out, with the total
    in each currency; a returning donor gave more than once. For those who record donations
    (``LEDGER_RECORD``): they choose these donors by name anyway; coordinators, who only read
    the ledger, see the donations but not this list of people."""
    if not can(viewer, Perm.LEDGER_RECORD):
        return []
    reversed_ = Transaction.objects.filter(
        reverses=OuterRef("pk"), state__in=[State.POSTED, State.PENDING]
    )
    donations = (
        visible(viewer, Transaction.objects.all(), Perm.LEDGER_RECORD)
        .filter(kind=Kind.DONATION, state=State.POSTED, donor__isnull=False)
        .exclude(donor__kind=DonorKind.ANONYMOUS)
        .exclude(Exists(reversed_))
    )
    per_donor: dict = {}
    grouped = (
        donations.values("donor", "currency")
        .annotate(total=minor_total(), count=Count("pk"), first=Min("date"), last=Max("date"))
        .order_by("donor", "currency")
    )
    for row in grouped:
        item = per_donor.setdefault(row["donor"], [0, [], row["first"], row["last"]])
        item[0] += row["count"]
        item[1].append((row["currency"], as_money(row["total"])))
        item[2], item[3] = min(item[2], row["first"]), max(item[3], row["last"])
    donors = {donor.pk: donor for donor in Donor.objects.filter(pk__in=per_donor)}
    result = [
        DonorTotal(donors[pk], count, totals, first, last)
        for pk, (count, totals, first, last) in per_donor.items()
    ]
    return sorted(result, key=lambda item: (-item.donations, -item.last.toordinal()))
