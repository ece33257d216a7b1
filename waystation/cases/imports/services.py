"""Importing a group's list of people as cases: check it (``planning.people_plan``), then write
it (``cases_import``), all or nothing, or the good rows with the refused ones given back as a
file to fix and import again.

Who may: opening cases is a coordinator's work (``Perm.CASES_MANAGE``), and columns that name
the person go into the identity vault only for someone who holds the identity side of a new,
unassigned case — a coordinator, or the command line, run by whoever unsealed the instance.
Anyone else is refused whole, before anything is read into the database: a careful user would
rather hear "ask a coordinator" than find the names silently dropped or stored.
"""

from dataclasses import dataclass

from django.db import IntegrityError
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check
from waystation.core import spreadsheets as sheets

from ..services import CaseError
from .planning import identity_columns, may_fill_vault
from .schema import PEOPLE
from .writing import taken_codenames, write_people

ALL_OR_NOTHING, GOOD_ROWS = sheets.ALL_OR_NOTHING, sheets.GOOD_ROWS


@dataclass(frozen=True)
class Imported:
    cases: int
    identities: int
    rejected: int  # rows refused and, in GOOD_ROWS mode, left out


def cases_import(*, actor, plan: sheets.Plan, filename: str, mode: str = ALL_OR_NOTHING):
    """Write the plan's good rows as new cases. ``mode`` ALL_OR_NOTHING (the default) writes
    nothing while any row is refused; GOOD_ROWS writes the others, and the caller gives the
    refused ones back (``sheets.rejected_file(plan)``) to fix and import again. Raises
    Forbidden, CaseError or ``sheets.ImportRefused``; nothing is written then."""
    check(actor, Perm.CASES_MANAGE)
    named = identity_columns(plan)
    if named and not may_fill_vault(actor):
        raise CaseError(
            _(
                "The list has columns that name people (%(columns)s). Only a coordinator may "
                "put them into the identity vault: ask a coordinator to import it."
            )
            % {"columns": ", ".join(str(PEOPLE.field(name).label) for name in named)}
        )
    # Checked again now: a case may have taken one of the codenames since the preview.
    taken = taken_codenames({r.values["codename"] for r in plan.records if r.values["codename"]})
    plan.reject(
        {
            record.line: [
                _("a case with the codename %(codename)s exists already")
                % {"codename": record.values["codename"]}
            ]
            for record in plan.records
            if record.values["codename"] in taken
        }
    )
    plan.refuse_unless_importable(mode)
    try:
        written = write_people(
            actor=actor,
            people=[record.values for record in plan.records],
            rejected=len(plan.rejected),
            filename=filename,
        )
    except IntegrityError:  # a codename taken at this very moment elsewhere: nothing written
        raise CaseError(
            _("A codename of the list was taken meanwhile. Check the list again and import.")
        ) from None
    return Imported(written.cases, written.identities, len(plan.rejected))
