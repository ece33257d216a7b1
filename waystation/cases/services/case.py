"""Opening, changing and assigning a case; its status steps and risk events, which move each
other."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, check, member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core import corrections

from ..models import (
    Case,
    Identity,
    RiskEvent,
    RiskKind,
    Status,
    StatusChange,
)
from .common import (
    CaseError,
    NothingChanged,
    _check_assignees,
    _set_tags,
    _touch,
    _unique_codename,
    require_writable,
)


def case_create(
    *,
    actor,
    codename: str | None = None,
    status: str = Status.IN_TRANSIT,
    urgency: int | None = None,
    languages: str = "",
    city: str = "",
    summary: str = "",
    tags=(),
    caseworker=None,
    lawyer=None,
) -> Case:
    check(actor, Perm.CASES_MANAGE)
    _check_assignees(caseworker, lawyer)
    today = timezone.localdate()
    with transaction.atomic():
        fields = {"urgency": urgency} if urgency else {}
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    codename=_unique_codename(codename),
                    status=status,
                    status_since=today,
                    languages=languages.strip(),
                    city=city.strip(),
                    summary=summary.strip(),
                    caseworker=caseworker,
                    lawyer=lawyer,
                    **fields,
                )
        except IntegrityError:  # the same codename chosen at the same moment elsewhere
            raise CaseError(
                _("This codename is taken. Choose another or leave it empty.")
            ) from None
        _set_tags(case, tags)
        StatusChange.objects.create(
            case=case, status=status, on=today, recorded_by=member(actor)
        )
        Identity.objects.create(case=case)
        record(
            Event.CASE_CREATED,
            actor=actor,
            obj=case,
            data={
                "caseworker": getattr(caseworker, "pk", None),
                "lawyer": getattr(lawyer, "pk", None),
            },
        )
    return case


def case_update(
    *, actor, case: Case, urgency: int, languages: str, city: str, summary: str, tags=()
) -> Case:
    check(actor, Perm.CASES_MANAGE)
    require_writable(actor, case, Side.MANAGE)
    with transaction.atomic():
        before = {
            "urgency": case.urgency,
            "languages": case.languages,
            "city": case.city,
            "summary": case.summary,
        }
        # The details as they were, kept (encrypted) for a coordinator: core.corrections.
        new = {"urgency": urgency, "languages": languages.strip(), "city": city.strip()}
        new["summary"] = summary.strip()
        kept = corrections.keep(case, by=actor) if corrections.changes(case, new) else None
        case.urgency = urgency
        case.languages = languages.strip()
        case.city = city.strip()
        case.summary = summary.strip()
        case.updated_at = timezone.now()
        case.save()
        _set_tags(case, tags)
        changed = sorted(name for name, value in before.items() if getattr(case, name) != value)
        data = {"fields": changed, **({"version": kept.number} if kept else {})}
        record(Event.CASE_UPDATED, actor=actor, obj=case, data=data)
    return case


def case_assign(*, actor, case: Case, caseworker, lawyer) -> Case:
    check(actor, Perm.CASES_MANAGE)
    require_writable(actor, case, Side.MANAGE)
    _check_assignees(caseworker, lawyer)
    if (case.caseworker_id, case.lawyer_id) == (
        getattr(caseworker, "pk", None),
        getattr(lawyer, "pk", None),
    ):
        raise NothingChanged(_("Nothing was changed: the case is assigned as it was."))
    with transaction.atomic():
        case.caseworker, case.lawyer = caseworker, lawyer
        case.updated_at = timezone.now()
        case.save(update_fields=["caseworker", "lawyer", "updated_at"])
        record(
            Event.CASE_ASSIGNED,
            actor=actor,
            obj=case,
            data={
                "caseworker": getattr(caseworker, "pk", None),
                "lawyer": getattr(lawyer, "pk", None),
            },
        )
    return case


def case_mark_transferred(*, actor, case: Case, partner: str) -> Case:
    """A partner accepted the case's transfer: from now on the case is kept read-only here
    (``require_writable``). Called inside the transaction that records the partner's answer (its
    audit row says which package and which answer), after the closing status step."""
    check(actor, Perm.PARTNERS_MANAGE)
    require_writable(actor, case, Side.LEGAL)  # the side of the closing status step
    case.transferred_to = partner[:100]
    case.transferred_at = timezone.now()
    case.updated_at = case.transferred_at
    case.save(update_fields=["transferred_to", "transferred_at", "updated_at"])
    return case


def status_record(*, actor, case: Case, status: str, on: date, note: str = "") -> StatusChange:
    """Add a step to the timeline. The case's current status is the newest step by date, so a
    step recorded late for an earlier day lands in its place without changing the present."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.LEGAL)
    if on > timezone.localdate():
        raise CaseError(_("A status change cannot be in the future. Record it when it happens."))
    with transaction.atomic():
        return _add_status_step(actor=actor, case=case, status=status, on=on, note=note)


def _add_status_step(*, actor, case: Case, status: str, on: date, note: str = "") -> StatusChange:
    change = StatusChange.objects.create(
        case=case, status=status, on=on, note=note.strip(), recorded_by=member(actor)
    )
    case.status, case.status_since = _current_status(case)
    case.updated_at = timezone.now()
    case.save(update_fields=["status", "status_since", "updated_at"])
    record(Event.CASE_STATUS_CHANGED, actor=actor, obj=case, data={"status": status})
    return change


