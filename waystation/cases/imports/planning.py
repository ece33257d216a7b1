"""A list of people checked before anything is written: every row's cells (the engine), then
against the cases there are (``review``); and what the pages say of the columns that name
people. Reads only: ``services.cases_import`` writes."""

from django.utils.translation import gettext as _

from waystation.accounts.policy import Side, case_sides
from waystation.core import spreadsheets as sheets

from ..models import Case
from .schema import IDENTITY_NAMES, PEOPLE
from .writing import taken_codenames


def may_fill_vault(actor) -> bool:
    """Whether ``actor`` holds the identity side of a case no one is assigned to yet: a
    coordinator, or the command line's actor given that side."""
    return Side.IDENTITY in case_sides(actor, Case())


def identity_columns(plan_or_mapping) -> list[str]:
    """The schema fields mapped to a column that name the person, in the schema's order."""
    mapping = getattr(plan_or_mapping, "mapping", plan_or_mapping)
    return [name for name in mapping.columns if name in IDENTITY_NAMES]


def people_plan(table: sheets.Table, mapping: sheets.Mapping) -> sheets.Plan:
    """Every row checked: its cells, then against the cases there are (``review``)."""
    plan = sheets.check(table, PEOPLE, mapping)
    review(plan)
    return plan


def review(plan: sheets.Plan) -> None:
    """Refuse the rows whose codename repeats in the file or belongs to a case already (the
    dry run and the preview show them with their reasons)."""
    first: dict[str, int] = {}
    problems: dict[int, list[str]] = {}
    for record in plan.records:
        name = record.values.get("codename")
        if not name:
            continue
        if name in first:
            problems[record.line] = [
                _("the codename %(codename)s is on line %(line)d too")
                % {"codename": name, "line": first[name]}
            ]
        else:
            first[name] = record.line
    for name in taken_codenames(set(first)):
        problems.setdefault(first[name], []).append(
            _("a case with the codename %(codename)s exists already") % {"codename": name}
        )
    plan.reject(problems)
