"""Events (incidents): recorded, corrected with the earlier version kept, withdrawn."""

from django.db import transaction
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.core import corrections

from .. import custody
from ..models import Event
from ..rules import EvidenceError, required


def event_record(*, actor, **fields) -> Event:
    policy.check(actor, Perm.EVIDENCE_EDIT)
    date_from, date_to = fields.get("date_from"), fields.get("date_to")
    if date_from and date_to and date_to < date_from:
        raise EvidenceError("the last day is before the first")
    with transaction.atomic():
        event = Event.objects.create(recorded_by=actor, **fields)
        record(AuditEvent.EVIDENCE_EVENT_RECORDED, actor=actor, obj=event)
    return event


def event_correct(*, actor, event: Event, reason: str, **fields) -> None:
    """Correct an event: the fields given change, the values they had are kept as a numbered
    version (encrypted whole), with who, when and why. Audited with the field names, never
    the values."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    reason = required(reason, _("Say why the event is corrected."))
    if event.is_withdrawn:
        raise EvidenceError(_("A withdrawn event cannot be corrected."))
    merged = {**corrections.snapshot(event), **fields}
    date_from, date_to = merged.get("date_from"), merged.get("date_to")
    if date_from and date_to and str(date_to) < str(date_from):
        raise EvidenceError(_("The last day is before the first."))
    if not corrections.changes(event, fields):
        raise EvidenceError(_("Nothing was changed."))
    with transaction.atomic():
        version, changed = corrections.correct(
            event, fields, reason=reason, by=custody.member(actor)
        )
        record(
            AuditEvent.EVIDENCE_EVENT_CORRECTED,
            actor=actor,
            obj=event,
            data={"version": version.number, "fields": changed},
        )


def event_withdraw(*, actor, event: Event, reason: str) -> None:
    """Withdraw an event recorded by mistake: it leaves the lists, the items' and testimonies'
    pages and every export; it stays, with its history, for those who document."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    reason = required(reason, _("Say why the event is withdrawn."))
    if event.is_withdrawn:
        raise EvidenceError(_("The event is withdrawn already."))
    with transaction.atomic():
        version = corrections.withdraw(event, reason=reason, by=custody.member(actor))
        record(
            AuditEvent.EVIDENCE_EVENT_WITHDRAWN,
            actor=actor,
            obj=event,
            data={"version": version.number},
        )
