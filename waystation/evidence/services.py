"""Writes for testimonies, events, evidence items, their source and release terms and the
consent of the person of a case. Each service first checks that its ``actor`` may do it
(``policy.check``: a member's roles, or the grants of a command's system actor), then
records its own audit row, and for an item its custody entry, in the same transaction.
What may leave is decided in ``gate``."""

import json
import uuid
from datetime import date, datetime
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.core import corrections
from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.refusals import Refusal

from . import custody, metadata, telegram
from .models import (
    AcquiredHow,
    ChatMessage,
    CustodyAction,
    Event,
    Handover,
    Item,
    ItemOrigin,
    PersonConsent,
    Recipient,
    Testimony,
    TestimonyAddendum,
    TestimonyEvent,
    Verification,
)

READ_BYTES = 1 << 20  # what a stream is read in while it is ingested
CHAT_BATCH = 500  # chat messages encrypted and inserted at a time


class EvidenceError(Refusal):
    """A refusal with a message for the person; nothing was written."""


# -- items ------------------------------------------------------------------------------------


def item_ingest_stream(*, actor, case, source: BinaryIO, original_name: str, **details) -> Item:
    """Ingest a file from an open binary stream (the command line), bit for bit: the bytes
    are encrypted into the blob store and hashed in the same single pass."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    writer = blob_store().writer()
    with writer:
        while piece := source.read(READ_BYTES):
            writer.write(piece)
        stored = writer.finish()
    return item_ingest_stored(
        actor=actor,
        case=case,
        blob=stored,
        created=bool(writer.created),
        original_name=original_name,
        **details,
    )


def item_ingest_stored(
    *,
    actor,
    case,
    blob: StoredBlob,
    created: bool,
    original_name: str,
    original_modified: datetime | None = None,
    kind: str = "",
    acquired_on: date | None = None,
    acquired_how: str = AcquiredHow.IN_PERSON,
    acquired_from: str = "",
    description: str = "",
    origin: str = ItemOrigin.NOT_RECORDED,
    origin_testimony=None,
    origin_organisation: str = "",
    terms_scope=(),
    terms_courts=(),
) -> Item:
    """Record an item for a blob already in the store (an upload streamed there, or
    ``item_ingest_stream``). If the file cannot be taken (a malformed chat export), the blob
    is deleted again when this ingest created it, and ``EvidenceError`` says why.

    ``origin`` and the fields after it: where the item came from and on what terms, which
    decide where it may go (see ``item_set_origin``); not recorded, it goes nowhere."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    try:
        terms = _clean_origin(
            case=case,
            origin=origin,
            origin_testimony=origin_testimony,
            origin_organisation=origin_organisation,
            terms_scope=terms_scope,
            terms_courts=terms_courts,
        )
    except EvidenceError:
        _forget(blob, created)
        raise
    try:
        media_type = metadata.detect_media_type(metadata.head_of(blob))
        found = metadata.extract(blob, media_type)
        chat = telegram.parse(blob) if telegram.is_chat_export(blob, media_type) else None
    except telegram.ChatExportError as error:
        _forget(blob, created)
        raise EvidenceError(str(error)) from error
    except Exception:
        _forget(blob, created)
        raise
    if chat is not None:
        kind = "chat_export"
    try:
        return _item_record(
            actor=actor,
            case=case,
            blob=blob,
            media_type=media_type,
            found=found,
            chat=chat,
            kind=kind,
            original_name=original_name,
            original_modified=original_modified,
            acquired_on=acquired_on,
            acquired_how=acquired_how,
            acquired_from=acquired_from,
            description=description,
            terms=terms,
        )
    except Exception:
        _forget(blob, created)
        raise


