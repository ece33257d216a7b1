"""Evidence items: ingest (a stream, an upload, several files at once), source and release
terms, the consent of the person of a case, reads, verification, linked events."""

import json
import logging
from datetime import date, datetime
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.core.blobstore import StoredBlob, blob_store

from .. import credentials, custody, metadata, proofmode, telegram, timestamping
from ..models import (
    AcquiredHow,
    ChatMessage,
    CustodyAction,
    Item,
    ItemKind,
    ItemOrigin,
    ItemProof,
    PersonConsent,
    ProofKind,
    Verification,
)
from ..rules import (
    CaseHandedOver,
    EvidenceError,
    clean_kinds,
    clean_origin,
    refuse_if_transferred,
)

READ_BYTES = 1 << 20  # what a stream is read in while it is ingested
CHAT_BATCH = 500  # chat messages encrypted and inserted at a time

logger = logging.getLogger(__name__)


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
        refuse_if_transferred(case)  # a case transferred to a partner takes nothing more
    except CaseHandedOver:
        _forget(blob, created)
        raise
    try:
        terms = clean_origin(
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
        proofs = _proofs_of(blob, media_type, case) if chat is None else []
    except telegram.ChatExportError as error:
        _forget(blob, created)
        raise EvidenceError(str(error)) from error
    except Exception:
        _forget(blob, created)
        raise
    if chat is not None:
        kind = "chat_export"
    if any(proof_kind == ProofKind.PROOFMODE for proof_kind, _checked in proofs):
        kind = ItemKind.PROOF_BUNDLE
    try:
        return _item_record(
            actor=actor,
            case=case,
            blob=blob,
            media_type=media_type,
            found=found,
            chat=chat,
            proofs=proofs,
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


def _proofs_of(blob: StoredBlob, media_type: str, case) -> list:
    """The file's own proofs, checked: C2PA content credentials in it, or the signatures
    and hashes of a ProofMode bundle. Never raises: a proof that cannot be read is
    recorded as damaged, and no check keeps a file out."""
    found = []
    try:
        if proofmode.is_bundle(blob, media_type):
            found.append((ProofKind.PROOFMODE, proofmode.check(blob, case)))
        elif (checked := credentials.check(blob, media_type)) is not None:
            found.append((ProofKind.C2PA, checked))
    except Exception as error:  # a check must never cost the ingest
        logger.warning("the proofs of an item not checked: %s", type(error).__name__)
    return found


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
    proofs: list,
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
        for proof_kind, checked in proofs:
            ItemProof.objects.create(
                item=item,
                kind=proof_kind,
                status=checked.status,
                flagged=checked.flagged,
                report=json.dumps(checked.report, ensure_ascii=False),
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
        timestamping.queue_item(item)  # asked for in the background, after the commit
        record(
            AuditEvent.EVIDENCE_INGESTED,
            actor=actor,
            obj=item,
            data={"case": case.pk, "origin": item.origin},
        )
    return item


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
    fields = clean_origin(
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
    kinds, names = clean_kinds(scope, courts)
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
