"""Writes for the intake portal and the triage queue.

The requester's side writes no audit rows (an audit row's exact time would help match a request
to network logs); the members' side audits every action, naming the request by id only.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.blobstore import StoredBlob, blob_store

from . import codenames
from .models import URGENCY_RANK, Attachment, IntakeRequest, Message, RequestState, Urgency


class IntakeError(Exception):
    """A refusal with a message for the person; nothing was written."""


@dataclass(frozen=True)
class PreparedFile:
    """An upload ready to be attached: ``clean`` is what staff see (an image without its
    metadata; any other file as received), ``received`` the upload as it came."""

    received: object  # waystation.core.uploads.ReceivedFile
    clean: StoredBlob


def prepare_files(files) -> list[PreparedFile]:
    """Clean every image before anything is written, so a damaged or oversized picture is
    refused with a message (``MediaRefused``, naming the file) and the request is not sent
    half. Clean copies already made for the files before it are deleted again."""
    from waystation.core.media import MediaRefused, strip_metadata

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


def _add_message(request: IntakeRequest, *, text: str, files=(), author=None, keep_originals=False):
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
        )
        if clean.name == received.blob.name or keep:
            received.keep()
        # Otherwise the original, with its metadata, is deleted at the end of the request.
    request.last_message_on = timezone.localdate()
    return message


def request_submit(
    *,
    urgency: str,
    text: str,
    country: str = "",
    city: str = "",
    languages: str = "",
    help_needed=(),
    people_with: int = 0,
    files=(),
    keep_originals: bool = False,
    codename_language: str = codenames.DEFAULT_LANGUAGE,
) -> tuple[IntakeRequest, str]:
    """Record a new request; returns it and the codename (seven words of the list in
    ``codename_language``), which is shown once and kept nowhere. Raises ``MediaRefused``
    (nothing written) when an image cannot be cleaned."""
    prepared = prepare_files(files)
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
                _add_message(request, text=text, files=prepared, keep_originals=keep_originals)
                request.save(update_fields=["last_message_on"])
            return request, codename
        except IntegrityError:  # 90 bits make this practically impossible; never reuse one
            continue
    raise IntakeError("no free codename")


def request_for_codename(typed: str) -> IntakeRequest | None:
    """The request this codename opens, or None. The slow hash is computed whatever was typed,
    so a wrong codename and one that never existed take the same time and look the same."""
    lookup = codenames.lookup(typed)
    return IntakeRequest.objects.filter(lookup=lookup).first()


def requester_reply(
    *, request: IntakeRequest, text: str, files=(), keep_originals=False
) -> Message:
    """Raises ``MediaRefused`` (nothing written) when an image cannot be cleaned."""
    prepared = prepare_files(files)
    with transaction.atomic():
        message = _add_message(request, text=text, files=prepared, keep_originals=keep_originals)
        request.unread = True
        if request.state == RequestState.SPAM:
            request.state = RequestState.NEW
        request.save(update_fields=["unread", "state", "last_message_on"])
    return message


def request_delete_by_requester(*, request: IntakeRequest) -> None:
    """Everything the requester sent and received goes: messages, files, the request. A case
    the group opened from it stays (it is the group's record), without the thread."""
    names = []
    for attachment in Attachment.objects.filter(message__request=request):
        names += [attachment.blob, attachment.original_blob]
    with transaction.atomic():
        request.delete()
    _delete_unreferenced(names)


def _delete_unreferenced(names) -> None:
    """Delete these blobs unless an attachment still refers to them (the same content sent
    twice is one blob)."""
    store = blob_store()
    for name in filter(None, names):
        if (
            not Attachment.objects.filter(blob=name).exists()
            and not Attachment.objects.filter(original_blob=name).exists()
        ):
            store.delete(name)


# The members' side ---------------------------------------------------------------------------


class ReplyKind:
    REPLY = "reply"
    QUESTION = "question"
    DECLINE = "decline"


def request_open(*, actor, request: IntakeRequest) -> None:
    """A member reads the thread: audited, and the request is no longer unread."""
    with transaction.atomic():
        record(Event.INTAKE_OPENED, actor=actor, obj=request)
        if request.unread:
            request.unread = False
            request.save(update_fields=["unread"])


def staff_reply(
    *, actor, request: IntakeRequest, text: str, kind: str = ReplyKind.REPLY
) -> Message:
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
    from waystation.cases import services as case_services

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