def items_ingest_received(*, actor, received, **details) -> tuple[list[Item], list[str]]:
    """Each file of one upload (``core.uploads.received_files``) as an item with the same
    ``details`` (case, acquisition, source and terms). A file refused (a malformed chat
    export) does not stop the others: the items made, and a sentence for each file refused,
    naming it, come back."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    ingested, problems = [], []
    for file in received:
        try:
            ingested.append(
                item_ingest_stored(
                    actor=actor,
                    blob=file.blob,
                    created=file.created,
                    original_name=file.display_name,
                    **details,
                )
            )
            file.keep()
        except EvidenceError as problem:
            problems.append(f"“{file.display_name}”: {problem}")
    return ingested, problems


def _forget(blob: StoredBlob, created: bool) -> None:
    """Nothing half-ingested: the blob goes again when this ingest put it there."""
    if created:
        blob_store().delete(blob.name)


def _item_record(
    *,
    actor,
    case,
    blob: StoredBlob,
    media_type: str,
    found: dict,
    chat,
    kind: str,
    original_name: str,
    original_modified,
    acquired_on,
    acquired_how: str,
    acquired_from: str,
    description: str,
    terms: dict,
) -> Item:
    with transaction.atomic():
        item = Item.objects.create(
            **terms,
            case=case,
            kind=kind or metadata.kind_for(media_type),
            blob=blob.name,
            sha256=blob.sha256,
            size=blob.size,
            media_type=media_type,
            original_name=original_name,
            original_modified=original_modified,
            extracted_metadata=json.dumps(found, ensure_ascii=False, default=str) if found else "",
            acquired_on=acquired_on or timezone.localdate(),
            acquired_how=acquired_how,
            acquired_from=acquired_from,
            description=description,
            ingested_by=custody.member(actor),
        )
        for start in range(0, len(chat or ()), CHAT_BATCH):  # never all rows built at once
            ChatMessage.objects.bulk_create(
                [
                    ChatMessage(
                        item=item,
                        position=line.position,
                        sent_at=line.sent_at,
                        sender=line.sender,
                        text=line.text,
                        media=line.media,
                    )
                    for line in chat[start : start + CHAT_BATCH]
                ]
            )
        custody.append(
            item=item,
            action=CustodyAction.ACQUIRED,
            actor=actor,
            details={"how": acquired_how, "on": item.acquired_on.isoformat()},
        )
        custody.append(
            item=item,
            action=CustodyAction.HASHED,
            actor=actor,
            details={"sha256": blob.sha256, "size": blob.size},
        )
        record(
            AuditEvent.EVIDENCE_INGESTED,
            actor=actor,
            obj=item,
            data={"case": case.pk, "origin": item.origin},
        )
    return item


def _names(values) -> list[str]:
    """Courts by name, one per entry (or per line of a text), cleaned, each once."""
    if isinstance(values, str):
        values = values.splitlines()
    names: list[str] = []
    for value in values:
        name = " ".join(str(value).split())
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names


def _clean_kinds(kinds, courts) -> tuple[list[str], list[str]]:
    kinds = sorted(set(kinds))
    unknown = set(kinds) - set(Recipient.values)
    if unknown:
        raise EvidenceError(f"unknown recipients: {', '.join(sorted(unknown))}")
    courts = _names(courts)
    if Recipient.COURT in kinds and not courts:
        raise EvidenceError("name the court or investigative body")
    return kinds, courts if Recipient.COURT in kinds else []


def _testimony_given(value) -> Testimony | None:
    if value is None or value == "":
        return None
    if isinstance(value, Testimony):
        return value
    try:
        return Testimony.objects.select_related("case").get(pk=uuid.UUID(str(value).strip()))
    except (ValueError, Testimony.DoesNotExist):
        raise EvidenceError(f"no testimony has the id {value!r}") from None


def _clean_origin(
    *, case, origin, origin_testimony, origin_organisation, terms_scope, terms_courts
) -> dict:
    """The item's source fields, checked: a witness's item names his testimony (of another
    case: the person's own items are "from the person"), an organisation's its name."""
    if origin not in ItemOrigin.values:
        raise EvidenceError(f"unknown origin {origin!r}: one of {', '.join(ItemOrigin.values)}")
    fields = {
        "origin": origin,
        "origin_testimony": None,
        "origin_organisation": "",
        "terms_scope": [],
        "terms_courts": [],
    }
    if origin == ItemOrigin.WITNESS:
        testimony = _testimony_given(origin_testimony)
        if testimony is None:
            raise EvidenceError("name the testimony of the witness who gave it")
        if testimony.case_id == case.pk:
            raise EvidenceError(
                "that testimony is of the person of this case: record the item as his"
            )
        fields["origin_testimony"] = testimony
    elif origin == ItemOrigin.ORGANISATION:
        name = " ".join(origin_organisation.split())
        if not name:
            raise EvidenceError("name the organisation or partner it came from")
        kinds, courts = _clean_kinds(terms_scope, terms_courts)
        fields.update(origin_organisation=name, terms_scope=kinds, terms_courts=courts)
    return fields


def item_set_origin(
    *,
    actor,
    item: Item,
    origin: str,
    origin_testimony=None,
    origin_organisation: str = "",
    terms_scope=(),
    terms_courts=(),
) -> None:
    """Record where ``item`` came from and on what terms, which decide where it may go:
    from the person of the case (his consent, ``person_consent_record``), from another
    witness (that witness's testimony consent), from an open source (anywhere), from an
    organisation or partner (the kinds and courts its terms name), or not recorded
    (nowhere). Audited with the source kind, never the organisation's name."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    fields = _clean_origin(
        case=item.case,
        origin=origin,
        origin_testimony=origin_testimony,
        origin_organisation=origin_organisation,
        terms_scope=terms_scope,
        terms_courts=terms_courts,
    )
    with transaction.atomic():
        for name, value in fields.items():
            setattr(item, name, value)
        item.save(update_fields=list(fields))
        record(
            AuditEvent.EVIDENCE_TERMS,
            actor=actor,
            obj=item,
            data={
                "case": item.case_id,
                "origin": item.origin,
                "testimony": str(item.origin_testimony_id) if item.origin_testimony_id else None,
                "scope": item.terms_scope,
            },
        )


def person_consent_record(
    *, actor, case, scope, courts=(), withdrawn_on: date | None = None
) -> PersonConsent:
    """The consent of the person of ``case`` for the items that came from him: the kinds of
    recipients, the courts by name; ``withdrawn_on`` withdraws it from that day (then his
    items go to no one). One record per case, changed in place; each change audited."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    kinds, names = _clean_kinds(scope, courts)
    if withdrawn_on is not None and withdrawn_on > timezone.localdate():
        raise EvidenceError("the withdrawal date is in the future")
    with transaction.atomic():
        consent, _created = PersonConsent.objects.select_for_update().get_or_create(case=case)
        consent.scope, consent.courts, consent.withdrawn_on = kinds, names, withdrawn_on
        consent.recorded_on = timezone.localdate()
        consent.recorded_by = custody.member(actor)
        consent.recorded_at = timezone.now()
        consent.save()
        record(
            AuditEvent.PERSON_CONSENT_CHANGED,
            actor=actor,
            obj=case,
            data={"case": case.pk, "scope": kinds, "withdrawn": withdrawn_on is not None},
        )
    return consent


def item_read(*, actor, item: Item, download: bool = False) -> None:
    """A member opened an item's page (viewed) or took a copy of the file (copied)."""
    policy.check(actor, Perm.EVIDENCE_VIEW)
    with transaction.atomic():
        custody.append(
            item=item,
            action=CustodyAction.COPIED if download else CustodyAction.VIEWED,
            actor=actor,
        )
        record(
            AuditEvent.EVIDENCE_ITEM_READ,
            actor=actor,
            obj=item,
            data={"download": download},
        )


def item_set_verification(*, actor, item: Item, status: str, reason: str) -> None:
    policy.check(actor, Perm.EVIDENCE_EDIT)
    if status not in Verification.values:
        raise EvidenceError("unknown verification status")
    if not reason.strip():
        raise EvidenceError("say why")
    with transaction.atomic():
        item.verification = status
        item.verification_reason = reason.strip()
        item.verified_by = actor
        item.verified_at = timezone.now()
        item.save(
            update_fields=["verification", "verification_reason", "verified_by", "verified_at"]
        )
        custody.append(
            item=item, action=CustodyAction.VERIFIED, actor=actor, details={"status": status}
        )
        record(AuditEvent.EVIDENCE_VERIFICATION, actor=actor, obj=item, data={"status": status})


def item_link_events(*, actor, item: Item, events) -> None:
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with transaction.atomic():
        item.events.set(events)
        record(
            AuditEvent.EVIDENCE_EVENT_RECORDED,
            actor=actor,
            obj=item,
            data={"events": sorted(str(e.pk) for e in events)},
        )


def _required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise EvidenceError(message)
    return text


def item_transfer(*, actor, item: Item, with_whom: str, how: str) -> Handover:
    """The physical medium of ``item`` (a phone, a memory card) leaves the group's hands:
    with whom and how, encrypted; the custody entry "transferred" names the handover, never
    the person. Refused while it is out already (receive it back first)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with_whom = _required(with_whom, _("Say who received it."))
    how = _required(how, _("Say how it was handed over."))
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").get()
        if item.handovers.filter(returned_at__isnull=True).exists():
            raise EvidenceError(_("It is out of our hands already: record it received back first."))
        handover = Handover.objects.create(
            item=item, with_whom=with_whom, how=how, transferred_by=custody.member(actor)
        )
        custody.append(
            item=item,
            action=CustodyAction.TRANSFERRED,
            actor=actor,
            details={"handover": str(handover.pk)},
        )
        record(
            AuditEvent.EVIDENCE_TRANSFERRED,
            actor=actor,
            obj=item,
            data={"case": item.case_id, "handover": str(handover.pk)},
        )
    return handover


def item_receive_back(*, actor, item: Item, note: str = "") -> Handover:
    """The medium handed out (``item_transfer``) is back in the group's hands."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").get()
        handover = item.handovers.filter(returned_at__isnull=True).first()
        if handover is None:
            raise EvidenceError(_("It is not out of our hands: nothing to receive back."))
        handover.returned_at = timezone.now()
        handover.returned_by = custody.member(actor)
        handover.returned_note = note.strip()
        handover.save(update_fields=["returned_at", "returned_by", "returned_note"])
        custody.append(
            item=item,
            action=CustodyAction.RECEIVED_BACK,
            actor=actor,
            details={"handover": str(handover.pk)},
        )
        record(
            AuditEvent.EVIDENCE_RECEIVED_BACK,
            actor=actor,
            obj=item,
            data={"case": item.case_id, "handover": str(handover.pk)},
        )
    return handover


# -- testimonies ------------------------------------------------------------------------------


def _clean_scope(scope, body: str) -> tuple[list[str], str]:
    scope = sorted(set(scope))
    unknown = set(scope) - set(Recipient.values)
    if unknown:
        raise EvidenceError(f"unknown recipients: {', '.join(sorted(unknown))}")
    if Recipient.COURT in scope and not body.strip():
        raise EvidenceError("name the court or investigative body")
    return scope, body.strip() if Recipient.COURT in scope else ""


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
    if not statement.strip():
        raise EvidenceError("the statement is empty")
    scope, body = _clean_scope(consent_scope, consent_body)
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
    scope, body = _clean_scope(scope, body)
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
    text = _required(text, _("Write the correction or addition."))
    reason = _required(reason, _("Say why the statement is corrected."))
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


# -- events -----------------------------------------------------------------------------------


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
    reason = _required(reason, _("Say why the event is corrected."))
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
    reason = _required(reason, _("Say why the event is withdrawn."))
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
