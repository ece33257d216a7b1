"""Writes for the intake portal and the triage queue.

The requester's side writes no audit rows (an audit row's exact time would help match a request
to network logs); the members' side audits every action, naming the request by id only.

Every service checks its permission first (the second lock): members' services
``INTAKE_TRIAGE``; the requester's services ``INTAKE_SUBMIT``, which only the portal's own
actor ``PORTAL`` holds (no member role has it).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from waystation.accounts.policy import Perm, check, system_actor
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.cases import services as case_services
from waystation.cases.selectors import case_by_codename
from waystation.core.blobstore import StoredBlob, blob_store
from waystation.core.media import IMAGE_TYPES, MediaRefused, strip_metadata
from waystation.core.refusals import Refusal
from waystation.evidence import from_intake

from . import codenames
from .models import (
    URGENCY_RANK,
    Attachment,
    IntakeRequest,
    Message,
    ReleaseUse,
    RequestState,
    Urgency,
)

# The anonymous portal acting for whoever typed into it: it may send, reply and delete, nothing
# else. Named "portal" where anything records it; no member is behind it.
PORTAL = system_actor("portal", Perm.INTAKE_SUBMIT)


class IntakeError(Refusal):
    """A refusal with a message for the person; nothing was written."""


@dataclass(frozen=True)
class PreparedFile:
    """An upload ready to be attached: ``clean`` is what staff see (an image without its
    metadata; any other file as received), ``received`` the upload as it came."""

    received: object  # waystation.core.uploads.ReceivedFile
    clean: StoredBlob


def _prepare_files(files) -> list[PreparedFile]:
    """Clean every image before anything is written, so a damaged or oversized picture is
    refused with a message (``MediaRefused``, naming the file) and the request is not sent
    half. Clean copies already made for the files before it are deleted again."""
    prepared: list[PreparedFile] = []
    for received in files:
        try:
            clean = strip_metadata(received.blob, received.media_type)
        except MediaRefused as refusal:
            _delete_unreferenced(
                p.clean.name for p in prepared if p.clean.name != p.received.blob.name
            )
            raise MediaRefused(
                _FILE_REFUSED, name=received.display_name, reason=refusal.message
            ) from refusal
        prepared.append(PreparedFile(received=received, clean=clean))
    return prepared


_FILE_REFUSED = gettext_lazy("“%(name)s” was not received: %(reason)s")


def _uses(consent_scope) -> list[str]:
    """The uses the sender ticked, known ones only, each once, in a fixed order."""
    return [use for use in ReleaseUse.values if use in set(consent_scope or ())]


def _add_message(
    request: IntakeRequest,
    *,
    text: str,
    files=(),
    author=None,
    keep_originals=False,
    consent_scope=(),
):
    position = (request.messages.aggregate(last=Max("position"))["last"] or 0) + 1
    message = Message.objects.create(
        request=request,
        from_requester=author is None,
        author=author,
        text=text.strip(),
        position=position,
    )
    for item in files:
        received, clean = item.received, item.clean
        keep = keep_originals and clean.name != received.blob.name
        Attachment.objects.create(
            message=message,
            name=received.display_name,
            media_type=received.media_type,
            size=clean.size,
            sha256=clean.sha256,
            blob=clean.name,
            original_blob=received.blob.name if keep else "",
            original_sha256=received.blob.sha256 if keep else "",
            consent_asked=author is None,
            keep_original=bool(keep_originals) and author is None,
            consent_scope=_uses(consent_scope) if author is None else [],
        )
        if clean.name == received.blob.name or keep:
            received.keep()
        # Otherwise the original, with its metadata, is deleted at the end of the request.
    request.last_message_on = timezone.localdate()
    return message


def request_submit(
    *,
    actor,
    urgency: str,
    text: str,
    country: str = "",
    city: str = "",
    languages: str = "",
    help_needed=(),
    people_with: int = 0,
    files=(),
    keep_originals: bool = False,
    consent_scope=(),
    codename_language: str = codenames.DEFAULT_LANGUAGE,
) -> tuple[IntakeRequest, str]:
    """Record a new request; returns it and the codename (seven words of the list in
    ``codename_language``), which is shown once and kept nowhere. Raises ``MediaRefused``
    (nothing written) when an image cannot be cleaned.

    ``keep_originals`` and ``consent_scope`` are the sender's answers for the files sent with
    it: the original may be kept as evidence; the uses (``ReleaseUse``) it may be given to."""
    check(actor, Perm.INTAKE_SUBMIT)
    prepared = _prepare_files(files)
    for _attempt in range(5):
        codename = codenames.generate(codename_language)
        # The slow hash before the transaction: SQLite's write lock is taken when it begins,
        # and every other write of the instance would wait out the hash behind it.
        lookup = codenames.lookup(codename)
        try:
            with transaction.atomic():
                request = IntakeRequest.objects.create(
                    lookup=lookup,
                    urgency=urgency,
                    urgency_rank=URGENCY_RANK[Urgency(urgency)],
                    country=country,
                    city=city.strip(),
                    languages=languages.strip(),
                    help_needed=" ".join(sorted(set(help_needed))),
                    people_with=people_with or 0,
                )
                _add_message(
                    request,
                    text=text,
                    files=prepared,
                    keep_originals=keep_originals,
                    consent_scope=consent_scope,
                )
                request.save(update_fields=["last_message_on"])
            return request, codename
        except IntegrityError:  # 90 bits make this practically impossible; never reuse one
            continue
    raise IntakeError("no free codename")


def requester_reply(
    *, actor, request: IntakeRequest, text: str, files=(), keep_originals=False, consent_scope=()
) -> Message:
    """Raises ``MediaRefused`` (nothing written) when an image cannot be cleaned."""
    check(actor, Perm.INTAKE_SUBMIT)
    prepared = _prepare_files(files)
    with transaction.atomic():
        message = _add_message(
            request,
            text=text,
            files=prepared,
            keep_originals=keep_originals,
            consent_scope=consent_scope,
        )
        request.unread = True
        if request.state == RequestState.SPAM:
            request.state = RequestState.NEW
        request.save(update_fields=["unread", "state", "last_message_on"])
    return message


def request_delete_by_requester(*, actor, request: IntakeRequest) -> None:
    """Everything the requester sent and received goes: messages, files, the request. A case
    the group opened from it stays (it is the group's record), without the thread, and so does
    a file the group took into evidence with the sender's consent (the evidence item's copy)."""
    check(actor, Perm.INTAKE_SUBMIT)
    names = []
    for attachment in Attachment.objects.filter(message__request=request):
        names += [attachment.blob, attachment.original_blob]
    with transaction.atomic():
        request.delete()
    _delete_unreferenced(names)


def _delete_unreferenced(names) -> None:
    """Delete these blobs unless an attachment still refers to them (the same content sent
    twice is one blob) or an evidence item holds them."""
    store = blob_store()
    for name in filter(None, names):
        if (
            not Attachment.objects.filter(blob=name).exists()
            and not Attachment.objects.filter(original_blob=name).exists()
            # Blobs are named by content: a file taken into evidence is the attachment's very
            # blob, and the evidence item keeps it.
            and not from_intake.holds_blob(name)
        ):
            store.delete(name)


# The members' side ---------------------------------------------------------------------------


class ReplyKind:
    REPLY = "reply"
    QUESTION = "question"
    DECLINE = "decline"


def request_open(*, actor, request: IntakeRequest) -> None:
    """A member reads the thread: audited, and the request is no longer unread."""
    check(actor, Perm.INTAKE_TRIAGE)
    with transaction.atomic():
        record(Event.INTAKE_OPENED, actor=actor, obj=request)
        if request.unread:
            request.unread = False
            request.save(update_fields=["unread"])


def staff_reply(
    *, actor, request: IntakeRequest, text: str, kind: str = ReplyKind.REPLY
) -> Message:
    check(actor, Perm.INTAKE_TRIAGE)
    if not text.strip():
        raise IntakeError("empty reply")
    with transaction.atomic():
        message = _add_message(request, text=text, author=actor)
        if kind == ReplyKind.DECLINE:
            request.state = RequestState.REJECTED
        elif request.state in (RequestState.NEW, RequestState.SPAM):
            request.state = RequestState.OPEN
        request.unread = False
        request.save(update_fields=["state", "unread", "last_message_on"])
        record(Event.INTAKE_REPLIED, actor=actor, obj=request, data={"kind": kind})
    return message


def request_mark_spam(*, actor, request: IntakeRequest) -> None:
    check(actor, Perm.INTAKE_TRIAGE)
    with transaction.atomic():
        request.state = RequestState.SPAM
        request.unread = False
        request.save(update_fields=["state", "unread"])
        record(Event.INTAKE_SPAM, actor=actor, obj=request)


_NEEDS = {
    "housing": "housing",
    "money": "money",
    "lawyer": "lawyer",
    "medical": "medical",
    "psychological": "psychological",
    "food": "food",
}
_CASE_STATUS = {
    Urgency.DETAINED: "detained",
    Urgency.DANGER: "in_origin",
    Urgency.TRANSIT: "in_transit",
    Urgency.STABLE: "in_transit",
}
_CASE_URGENCY = {Urgency.DETAINED: 4, Urgency.DANGER: 4, Urgency.TRANSIT: 3, Urgency.STABLE: 2}


def request_convert_to_case(*, actor, request: IntakeRequest, codename: str | None = None):
    """Open a case from a request: urgency, status, city, languages, needs and the people
    travelling with him or her come from the request, which stays linked to the case."""
    check(actor, Perm.INTAKE_TRIAGE)
    if request.case_id:
        raise IntakeError("already a case")
    with transaction.atomic():
        case = case_services.case_create(
            actor=actor,
            codename=codename,
            status=_CASE_STATUS[Urgency(request.urgency)],
            urgency=_CASE_URGENCY[Urgency(request.urgency)],
            languages=request.languages,
            city=request.city,
            tags=["intake"],
        )
        for code in request.help_codes:
            kind = _NEEDS.get(code, "other")
            note = "" if code in _NEEDS else code
            case_services.need_add(actor=actor, case=case, kind=kind, note=note)
        for _person in range(min(request.people_with, 20)):
            case_services.family_add(
                actor=actor, case=case, relation=gettext("accompanying person")
            )
        request.case = case
        request.state = RequestState.CONVERTED
        request.unread = False
        request.save(update_fields=["case", "state", "unread"])
        record(Event.INTAKE_CONVERTED, actor=actor, obj=request, data={"case": case.pk})
    return case


def attachment_read(*, actor, attachment: Attachment, original: bool = False):
    """A member downloads a requester's file, audited: the copy the group sees (images without
    their metadata), or with ``original`` the untouched original where the sender agreed to keep
    it. Returns the blob name read, and whether it is the original."""
    check(actor, Perm.INTAKE_TRIAGE)
    original = bool(original) and bool(attachment.original_blob)
    with transaction.atomic():
        record(Event.INTAKE_FILE_READ, actor=actor, obj=attachment, data={"original": original})
    return (attachment.original_blob if original else attachment.blob), original


class EvidenceTakeError(IntakeError):
    """A file cannot be taken into evidence: no case to take it into, or taken already."""


def attachment_to_evidence(
    *, actor, attachment: Attachment, case_codename: str = "", courts=()
):
    """Take a requester's file into the evidence vault of the case its request became, or of
    the case named by ``case_codename`` (one the member may open), without its bytes leaving
    the encrypted store (``waystation.evidence.from_intake``): the original where the sender
    agreed, else the copy without metadata; the sender's uses as the item's terms, ``courts``
    named within a consent to courts. Needs ``INTAKE_TRIAGE`` and ``EVIDENCE_EDIT``; audited
    with the item. Returns the item."""
    check(actor, Perm.INTAKE_TRIAGE)
    check(actor, Perm.EVIDENCE_EDIT)
    if attachment.evidence_item:
        raise EvidenceTakeError(gettext("This file is in the evidence vault already."))
    message = attachment.message
    request = message.request
    if not message.from_requester:
        raise EvidenceTakeError(gettext("Only a file the requester sent can be taken."))
    case = None
    if case_codename.strip():
        case = case_by_codename(actor, case_codename)
        if case is None:
            raise EvidenceTakeError(gettext("No case you may open has this codename."))
    elif request.case_id:
        case = request.case
    if case is None:
        raise EvidenceTakeError(
            gettext("This request is not a case yet: open a case from it, or name a case.")
        )
    portal_file = from_intake.PortalFile(
        attachment_id=str(attachment.pk),
        name=attachment.name,
        media_type=attachment.media_type,
        received_on=message.sent_on,
        blob=attachment.blob,
        sha256=attachment.sha256,
        size=attachment.size,
        cleaned=attachment.media_type in IMAGE_TYPES,
        original_blob=attachment.original_blob,
        original_sha256=attachment.original_sha256,
        keep_original=attachment.keep_original,
        consent_asked=attachment.consent_asked,
        uses=tuple(attachment.consent_scope or ()),
    )

    def mark_taken(item):  # inside the item's transaction: both or neither
        taken = Attachment.objects.filter(pk=attachment.pk, evidence_item__isnull=True).update(
            evidence_item=item.pk
        )
        if not taken:  # another member took it meanwhile
            raise EvidenceTakeError(gettext("This file is in the evidence vault already."))

    item = from_intake.item_from_portal(
        actor=actor, case=case, file=portal_file, courts=courts, then=mark_taken
    )
    attachment.evidence_item = item.pk
    return item
