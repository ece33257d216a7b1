"""Cases through the API: the case list with the page's filters and search, a case by the
sides the member holds, opening a case, and its status steps, tasks, notes and risk events.
The same selectors and services as the case pages (waystation/cases)."""

from datetime import date, datetime
from typing import Literal

from django.http import Http404
from ninja import Field, Query, Router, Schema

from waystation.accounts.policy import Perm, Side, can, get_for, may_hold_side
from waystation.cases import services
from waystation.cases.models import RiskKind, Status, Task
from waystation.cases.selectors import CaseFilters, case_detail, case_for, cases_for

from .auth import scoped
from .schemas import MAX_ID, PageInfo, an_id, paged

router = Router(tags=["cases"])
URGENCY = "1 stable, 2 watch, 3 urgent, 4 in danger now"


class CaseRow(Schema):
    id: int
    codename: str
    status: Status
    status_since: date
    urgency: int = Field(..., ge=1, le=4, description=URGENCY)
    city: str
    tags: list[str]
    caseworker: str | None
    lawyer: str | None
    has_open_needs: bool | None = None
    has_overdue_tasks: bool | None = None
    next_pressing: date | None = None
    updated_at: datetime


class CasePage(Schema):
    paging: PageInfo
    results: list[CaseRow]


class StatusStep(Schema):
    id: int
    status: Status
    on: date
    note: str


class RiskOut(Schema):
    id: int
    kind: RiskKind
    on: date
    place: str
    visits: str
    outcome: str


class TaskOut(Schema):
    id: int
    title: str
    due_on: date | None
    assignee: str | None
    done: bool


class NoteOut(Schema):
    id: int
    text: str
    legal: bool
    author: str | None
    created_at: datetime


class CaseOut(CaseRow):
    languages: str
    summary: str
    sides: list[Side]
    timeline: list[StatusStep] | None = None
    risks: list[RiskOut] | None = None
    tasks: list[TaskOut] | None = None
    notes: list[NoteOut]


class CaseIn(Schema):
    codename: str | None = Field(None, max_length=40)
    status: Status = Status.IN_TRANSIT
    urgency: int | None = Field(None, ge=1, le=4, description=URGENCY)
    languages: str = Field("", max_length=200)
    city: str = Field("", max_length=120)
    summary: str = Field("", max_length=5000)


class StatusIn(Schema):
    status: Status
    on: date
    note: str = Field("", max_length=300)


class RiskIn(Schema):
    kind: RiskKind
    on: date
    place: str = Field("", max_length=200)
    visits: str = Field("", max_length=5000)
    outcome: str = Field("", max_length=300)


class TaskIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    due_on: date | None = None


class NoteIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000)
    legal: bool = False


class CaseQuery(Schema):
    status: Status | None = None
    urgency: int | None = Field(None, ge=1, le=4, description=URGENCY)
    risk: RiskKind | None = None
    assignee: int | None = Field(
        None, ge=0, le=MAX_ID, description="A member's id (coordinators only)"
    )
    unassigned: bool = False
    needs_open: bool = False
    tasks_overdue: bool = False
    mine: bool = False
    q: str = Field("", max_length=200, description="Search words, as on the case list")
    sort: Literal["urgency", "updated", "codename", "status"] = "urgency"
    page: int = Field(1, ge=1, le=1_000_000)


def _name(user) -> str | None:
    return user.username if user is not None else None


def _row(case) -> dict:
    return {
        "id": case.pk,
        "codename": case.codename,
        "status": case.status,
        "status_since": case.status_since,
        "urgency": case.urgency,
        "city": case.city,
        "tags": [tag.name for tag in case.tags.all()],
        "caseworker": _name(case.caseworker),
        "lawyer": _name(case.lawyer),
        "has_open_needs": getattr(case, "has_open_needs", None),
        "has_overdue_tasks": getattr(case, "has_overdue_tasks", None),
        "next_pressing": getattr(case, "next_pressing", None),
        "updated_at": case.updated_at,
    }


def _note(note) -> dict:
    return {
        "id": note.pk,
        "text": note.text,
        "legal": note.legal,
        "author": _name(note.author),
        "created_at": note.created_at,
    }


def _task(task) -> dict:
    return {
        "id": task.pk,
        "title": task.title,
        "due_on": task.due_on,
        "assignee": _name(task.assignee),
        "done": task.done_at is not None,
    }


def _risk(event) -> dict:
    return {f: getattr(event, f) for f in ("id", "kind", "on", "place", "visits", "outcome")}


def _step(step) -> dict:
    return {"id": step.pk, "status": step.status, "on": step.on, "note": step.note}


