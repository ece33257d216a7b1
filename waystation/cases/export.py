"""One case as plain data, for the per-case export (JSON for another system, a printable
page). Notes, risk events and status steps go as they stand, each saying whether it was
``corrected``; withdrawn ones are left out (``core.corrections``).

The export itself — the exit gate, the evidence that may go with it, the audit row —
is made in ``evidence.export.case``: the gate lives above this layer. Identity goes in only
when the exporter holds the identity side and gives a reason."""

from django.utils import timezone

from waystation.accounts.policy import Side

from .models import Case, Identity
from .selectors import case_detail
from .services import CaseError, RevealReason, require_side

FORMATS = ("json", "html")


def _user(user) -> str | None:
    return str(user) if user is not None else None


def case_export_check(*, actor, case: Case, fmt: str, identity_reason: str = "") -> None:
    """Refuses (``CaseAccessDenied``, ``CaseError``) what the actor may not export."""
    require_side(actor, case, Side.LEGAL)
    if fmt not in FORMATS:
        raise CaseError(f"unknown export format {fmt!r}")
    if identity_reason:
        require_side(actor, case, Side.IDENTITY)
        if identity_reason not in RevealReason.CODES:
            raise CaseError("unknown reason")


def case_export_data(*, actor, case: Case, identity_reason: str = "") -> dict:
    """The case as plain data (dates as ISO text), the identity with a reason. Only for the
    export in ``evidence.export.case``, which checks and records it in its transaction."""
    case_export_check(actor=actor, case=case, fmt="json", identity_reason=identity_reason)
    data = _case_data(actor, case)
    if identity_reason:
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
                "corrected": step.corrected_at is not None,
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
                "corrected": event.corrected_at is not None,
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
                "corrected": note.corrected_at is not None,
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
