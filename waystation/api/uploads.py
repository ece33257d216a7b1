"""Resumable evidence uploads (tus 1.0): what each request does to an ``Upload``.

The bytes go through ``core.blobstore.resumable``: encrypted as they arrive, in the blob
format, the SHA-256 computed in the same pass. Once the last byte has arrived the blob is
installed in the store and becomes an item through evidence's own ingest
(``item_ingest_stored``), so custody and audit rows are those of an upload on the page. Until
then an upload is nobody's evidence: only its member sees it, and it expires.

Each function here is a write and checks the evidence permission first, as a service does;
the views of ``tus.py`` have checked the token's scope before (the first lock).
"""

from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm, system_actor
from waystation.core.blobstore import blob_store, resumable
from waystation.core.refusals import NotVisible, Refusal
from waystation.core.uploads import display_name
from waystation.evidence import selectors as evidence_selectors
from waystation.evidence.models import AcquiredHow
from waystation.evidence.services import item_ingest_stored

from .models import Upload

KEEP_FOR = timedelta(hours=24)  # an upload untouched this long expires (each PATCH renews it)
OPEN_PER_TOKEN = 10  # unfinished uploads a token may hold at once
READ_BYTES = 1 << 20  # what a PATCH body is read in: whole chunks, sealed without copying

NO_CASE = _("There is no case %(codename)s that you may add evidence to.")
TOO_LARGE = _("The file is larger than %(limit)s, the most this instance accepts.")
TOO_MANY = _(
    "This token has %(count)s unfinished uploads already: finish or cancel one, or let it "
    "expire, before starting another."
)
WRONG_OFFSET = _("The upload is at byte %(offset)s, not at %(asked)s: ask for its offset again.")
PAST_THE_END = _("The upload is %(length)s bytes long: this request would go past its end.")
BUSY = _("Another request is writing this upload now: try again when it has ended.")
DONE = _("This upload is complete already.")
NO_NAME = _("Say the file's name (the filename in Upload-Metadata).")
BAD_HOW = _("“%(value)s” is not a way evidence is acquired here.")


class UploadRefused(Refusal):
    """A request on an upload that cannot be done; ``status`` is the HTTP answer."""

    def __init__(self, message, *, status: int = 400, **params):
        super().__init__(message, **params)
        self.status = status


def upload_for(actor, pk) -> Upload:
    """The member's own upload, not expired: 404 for anything else (another member's too)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    try:  # get(), not first(): one row by its key, no ordering to compile
        return Upload.objects.get(pk=pk, user=actor, expires_at__gt=timezone.now())
    except Upload.DoesNotExist:
        raise NotVisible() from None


def upload_begin(
    *,
    actor,
    token,
    codename: str,
    length: int,
    filename: str,
    acquired_how: str = AcquiredHow.IN_PERSON,
    acquired_from: str = "",
    description: str = "",
) -> Upload:
    """Start an upload of ``length`` bytes for the case ``codename`` (a case the member may
    add evidence to, as on the page)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    uploads_expire(actor=actor)
    case = evidence_selectors.cases_to_document(actor).filter(codename__iexact=codename).first()
    if case is None:
        raise UploadRefused(NO_CASE, status=404, codename=codename)
    limit = settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024
    if length > limit:
        raise UploadRefused(TOO_LARGE, status=413, limit=filesizeformat(limit))
    name = display_name(filename)
    if not name:
        raise UploadRefused(NO_NAME)
    if acquired_how not in AcquiredHow.values:
        raise UploadRefused(BAD_HOW, value=acquired_how[:40])
    open_now = Upload.objects.filter(token=token, item__isnull=True).count()
    if open_now >= OPEN_PER_TOKEN:
        raise UploadRefused(TOO_MANY, status=429, count=open_now)
    now = timezone.now()
    upload = Upload(
        user=actor,
        token=token,
        case=case,
        length=length,
        original_name=name,
        acquired_how=acquired_how,
        acquired_from=acquired_from.strip()[:200],
        description=description.strip(),
        created_at=now,
        expires_at=now + KEEP_FOR,
    )
    resumable.begin(blob_store(), upload.key, length)
    try:
        upload.save(force_insert=True)
    except BaseException:
        resumable.discard(blob_store(), upload.key)
        raise
    return upload