@router.get("/", response=CasePage, summary="The case list, filtered, searched and paged")
@scoped(Perm.CASES_VIEW)
def case_list(request, filters: Query[CaseQuery]):
    manager = can(request.user, Perm.CASES_MANAGE)
    chosen = CaseFilters(
        status=filters.status or "",
        urgency=filters.urgency,
        risk=filters.risk or "",
        assignee=filters.assignee if manager else None,
        unassigned=filters.unassigned and manager,
        needs_open=filters.needs_open and may_hold_side(request.user, Side.CARE),
        tasks_overdue=filters.tasks_overdue,
        mine=filters.mine,
        query=filters.q,
        sort=filters.sort,
    )
    return paged(cases_for(request.user, chosen), filters.page, _row)


@router.post("/", response={201: CaseOut}, summary="Open a case")
@scoped(Perm.CASES_MANAGE)
def case_create(request, body: CaseIn):
    case = services.case_create(actor=request.user, **body.dict())
    return 201, _detail(request.user, case_for(request.user, case.pk))


def _detail(viewer, case) -> dict:
    detail = case_detail(viewer, case)
    out = _row(case) | {
        "languages": case.languages,
        "summary": case.summary,
        "sides": sorted(detail["sides"]),
        "notes": [_note(n) for n in detail["notes"]],
    }
    if "timeline" in detail:
        out["timeline"] = [_step(s) for s in detail["timeline"]]
        out["risks"] = [_risk(r) for r in detail["risks"]]
        out["tasks"] = [_task(t) for t in detail["tasks"]]
    return out


@router.get("/{int:pk}/", response=CaseOut, summary="One case, by the sides the member holds")
@scoped(Perm.CASES_VIEW)
def case_get(request, pk: int = an_id()):
    return _detail(request.user, case_for(request.user, pk))


def _legal(request, pk: int):
    case = case_for(request.user, pk)
    detail = case_detail(request.user, case)
    if "timeline" not in detail:
        raise Http404
    return case, detail


@router.post("/{int:pk}/status/", response={201: StatusStep}, summary="Record a status step")
@scoped(Perm.CASES_VIEW)
def case_status(request, body: StatusIn, pk: int = an_id()):
    step = services.status_record(
        actor=request.user, case=case_for(request.user, pk), **body.dict()
    )
    return 201, _step(step)


@router.get("/{int:pk}/risks/", response=list[RiskOut], summary="A case's risk events")
@scoped(Perm.CASES_VIEW)
def case_risks(request, pk: int = an_id()):
    _case, detail = _legal(request, pk)
    return [_risk(r) for r in detail["risks"]]


@router.post("/{int:pk}/risks/", response={201: RiskOut}, summary="Record a risk event")
@scoped(Perm.CASES_VIEW)
def case_risk_add(request, body: RiskIn, pk: int = an_id()):
    event = services.risk_record(actor=request.user, case=case_for(request.user, pk), **body.dict())
    return 201, _risk(event)


@router.get("/{int:pk}/tasks/", response=list[TaskOut], summary="A case's tasks")
@scoped(Perm.CASES_VIEW)
def case_tasks(request, pk: int = an_id()):
    _case, detail = _legal(request, pk)
    return [_task(t) for t in detail["tasks"]]


@router.post("/{int:pk}/tasks/", response={201: TaskOut}, summary="Add a task")
@scoped(Perm.CASES_VIEW)
def case_task_add(request, body: TaskIn, pk: int = an_id()):
    task = services.task_add(actor=request.user, case=case_for(request.user, pk), **body.dict())
    return 201, _task(task)


@router.post("/tasks/{int:pk}/done/", response=TaskOut, summary="Mark a task done")
@scoped(Perm.CASES_VIEW)
def case_task_done(request, pk: int = an_id()):
    task = get_for(request.user, Task.objects.select_related("case"), pk, Perm.CASES_VIEW)
    return _task(services.task_mark_done(actor=request.user, task=task))


@router.get("/{int:pk}/notes/", response=list[NoteOut], summary="The notes the member may read")
@scoped(Perm.CASES_VIEW)
def case_notes(request, pk: int = an_id()):
    detail = case_detail(request.user, case_for(request.user, pk))
    return [_note(n) for n in detail["notes"]]


@router.post("/{int:pk}/notes/", response={201: NoteOut}, summary="Write a note")
@scoped(Perm.CASES_VIEW)
def case_note_add(request, body: NoteIn, pk: int = an_id()):
    note = services.note_add(actor=request.user, case=case_for(request.user, pk), **body.dict())
    return 201, _note(note)
