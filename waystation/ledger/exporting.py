"""The journal written out as one sheet, one posting a row, for the period asked. Cases appear
by codename only; donors by kind only (never a donor's name); every text cell goes through the
core spreadsheet writer's formula-injection guard."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waystation.accounts.policy import Perm, visible

from .models import Book, Category, Kind, Posting, State
from .money import quantum

HEADERS = [
    _("Date"),
    _("Transaction"),
    _("Kind"),
    _("State"),
    _("Fund"),
    pgettext_lazy("money", "Account"),
    _("Book"),
    _("Category"),
    _("Case"),
    _("Donor"),
    _("Currency"),
    _("Amount"),
    _("Note"),
]


def export_rows(viewer, *, since=None, until=None) -> list[list]:
    postings = visible(viewer, Posting.objects.all(), Perm.LEDGER_VIEW)
    if since:
        postings = postings.filter(date__gte=since)
    if until:
        postings = postings.filter(date__lte=until)
    kinds, states = dict(Kind.choices), dict(State.choices)
    books, categories = dict(Book.choices), dict(Category.choices)
    rows = []
    fields = (
        "date",
        "transaction_id",
        "transaction__kind",
        "transaction__state",
        "fund__name",
        "account__name",
        "account__currency",
        "book",
        "category",
        "transaction__case__codename",
        "transaction__donor__kind",
        "currency",
        "amount",
        "transaction__memo",
    )
    for (
        day,
        number,
        kind,
        state,
        fund,
        account,
        account_currency,
        book,
        category,
        codename,
        donor_kind,
        currency,
        amount,
        memo,
    ) in postings.order_by("date", "transaction_id", "pk").values_list(*fields).iterator(2000):
        rows.append(
            [
                day,
                number,
                str(kinds.get(kind, kind)),
                str(states.get(state, state)),
                fund,
                f"{account} ({account_currency})" if book == Book.HOLDING else str(books[book]),
                str(books.get(book, book)),
                str(categories.get(category, "")),
                codename or "",
                donor_kind or "",
                currency,
                amount.quantize(quantum(currency)),
                memo,
            ]
        )
    return rows
