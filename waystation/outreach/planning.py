"""From a spreadsheet to a checked plan of the outreach log: read, columns guessed or chosen,
every row checked, then the checks against the database (``outreach_review``). Reads only;
``services.outreach_import`` writes what a plan holds."""

from django.utils.translation import gettext as _

from waystation.cases.models import Case
from waystation.core import spreadsheets as sheets
from waystation.core.bulk import chunks

from .spreadsheet.schema import SCHEMA


def outreach_plan(data: bytes, *, options=None, choice: dict | None = None):
    """A spreadsheet read, its columns guessed (or ``choice``: {field: column index}) and every
    row checked, with the checks against the database: what ``outreach_import`` writes."""
    table = sheets.read_table(data, SCHEMA, options or sheets.ReadOptions())
    if choice:
        mapping = sheets.mapping_from_choice(SCHEMA, table.headers, choice)
    else:
        mapping = sheets.guess_mapping(SCHEMA, table.headers)
    plan = sheets.check(table, SCHEMA, mapping)
    if not mapping.missing(SCHEMA):
        outreach_review(plan)
    return plan


def outreach_review(plan) -> None:
    """Rows naming a case by a codename this instance does not know are rejected, with their
    line, before anything is written (the dry run shows them)."""
    named = {values["case"] for _line, values in plan.records if values["case"]}
    if not named:
        return
    known = cases_named(named)
    plan.reject(
        {
            line: [_("no case has the codename “%(codename)s”") % {"codename": values["case"][:40]}]
            for line, values in plan.records
            if values["case"] and values["case"] not in known
        }
    )


def cases_named(codenames: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(codenames), 500):
        found.update(Case.objects.filter(codename__in=chunk).values_list("codename", "id"))
    return found
