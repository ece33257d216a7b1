"""Testimonies: recorded, read, their consent, corrections as addenda, linked events."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record

from .. import custody
from ..models import Event, Testimony, TestimonyAddendum, TestimonyEvent
from ..rules import EvidenceError, clean_scope, refuse_if_transferred, required


def testimony_record(
    *,
    actor,
    case,
    statement: str,
    language: str,
    interviewer=None,
    interviewed_on: date | None = None,
    interpreter: str = "",
    consent_scope=(),
    consent_body: str = "",
    events=(),
) -> Testimony:
    """``events``: (event, witness role) pairs."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    refuse_if_transferred(case)  # a case transferred to a partner takes nothing more
    if not statement.strip():
        raise EvidenceError("the statement is empty")
    scope, body = clean_scope(consent_scope, consent_body)
    with transaction.atomic():
        testimony = Testimony.objects.create(
            case=case,
            statement=statement.strip(),
            language=language.strip(),
            interviewer=interviewer or actor,
            interviewed_on=interviewed_on or timezone.localdate(),
            interpreter=interpreter.strip(),
            consent_scope=scope,
            consent_body=body,
            consent_recorded_on=timezone.localdate() if scope else None,
            recorded_by=actor,
        )
        TestimonyEvent.objects.bulk_create(
            [TestimonyEvent(testimony=testimony, event=e, role=role) for e, role in events]
        )
        record(AuditEvent.TESTIMONY_RECORDED, actor=actor, obj=testimony, data={"case": case.pk})
    return testimony


def testimony_read(*, actor, testimony: Testimony) -> None:
    policy.check(actor, Perm.EVIDENCE_VIEW)
    with transaction.atomic():
        record(AuditEvent.TESTIMONY_READ, actor=actor, obj=testimony)


def testimony_consent_update(
    *, actor, testimony: Testimony, scope, body: str = "", withdraw: bool = False
) -> None:
    """Change what the witness consents to; withdrawing keeps the scope on record but allows
    nothing any more."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    scope, body = clean_scope(scope, body)
    with transaction.atomic():
        testimony.consent_scope, testimony.consent_body = scope, body
        testimony.consent_recorded_on = timezone.localdate()
        testimony.consent_withdrawn_on = timezone.localdate() if withdraw else None
        testimony.save(
            update_fields=[
                "consent_scope",
                "consent_body",
                "consent_recorded_on",
                "consent_withdrawn_on",
            ]
        )
        record(
            AuditEvent.TESTIMONY_CONSENT_CHANGED,
            actor=actor,
            obj=testimony,
            data={"scope": scope, "withdrawn": withdraw},
        )


def testimony_add_correction(
    *, actor, testimony: Testimony, text: str, reason: str
) -> TestimonyAddendum:
    """A correction to the statement, as a numbered addendum tied to it: the statement is
    never changed. Encrypted like it; who, when and why kept; audited by number only."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    text = required(text, _("Write the correction or addition."))
    reason = required(reason, _("Say why the statement is corrected."))
    with transaction.atomic():
        Testimony.objects.select_for_update().filter(pk=testimony.pk).values_list("pk").get()
        last = testimony.addenda.order_by("-number").values_list("number", flat=True).first()
        addendum = TestimonyAddendum.objects.create(
            testimony=testimony,
            number=(last or 0) + 1,
            text=text,
            reason=reason,
            added_by=custody.member(actor),
        )
        record(
            AuditEvent.TESTIMONY_CORRECTED,
            actor=actor,
            obj=testimony,
            data={"case": testimony.case_id, "addendum": addendum.number},
        )
    return addendum


def testimony_link_event(*, actor, testimony: Testimony, event: Event, role: str) -> None:
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with transaction.atomic():
        TestimonyEvent.objects.update_or_create(
            testimony=testimony, event=event, defaults={"role": role}
        )
        record(
            AuditEvent.EVIDENCE_EVENT_RECORDED,
            actor=actor,
            obj=testimony,
            data={"event": str(event.pk), "role": role},
        )
