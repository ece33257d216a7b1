"""Corrections: a wrong note, risk event or status step is corrected or withdrawn, its earlier
version kept (``core.corrections``)."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, case_sides, check, visible
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core import corrections

from ..models import (
    Case,
    Note,
    RiskEvent,
    StatusChange,
)
from .case import _current_status, _follow_risk_event
from .common import (
    CaseAccessDenied,
    CaseError,
    NothingChanged,
    _touch,
    require_writable,
)

# --- Corrections: a wrong note, risk event or status step is corrected or withdrawn, its
# earlier version kept (``core.corrections``). Each is one transaction with its audit row,
# which names the record, the version and the fields, never the values or the reason.


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise CaseError(_("Say why: the reason is kept with the history."))
    return reason.strip()


def _standing(actor, model, record_):
    """The record as it is now, read again through the object rule (the same 404 for a
    missing one and one the actor may not read); refused once withdrawn."""
    found = (
        visible(actor, model.all_objects.select_related("case"), Perm.CASES_VIEW)
        .filter(pk=record_.pk)
        .first()
    )
    if found is None:
        raise CaseAccessDenied(record_.pk)
    if found.withdrawn_at is not None:
        raise CaseError(_("This entry was withdrawn: it can no longer be changed."))
    return found


def _note_to_change(actor, note: Note) -> Note:
    """A note is corrected or withdrawn by its author, or by a coordinator of its case."""
    note = _standing(actor, Note, note)
    if note.author_id != actor.pk and Side.MANAGE not in case_sides(actor, note.case):
        raise CaseError(_("Only the note's author or a coordinator can correct or withdraw it."))
    return note


def note_correct(*, actor, note: Note, text: str, legal: bool, reason: str) -> Note:
    """Correct a note's text or whether the lawyer reads it; the earlier note is kept,
    encrypted. A member without the care side keeps it marked for the lawyer."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        note = _note_to_change(actor, note)
        if Side.CARE not in case_sides(actor, note.case):
            legal = True
        new = {"text": text.strip(), "legal": bool(legal)}
        if not new["text"]:
            raise CaseError(_("A note cannot be empty. To take it back, withdraw it."))
        if not corrections.changes(note, new):
            raise NothingChanged(_("Nothing was changed: the note is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(note, new, reason=why, by=actor)
        _touch(note.case)
        record(
            Event.NOTE_CORRECTED,
            actor=actor,
            obj=note.case,
            data={"note": note.pk, "version": version.number, "fields": changed},
        )
    return note


def note_withdraw(*, actor, note: Note, reason: str) -> Note:
    """Take back a note (written on the wrong case, or wrong altogether): it leaves the case
    page, the search, counts and exports; its text stays, encrypted, in its history. A note
    meant for another case is written there again by the member: it is never moved."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        note = _note_to_change(actor, note)
        why = _reason(reason)
        version = corrections.withdraw(note, reason=why, by=actor)
        _touch(note.case)
        record(
            Event.NOTE_WITHDRAWN,
            actor=actor,
            obj=note.case,
            data={"note": note.pk, "version": version.number},
        )
    return note


def _restate(case: Case) -> None:
    """The case's current status and its "since" read again from the steps and risk events
    that stand (after one was corrected or withdrawn)."""
    case.status, case.status_since = _current_status(case)
    case.updated_at = timezone.now()
    case.save(update_fields=["status", "status_since", "updated_at"])


def risk_correct(
    *,
    actor,
    event: RiskEvent,
    kind: str,
    on: date,
    place: str = "",
    visits: str = "",
    outcome: str = "",
    reason: str,
) -> RiskEvent:
    """Correct a risk event (a wrong date, kind or place); the earlier version is kept. The
    status follows a corrected detention or release as it follows a recorded one."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        event = _standing(actor, RiskEvent, event)
        require_writable(actor, event.case, Side.LEGAL)
        new = {
            "kind": kind,
            "on": on,
            "place": place.strip(),
            "visits": visits.strip(),
            "outcome": outcome.strip(),
        }
        if not corrections.changes(event, new):
            raise NothingChanged(_("Nothing was changed: the risk event is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(event, new, reason=why, by=actor)
        record(
            Event.RISK_CORRECTED,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "version": version.number, "fields": changed},
        )
        _restate(event.case)
        _follow_risk_event(actor=actor, case=event.case, kind=event.kind, on=event.on)
    return event


def risk_withdraw(*, actor, event: RiskEvent, reason: str) -> RiskEvent:
    """Withdraw a risk event recorded by mistake: it leaves the case page, the dashboard, the
    case list's filters and exports, and stays in its history. The status's "since" is read
    again; a status step the event set stays until it is withdrawn in its turn."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        event = _standing(actor, RiskEvent, event)
        require_writable(actor, event.case, Side.LEGAL)
        why = _reason(reason)
        version = corrections.withdraw(event, reason=why, by=actor)
        record(
            Event.RISK_WITHDRAWN,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "version": version.number},
        )
        _restate(event.case)
    return event


def status_correct(
    *, actor, change: StatusChange, status: str, on: date, note: str = "", reason: str
) -> StatusChange:
    """Correct a step of the status timeline (a wrong status or day); the earlier version is
    kept and the case's current status read again from the steps."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        change = _standing(actor, StatusChange, change)
        require_writable(actor, change.case, Side.LEGAL)
        if on > timezone.localdate():
            raise CaseError(
                _("A status change cannot be in the future. Record it when it happens.")
            )
        new = {"status": status, "on": on, "note": note.strip()}
        if not corrections.changes(change, new):
            raise NothingChanged(_("Nothing was changed: the status step is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(change, new, reason=why, by=actor)
        _restate(change.case)
        record(
            Event.STATUS_CORRECTED,
            actor=actor,
            obj=change.case,
            data={
                "status_step": change.pk,
                "version": version.number,
                "fields": changed,
                "status": change.case.status,
            },
        )
    return change


def status_withdraw(*, actor, change: StatusChange, reason: str) -> StatusChange:
    """Withdraw a status set by mistake: the case's current status comes back from the steps
    that remain. The only remaining step cannot go (correct it instead)."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        change = _standing(actor, StatusChange, change)
        case = Case.objects.select_for_update().get(pk=change.case_id)
        require_writable(actor, case, Side.LEGAL)
        if not case.status_changes.exclude(pk=change.pk).exists():
            raise CaseError(
                _("This is the only step of the timeline: correct it instead of withdrawing it.")
            )
        why = _reason(reason)
        version = corrections.withdraw(change, reason=why, by=actor)
        _restate(case)
        record(
            Event.STATUS_WITHDRAWN,
            actor=actor,
            obj=case,
            data={"status_step": change.pk, "version": version.number, "status": case.status},
        )
    return change
