"""A requester's file, sent through the anonymous portal, taken into the evidence vault.

The bytes never leave the encrypted store: blobs are named by their content, so the item refers
to the very blob the portal wrote when the file arrived (its SHA-256 taken then, in the same
pass that encrypted it). Before the item is written the blob is read back once, decrypted in
memory chunk by chunk, and its SHA-256 and size checked against what the portal recorded;
nothing is written to disk in the clear.

Which copy: the untouched original when the sender agreed on the portal to keep it as
evidence; otherwise the copy without metadata the group sees (photos only: the portal cleans
nothing else, so a video, a recording or a PDF whose sender did not agree is refused). The item
says which in its description, its custody chain and its audit row.

The chain of custody starts at the portal: "acquired, received through the anonymous portal"
on the day it arrived (the portal keeps days, never times) and "hashed" with the SHA-256 taken
then, both without a member; then "acquired" by the member who took it into evidence.

Where it may go: the sender's answer on the portal (courts and international investigators,
UN bodies, human rights organisations, the media) becomes the item's terms, read by the exit
gate (``gate._item_line``, an item "on named terms"); courts are named by the member, within
the sender's consent to courts. A file sent before the portal asked has no recorded source and
goes nowhere until someone records it.

The caller (``intake.services.attachment_to_evidence``) passes a ``PortalFile``; this module
imports nothing of intake, so evidence does not depend on it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.accounts.policy import Perm, check
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.core import crypto
from waystation.core.blobstore import BlobDamaged, BlobMissing, StoredBlob, blob_name, blob_store

from . import custody, metadata
from .models import AcquiredHow, CustodyAction, Item, ItemOrigin, Recipient
from .services import EvidenceError

ORIGINAL, CLEANED = "original", "cleaned"
PORTAL = "portal"  # custody details' "through": the anonymous portal, no member behind it
# What the portal asks a sender about, and what each answer allows at the exit gate.
PORTAL_USES = (Recipient.COURT, Recipient.UN, Recipient.NGO, Recipient.MEDIA)

NO_CONSENT = gettext_lazy(
    "The sender did not agree to keep this file as evidence, and the portal keeps no copy of "
    "it without its metadata (only photos are cleaned). Ask the sender in the thread."
)
NO_COURT_NAMED = gettext_lazy(
    "The sender agreed to courts and international investigators: name at least one court or "
    "investigative body it may go to."
)
NOT_AS_RECEIVED = gettext_lazy(
    "The stored file does not match what the portal received; nothing was taken. Run "
    "`waystation evidence verify`."
)


class FromIntakeError(EvidenceError):
    """The file cannot be taken into evidence; nothing was written."""


@dataclass(frozen=True)
class PortalFile:
    """What the portal recorded of one attachment and its sender's answers.

    ``blob``/``sha256``/``size``: the copy members see (a photo without its metadata; any other
    file as it was sent, ``cleaned`` False). ``original_blob``/``original_sha256``: the
    untouched original kept beside a cleaned photo, or empty. ``keep_original``: the sender
    agreed to keep the original as evidence. ``uses``: the recipients the sender agreed to;
    ``consent_asked`` False for files sent before the portal asked (nothing recorded)."""

    attachment_id: str
    name: str
    media_type: str
    received_on: date
    blob: str
    sha256: str
    size: int
    cleaned: bool
    original_blob: str = ""
    original_sha256: str = ""
    keep_original: bool = False
    consent_asked: bool = False
    uses: tuple[str, ...] = ()

    def chosen(self) -> tuple[str, str, str]:
        """(which, blob name, SHA-256) of the copy that becomes evidence, or FromIntakeError."""
        if self.keep_original:
            if self.original_blob:
                return ORIGINAL, self.original_blob, self.original_sha256
            if not self.cleaned:
                return ORIGINAL, self.blob, self.sha256
        if self.cleaned:
            return CLEANED, self.blob, self.sha256
        raise FromIntakeError(NO_CONSENT)


def _checked(name: str, sha256: str) -> StoredBlob:
    """The stored blob, read back once (decrypted in memory, chunk by chunk) to check that it
    is exactly what the portal hashed when it arrived."""
    if not sha256 or not crypto.digests_equal(blob_name(sha256), name):
        raise FromIntakeError(NOT_AS_RECEIVED)
    digest, size = hashlib.sha256(), 0
    try:
        for chunk in blob_store().open(name):
            digest.update(chunk)
            size += len(chunk)
    except (BlobMissing, BlobDamaged):
        raise FromIntakeError(NOT_AS_RECEIVED) from None
    if not crypto.digests_equal(digest.hexdigest(), sha256):
        raise FromIntakeError(NOT_AS_RECEIVED)
    return StoredBlob(name, size, sha256)


def _terms(file: PortalFile, courts) -> dict:
    """The item's source and terms from the sender's answer: "on named terms" (the portal's
    sender, the uses agreed to, the courts named by the member); not recorded when the portal
    did not ask."""
    if not file.consent_asked:
        return {"origin": ItemOrigin.NOT_RECORDED}
    uses = sorted(use for use in set(file.uses) if use in PORTAL_USES)
    names: list[str] = []
    for court in courts if Recipient.COURT in uses else ():
        court = " ".join(str(court).split())
        if court and court.casefold() not in {n.casefold() for n in names}:
            names.append(court)
    if Recipient.COURT in uses and not names:
        raise FromIntakeError(NO_COURT_NAMED)
    return {
        "origin": ItemOrigin.ORGANISATION,
        # Stored with the item (encrypted), in the language of the member who took it.
        "origin_organisation": _("The requester, through the anonymous portal (their answer)"),
        "terms_scope": uses,
        "terms_courts": names,
    }


def item_from_portal(*, actor, case, file: PortalFile, courts=(), then=None) -> Item:
    """Take a requester's file into ``case``'s evidence vault (see the module's text). Needs
    both reading requests (``INTAKE_TRIAGE``) and documenting (``EVIDENCE_EDIT``): a
    coordinator, or a documentation officer who also triages. Audited, with its custody, in
    one transaction; ``then(item)`` runs inside it (the caller's own record of the taking).
    The blob is read and checked before the transaction begins, not while it holds the
    database's write lock."""
    check(actor, Perm.EVIDENCE_EDIT)
    check(actor, Perm.INTAKE_TRIAGE)
    which, name, sha256 = file.chosen()
    terms = _terms(file, courts)
    stored = _checked(name, sha256)
    media_type = metadata.detect_media_type(metadata.head_of(stored))
    found = metadata.extract(stored, media_type)
    if which == ORIGINAL:
        description = _("Sent by the requester through the anonymous portal: the original.")
    else:
        description = _(
            "Sent by the requester through the anonymous portal: the copy without its "
            "metadata (the sender did not agree to keep the original)."
        )
    today = timezone.localdate()
    with transaction.atomic():
        item = Item.objects.create(
            **terms,
            case=case,
            kind=metadata.kind_for(media_type),
            blob=stored.name,
            sha256=stored.sha256,
            size=stored.size,
            media_type=media_type,
            original_name=file.name,
            extracted_metadata=json.dumps(found, ensure_ascii=False, default=str) if found else "",
            acquired_on=file.received_on,
            acquired_how=AcquiredHow.INTAKE,
            acquired_from=_("anonymous portal"),
            description=description,
            ingested_by=actor,
        )
        custody.append(
            item=item,
            action=CustodyAction.ACQUIRED,
            details={
                "how": AcquiredHow.INTAKE,
                "on": file.received_on.isoformat(),
                "through": PORTAL,
                "attachment": file.attachment_id,
            },
        )
        custody.append(
            item=item,
            action=CustodyAction.HASHED,
            details={
                "sha256": stored.sha256,
                "size": stored.size,
                "copy": which,
                "through": PORTAL,
            },
        )
        custody.append(
            item=item,
            action=CustodyAction.ACQUIRED,
            actor=actor,
            details={
                "how": AcquiredHow.INTAKE,
                "on": today.isoformat(),
                "taken_from": "intake",
                "attachment": file.attachment_id,
                "copy": which,
                "sha256_checked": True,
            },
        )
        record(
            AuditEvent.EVIDENCE_INGESTED,
            actor=actor,
            obj=item,
            data={
                "case": case.pk,
                "origin": item.origin,
                "from_intake": file.attachment_id,
                "copy": which,
                "scope": item.terms_scope,
            },
        )
        if then is not None:
            then(item)
    return item


def holds_blob(name: str) -> bool:
    """Whether an evidence item holds this blob: the portal must not delete it then (the
    requester deleting a request takes back the thread, not the evidence)."""
    return Item.objects.filter(blob=name).exists()
