"""The ledger: funds, accounts, and double-entry transactions made of postings.

Every transaction is a set of postings (legs) whose amounts sum to zero in each currency
(``services`` refuses anything else). Money sits in the *holding* accounts the group creates
(a cash box, a bank card, a payment service, a crypto wallet: labels only, never credentials).
The other side of each movement is one of four system accounts, one row each, made on first
use: donations (income), spending (expense, by category), exchange (the trading account that
balances each currency of a currency exchange) and cash differences (what a cash count found).

A posting repeats its transaction's date and state and its account's book, so the balance and
report queries are one aggregate over one table with a covering index, at a million postings.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from waystation.core.fields import EncryptedTextField, ServerSealedTextField

from .money import MAX_DIGITS, STORED_PLACES


def amount_field(verbose_name, **kwargs):
    return models.DecimalField(
        verbose_name, max_digits=MAX_DIGITS, decimal_places=STORED_PLACES, **kwargs
    )


class Fund(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    purpose = ServerSealedTextField(_("purpose"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Book(models.TextChoices):
    HOLDING = "holding", _("Money held")
    INCOME = "income", _("Donations")
    EXPENSE = "expense", _("Spending")
    EXCHANGE = "exchange", _("Currency exchange")
    DIFFERENCE = "difference", _("Cash differences")


class AccountKind(models.TextChoices):
    CASH = "cash", _("Cash box")
    BANK_CARD = "bank_card", _("Bank card or account")
    PAYMENT_SERVICE = "payment", _("Payment service")
    CRYPTO_WALLET = "crypto", _("Crypto wallet")
    OTHER = "other", _("Other")
    SYSTEM = "system", _("System account")


class Account(models.Model):
    """Where money sits, in one currency (a card with two currencies is two accounts). System
    accounts (every book but holding) take any currency and have no currency of their own."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    book = models.CharField(max_length=10, choices=Book.choices, default=Book.HOLDING)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["book", "name", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["name", "currency"], name="ledger_account_name"),
            models.UniqueConstraint(
                fields=["book"],
                condition=~models.Q(book="holding"),
                name="ledger_one_system_account_per_book",
            ),
        ]

    def __str__(self):
        if self.book != Book.HOLDING:
            return str(Book(self.book).label)
        return f"{self.name} ({self.currency})"


class Category(models.TextChoices):
    RENT = "rent", _("Rent")
    FOOD = "food", _("Food")
    LAWYER = "lawyer", _("Lawyer fees")
    PARCELS = "parcels", _("Parcels to detention")
    TRANSPORT = "transport", _("Transport")
    MEDICAL = "medical", _("Medical")
    DOCUMENTS = "documents", _("Documents")
    OTHER = "other", _("Other")


class DonorKind(models.TextChoices):
    NAMED = "named", _("Named")
    PSEUDONYM = "pseudonym", _("Pseudonym")
    ANONYMOUS = "anonymous", _("Anonymous")


class Donor(models.Model):
    """Who gave: a name or a pseudonym, encrypted; an anonymous donor has neither."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("donor"), max_length=10, choices=DonorKind.choices)
    name = EncryptedTextField(_("donor's name or pseudonym"))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        if self.kind == DonorKind.ANONYMOUS:
            return str(DonorKind.ANONYMOUS.label)
        return self.name


class Pledge(models.Model):
    donor = models.ForeignKey(Donor, on_delete=models.PROTECT)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, verbose_name=_("fund"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = amount_field(_("amount promised"))
    due_on = models.DateField(_("expected by"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"#{self.pk}"


class Kind(models.TextChoices):
    DONATION = "donation", _("Donation")
    DISBURSEMENT = "disbursement", _("Disbursement")
    TRANSFER = "transfer", _("Transfer")
    EXCHANGE = "exchange", _("Currency exchange")
    CASH_COUNT = "cash_count", _("Cash count")
    REVERSAL = "reversal", _("Reversal")


class State(models.TextChoices):
    POSTED = "posted", _("Posted")
    PENDING = "pending", _("Waiting for a second approver")
    REJECTED = "rejected", _("Rejected")
    # Taken back by the person who recorded it while it waited: never in any balance, kept in
    # the history.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ReversalDate(models.TextChoices):
    """When a reversal is dated (not stored: the reversal's date is)."""

    SAME = "same", _("On the original's date, so both fall in the same period")
    TODAY = "today", _("Today")


class Transaction(models.Model):
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    date = models.DateField(_("date"))
    # The headline figure shown in lists: what was given, paid, moved, sold or found.
    amount = amount_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, verbose_name=_("fund"))
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, blank=True)
    # Only ever shown by its codename: the ledger never reads a case's identity.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    donor = models.ForeignKey(Donor, null=True, blank=True, on_delete=models.PROTECT)
    pledge = models.ForeignKey(
        Pledge, null=True, blank=True, on_delete=models.PROTECT, related_name="donations"
    )
    # A currency exchange: units of the second currency obtained for one of the first.
    rate = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    # A cash count: what the books said and what was counted.
    expected = amount_field(_("expected"), null=True, blank=True)
    counted = amount_field(_("counted"), null=True, blank=True)
    counted_account = models.ForeignKey(
        "Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = ServerSealedTextField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A reversal: the transaction it undoes, with opposite postings, and why. The original stays
    # as it was; it shows "reversed by" through ``reversals``.
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        verbose_name=_("reverses"),
    )
    reason = ServerSealedTextField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [
            models.Index(fields=["-date", "-id"], name="ledger_tx_date"),
            models.Index(fields=["state", "-date"], name="ledger_tx_state"),
            # Spending per case: disbursements for a case only, grouped in index order.
            models.Index(
                fields=["kind", "state", "case", "currency", "date", "amount"],
                condition=models.Q(case__isnull=False),
                name="ledger_tx_case_spending",
            ),
        ]

    def __str__(self):
        return f"#{self.pk}"