def _current_status(case: Case) -> tuple[str, date]:
    """The newest step's status, since the first of the steps in a row that share it; for a
    detention, since the detention began when its risk event says so: the status "detained"
    set on 6 December for a detention recorded on 2 December reads "since 2 December"."""
    steps = case.status_changes.order_by("-on", "-pk").values_list("status", "on")
    status, since = None, None
    for step_status, on in steps.iterator():
        if status is None:
            status = step_status
        elif step_status != status:
            break
        since = on
    began = _began(case, status)
    if began is not None and began < since:
        since = began
    return status, since


# The risk events behind a status: the timeline follows them (``_follow_risk_event``).
_STATUS_OF_RISK = {
    RiskKind.DETENTION.value: Status.DETAINED,
    RiskKind.RELEASE.value: Status.RELEASED,
}  # keyed by the plain codes: an enum member hashes by its name, not its value
_RISK_OF_STATUS = {status: kind for kind, status in _STATUS_OF_RISK.items()}


def _began(case: Case, status: str) -> date | None:
    """For "detained" or "released": the day of the latest such risk event, if nothing of the
    other kind came after it."""
    kind = _RISK_OF_STATUS.get(status)
    if kind is None:
        return None
    other = RiskKind.RELEASE if kind == RiskKind.DETENTION else RiskKind.DETENTION
    latest = (
        case.risk_events.filter(kind=kind, on__lte=timezone.localdate())
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )
    ended = latest is not None and (
        case.risk_events.filter(kind=other, on__gte=latest).exists()
        if kind == RiskKind.DETENTION
        else case.risk_events.filter(kind=other, on__gt=latest).exists()
    )
    return None if latest is None or ended else latest


# Statuses that end a detention: a detention recorded before one of them is history.
_AFTER_DETENTION = (Status.RELEASED, Status.RELOCATED, Status.EXTRADITED, Status.CLOSED)
# ...and those that come after a release.
_AFTER_RELEASE = (Status.RELOCATED, Status.EXTRADITED, Status.CLOSED)


def _superseded(case: Case, kind: str, on: date) -> bool:
    """Whether something recorded after a detention or a release on ``on`` already says where
    the person is now."""
    if kind == RiskKind.DETENTION:
        return (
            case.status_changes.filter(on__gt=on, status__in=_AFTER_DETENTION).exists()
            or case.risk_events.filter(kind=RiskKind.RELEASE, on__gte=on).exists()
        )
    return (
        case.status_changes.filter(on__gt=on, status__in=_AFTER_RELEASE).exists()
        or case.risk_events.filter(kind=RiskKind.DETENTION, on__gt=on).exists()
    )


def _follow_risk_event(*, actor, case: Case, kind: str, on: date) -> None:
    """Put a detention or a release on the status timeline. One that nothing recorded after it
    supersedes becomes the current status, even when the case was opened or its status last
    set after it ("in transit" on the day the case was opened): its step then stands on that
    newest day, and the status reads "since" the event's own day (``_current_status``). One
    already superseded is a step on its own day, history."""
    status = _STATUS_OF_RISK.get(str(kind))
    if status is None or on > timezone.localdate():
        return
    if _superseded(case, kind, on):
        if not case.status_changes.filter(status=status, on=on).exists():
            _add_status_step(actor=actor, case=case, status=status, on=on)
        return
    if case.status == status:
        case.status, case.status_since = _current_status(case)
        case.save(update_fields=["status", "status_since"])
        return
    newest = case.status_changes.order_by("-on").values_list("on", flat=True).first()
    _add_status_step(actor=actor, case=case, status=status, on=max(on, newest) if newest else on)


def risk_record(
    *, actor, case: Case, kind: str, on: date, place: str = "", visits: str = "", outcome: str = ""
) -> RiskEvent:
    """A dated risk event. A detention or a release also changes the status timeline
    (``_follow_risk_event``): the dashboard and the case read "detained since" the detention,
    not since the day it was typed in."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, case, Side.LEGAL)
    with transaction.atomic():
        event = RiskEvent.objects.create(
            case=case,
            kind=kind,
            on=on,
            place=place.strip(),
            visits=visits.strip(),
            outcome=outcome.strip(),
            recorded_by=member(actor),
        )
        _touch(case)
        record(Event.RISK_RECORDED, actor=actor, obj=case, data={"kind": kind, "risk": event.pk})
        _follow_risk_event(actor=actor, case=case, kind=kind, on=on)
    return event


def risk_update_outcome(*, actor, event: RiskEvent, outcome: str, visits: str) -> RiskEvent:
    """A hearing's outcome, or what is known of visits to a detention, added later: audited
    (which fields, never their text)."""
    check(actor, Perm.CASES_VIEW)
    require_writable(actor, event.case, Side.LEGAL)
    with transaction.atomic():
        before = (event.outcome, event.visits)
        event.outcome, event.visits = outcome.strip(), visits.strip()
        event.save(update_fields=["outcome", "visits"])
        _touch(event.case)
        after = (event.outcome, event.visits)
        fields = ("outcome", "visits")
        changed = [name for name, b, a in zip(fields, before, after, strict=True) if b != a]
        record(
            Event.RISK_OUTCOME_RECORDED,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "kind": event.kind, "fields": changed},
        )
    return event