def upload_offset(*, actor, upload: Upload) -> int:
    """Where the upload stands: what is durably stored (the disk's word, see resumable)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    if upload.item_id is not None:
        return upload.length
    try:
        with resumable.ResumableBlob(blob_store(), upload.key, upload.length) as blob:
            return blob.offset
    except resumable.UploadBusy:
        return upload.offset  # being written now: what the last request left
    except resumable.UploadGone:
        raise NotVisible() from None


def upload_receive(
    *, actor, upload: Upload, offset: int, body: BinaryIO, body_length: int | None
) -> Upload:
    """Append a PATCH body at ``offset`` (which must be where the upload stands). What
    arrived is kept even when the body breaks off; with the last byte the upload becomes an
    item (``upload.item``)."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    if upload.item_id is not None:
        raise UploadRefused(DONE, status=409)
    if body_length is not None and offset + body_length > upload.length:
        raise UploadRefused(PAST_THE_END, status=413, length=upload.length)
    store = blob_store()
    try:
        with resumable.ResumableBlob(store, upload.key, upload.length) as blob:
            if blob.offset != offset:
                raise UploadRefused(WRONG_OFFSET, status=409, offset=blob.offset, asked=offset)
            try:
                left = body_length if body_length is not None else upload.length - offset
                while left > 0 and (piece := body.read(min(READ_BYTES, left))):
                    left -= len(piece)
                    blob.write(piece)
            finally:
                _note_offset(upload, blob.offset)
            if blob.offset == upload.length:
                stored, created = blob.finish()
            else:
                return upload
    except resumable.UploadBusy:
        raise UploadRefused(BUSY, status=423) from None
    except resumable.UploadGone:
        raise NotVisible() from None
    except resumable.TooMuchData:
        raise UploadRefused(PAST_THE_END, status=413, length=upload.length) from None
    with transaction.atomic():
        item = item_ingest_stored(
            actor=actor,
            case=upload.case,
            blob=stored,
            created=created,
            original_name=upload.original_name,
            acquired_how=upload.acquired_how,
            acquired_from=upload.acquired_from,
            description=upload.description,
        )
        upload.item = item
        upload.offset = upload.length
        upload.save(update_fields=["item", "offset"])
    return upload


def _note_offset(upload: Upload, offset: int) -> None:
    """The offset for lists and limits, and a fresh expiry: the upload is alive."""
    upload.offset = offset
    upload.expires_at = timezone.now() + KEEP_FOR
    Upload.objects.filter(pk=upload.pk).update(offset=offset, expires_at=upload.expires_at)


def upload_terminate(*, actor, upload: Upload) -> None:
    """Cancel an unfinished upload: its encrypted part is removed. A finished one has become
    an item, which only evidence's own corrections change: refused."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    if upload.item_id is not None:
        raise UploadRefused(DONE, status=409)
    store = blob_store()
    try:
        with resumable.ResumableBlob(store, upload.key, upload.length) as blob:
            blob.discard()
    except resumable.UploadBusy:
        raise UploadRefused(BUSY, status=423) from None
    except resumable.UploadGone:
        pass
    upload.delete()


def uploads_expire(*, actor) -> int:
    """Remove expired uploads: the encrypted parts of unfinished ones, and the rows. Runs
    when an upload begins and when the server starts (``uploads_expire_at_start``); returns
    how many. Not audited: an unfinished upload was never evidence (no item, no custody),
    and the other expiries (sessions, throttle rows) are not either."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    store = blob_store()
    expired = list(Upload.objects.filter(expires_at__lte=timezone.now()))
    for upload in expired:
        if upload.item_id is None:
            try:
                with resumable.ResumableBlob(store, upload.key, upload.length) as blob:
                    blob.discard()
            except resumable.UploadBusy:
                continue  # being written this moment: it is alive after all
            except resumable.UploadGone:
                pass
        upload.delete()
    return len(expired)


def uploads_expire_at_start(sender, **kwargs) -> int:
    """Receiver of ``core.serving.server_started``: the sweep, as the server's own actor, so
    that uploads abandoned while it was stopped do not wait in the store for the next one."""
    return uploads_expire(actor=system_actor("serve", Perm.EVIDENCE_EDIT))
