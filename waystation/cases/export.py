"""One case as a file: JSON for another system, a printable page for paper or PDF. Identity
goes in only when the exporter holds the identity side and gives a reason; every export is
audited, and one with identity says so in its audit row."""

from django.db import transaction
from django.utils import timezone

from waystation.accounts.policy import Side
from waystation.audit.events import Event
from waystation.audit.services import record

from .models import Case, Identity
from .selectors import case_detail
from .services import CaseError, RevealReason, require_side

FORMATS = ("json", "html")


def _user(user) -> str | None:
    return str(user) if user is not None else None


def case_export(*, actor, case: Case, fmt: str, identity_reason: str = "") -> dict:
    """The case as plain data (dates as ISO text), and the audit row for it."""
    require_side(actor, case, Side.LEGAL)
    if fmt not in FORMATS:
        raise CaseError(f"unknown export format {fmt!r}")
    with_identity = bool(identity_reason)
    if with_identity:
        require_side(actor, case, Side.IDENTITY)
        if identity_reason not in RevealReason.CODES:
            raise CaseError("unknown reason")
    with transaction.atomic():
        record(
            Event.CASE_EXPORTED,
            actor=actor,
            obj=case,
            data={"format": fmt, "identity": with_identity, "reason": identity_reason or None},
        )
        data = _case_data(actor, case)
        if with_identity:
            identity, _created = Identity.objects.get_or_create(case=case)
            data["identity"] = {name: getattr(identity, name) for name in Identity.FIELDS}
    return data


def _case_data(actor, case: Case) -> dict:
    detail = case_detail(actor, case)
    data = {
        "codename": case.codename,
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "status": case.status,
        "status_label": case.get_status_display(),
        "status_since": case.status_since.isoformat(),
        "urgency": case.get_urgency_display(),
        "languages": case.languages,
        "city": case.city,
        "tags": [tag.name for tag in detail["tags"]],
        "caseworker": _user(case.caseworker),
        "lawyer": _user(case.lawyer),
        "timeline": [
            {
                "status": step.status,
                "label": step.get_status_display(),
                "on": step.on.isoformat(),
                "note": step.note,
            }
            for step in detail.get("timeline", [])
        ],
        "risk_events": [
            {
                "kind": event.kind,
                "label": event.get_kind_display(),
                "on": event.on.isoformat(),
                "place": event.place,
                "visits": event.visits,
                "outcome": event.outcome,
            }
            for event in detail.get("risks", [])
        ],
        "documents": [
            {"kind": doc.get_kind_display(), "state": doc.get_state_display(), "note": doc.note}
            for doc in detail.get("documents", [])
        ],
        "tasks": [
            {
                "title": task.title,
                "due_on": task.due_on.isoformat() if task.due_on else None,
                "assignee": _user(task.assignee),
                "done": task.done_at is not None,
            }
            for task in detail.get("tasks", [])
        ],
        "notes": [
            {
                "at": note.created_at.isoformat(timespec="minutes"),
                "author": _user(note.author),
                "text": note.text,
            }
            for note in detail["notes"]
        ],
    }
    if Side.CARE in detail["sides"]:
        data["summary"] = case.summary
        data["family"] = [
            {
                "relation": member.relation,
                "age": member.age,
                "with_them": member.with_them,
                "note": member.note,
            }
            for member in detail["family"]
        ]
        data["needs"] = [
            {
                "kind": need.get_kind_display(),
                "noted_on": need.noted_on.isoformat(),
                "met_on": need.met_on.isoformat() if need.met_on else None,
                "note": need.note,
            }
            for need in detail["needs"]
        ]
        data["services"] = [
            {
                "kind": service.get_kind_display(),
                "on": service.delivered_on.isoformat(),
                "by": _user(service.delivered_by),
                "note": service.note,
            }
            for service in detail["services"]
        ]
    return data
