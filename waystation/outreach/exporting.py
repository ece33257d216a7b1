"""The directory and the log written out as one sheet, one approach a row, in the columns the
import reads back."""

from django.db.models import Prefetch

from waystation.core.spreadsheets import month_year

from .models import Approach, Response

HEADERS = [
    "Date",
    "Organisation",
    "Contact person",
    "Channel",
    "Response",
    "Response date",
    "Comment",
    "Subject",
    "Kind",
    "Country",
    "City",
    "Response kind",
    "Case",
]


def export_rows(approaches) -> list[list]:
    """Rows for ``write_table``; each approach with its latest response."""
    latest = Response.objects.order_by("-date", "-pk")
    rows = []
    for approach in (
        approaches.select_related("organisation", "contact", "case")
        .prefetch_related(Prefetch("responses", queryset=latest))
        .order_by("date", "pk")
    ):
        response = next(iter(approach.responses.all()), None)
        organisation = approach.organisation
        rows.append(
            [
                approach.date if approach.day_known else month_year(approach.date),
                organisation.name,
                approach.contact.name if approach.contact else "",
                approach.channel,
                response.text if response else "",
                response.date if response and response.date else "",
                approach.summary,
                approach.subject,
                organisation.kind,
                organisation.country.code or "",
                organisation.city,
                response.kind if response else "none",
                approach.case.codename if approach.case else "",
            ]
        )
    return rows


def all_approaches():
    return Approach.objects.all()
