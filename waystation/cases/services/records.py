"""What a case gathers: family, documents, needs, services given, tasks and notes."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, case_sides, check

from ..models import (
    Case,
    Document,
    FamilyMember,
    Need,
    Note,
    Service,
    Task,
)
from .common import (
    CaseError,
    _touch,
    require_writable,
)


def family_add(
    *, actor, case: Case, relation: str, age=None, with_them=True, note=""
) -> FamilyMember:
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.CARE)
    with transaction.atomic():
        member = FamilyMember.objects.create(
            case=case, relation=relation.strip(), age=age, with_them=with_them, note=note.strip()
        )
        _touch(case)
    return member


def document_record(*, actor, case: Case, kind: str, state: str, note: str = "") -> Document:
    """One row per kind of document: recording a kind again updates its state."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.LEGAL)
    with transaction.atomic():
        document, _created = Document.objects.update_or_create(
            case=case, kind=kind, defaults={"state": state, "note": note.strip()}
        )
        _touch(case)
    return document


def need_add(*, actor, case: Case, kind: str, note: str = "", noted_on: date | None = None) -> Need:
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.CARE)
    with transaction.atomic():
        need = Need.objects.create(
            case=case, kind=kind, note=note.strip(), noted_on=noted_on or timezone.localdate()
        )
        _touch(case)
    return need


def need_mark_met(*, actor, need: Need) -> Need:
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, need.case, Side.CARE)
    with transaction.atomic():
        need.met_on = timezone.localdate()
        need.save(update_fields=["met_on"])
        _touch(need.case)
    return need


def service_record(
    *, actor, case: Case, kind: str, delivered_on: date, delivered_by=None, note: str = ""
) -> Service:
    """Help given. It also meets the open need of the same kind, if there is one."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.CARE)
    if delivered_on > timezone.localdate():
        raise CaseError(_("Help not given yet is a task, not a service. Add a task instead."))
    with transaction.atomic():
        service = Service.objects.create(
            case=case,
            kind=kind,
            delivered_on=delivered_on,
            delivered_by=delivered_by or actor,
            note=note.strip(),
        )
        case.needs.filter(kind=kind, met_on__isnull=True).update(met_on=delivered_on)
        _touch(case)
    return service


def task_add(*, actor, case: Case, title: str, due_on: date | None = None, assignee=None) -> Task:
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.LEGAL)
    if assignee is not None and not case_sides(assignee, case):
        raise CaseError(
            _("%(name)s cannot open this case. Assign the task to someone who works on it.")
            % {"name": assignee}
        )
    with transaction.atomic():
        task = Task.objects.create(
            case=case, title=title.strip(), due_on=due_on, assignee=assignee, created_by=actor
        )
        _touch(case)
    return task


def task_mark_done(*, actor, task: Task) -> Task:
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, task.case, Side.LEGAL)
    with transaction.atomic():
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        _touch(task.case)
    return task


def note_add(*, actor, case: Case, text: str, legal: bool = False) -> Note:
    """Care-side members write any note; a lawyer's notes are always on the legal side."""
    check(actor, Perm.CASES_VIEW)
    sides = case_sides(actor, case)
    if Side.CARE not in sides:
        legal = True
    require_writable(actor, case, Side.LEGAL if legal and Side.CARE not in sides else Side.CARE)
    with transaction.atomic():
        note = Note.objects.create(case=case, text=text.strip(), legal=legal, author=actor)
        _touch(case)
    return note