class Posting(models.Model):
    """One leg. ``amount`` is signed: money into an account is positive, out of it negative;
    the legs of one transaction sum to zero in each currency."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    amount = amount_field(_("amount"))
    # Copied from the transaction and the account, so that reports read this table only.
    date = models.DateField()
    posted = models.BooleanField()
    book = models.CharField(max_length=10, choices=Book.choices)
    category = models.CharField(max_length=10, choices=Category.choices, blank=True)

    class Meta:
        # Both indexes cover their queries (every column read is in the index; SQLite wants
        # "posted" in it too, although the condition implies it) and hold posted postings only
        # (what every report reads). Whole months are read from the kept totals
        # (``MonthTotal``); these serve the part of a month a date or period cuts: the days of
        # one book (balances on a date, a cash count, every currency's report), and the days
        # of one book in one currency (income and spending per category).
        indexes = [
            models.Index(
                fields=["book", "date", "account", "fund", "currency", "amount", "posted"],
                condition=models.Q(posted=True),
                name="ledger_posted_days",
            ),
            models.Index(
                fields=["book", "currency", "date", "category", "amount", "posted"],
                condition=models.Q(posted=True),
                name="ledger_posted_month",
            ),
        ]

    def __str__(self):
        return f"#{self.transaction_id} {self.amount} {self.currency}"


class MonthTotal(models.Model):
    """Kept totals: the posted postings of one month per account, fund, currency and category,
    in ten-thousandths (exact on both databases, see ``sums``). Added to in the same database
    transaction as every posting that is posted, or approved (``totals.add_postings``), so that
    balances and reports add up a few rows per month instead of every posting; rebuilt from the
    postings by ``totals.recompute`` (the upgrade to this release, the benchmark's bulk write)."""

    month = models.DateField()  # its first day
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    book = models.CharField(max_length=10, choices=Book.choices)
    category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fund", "currency", "category", "month"],
                name="ledger_month_total_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["book", "currency", "month", "category", "total"],
                name="ledger_month_total_book",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.account_id} {self.currency}"


class CaseMonthTotal(models.Model):
    """Kept totals of spending per case: posted disbursements for the case in one month and
    currency (their headline amounts, in ten-thousandths), less the posted reversals of such
    payments dated in that month, and the number of disbursements. Kept with the postings."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    month = models.DateField()
    spent = models.BigIntegerField(default=0)
    payments = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "currency", "month"], name="ledger_case_month_key"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.case_id} {self.currency}"


class Receipt(models.Model):
    """A receipt's file in the encrypted blob store. The uploaded file's name is not kept (it
    may name a person); it is offered for download as ``receipt-<id>``."""

    transaction = models.ForeignKey(Transaction, on_delete=models.CASCADE, related_name="receipts")
    blob = models.CharField(max_length=64)
    sha256 = ServerSealedTextField(max_length=64)  # a hash in the clear names a known file
    size = models.BigIntegerField()
    media_type = ServerSealedTextField(max_length=100)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self):
        return f"receipt-{self.pk}"


class Rate(models.Model):
    """A rate the treasurer entered: one unit of ``currency`` is worth ``rate`` of ``quote``.
    Only for showing totals in one currency; no rate is ever fetched from outside."""

    currency = models.CharField(_("currency"), max_length=3)
    quote = models.CharField(_("in currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=24, decimal_places=10)
    as_of = models.DateField(_("as of"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["currency", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "quote"], name="ledger_rate_pair")
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} {self.quote}"
