"""Evidence over the API: items (list, metadata, file, ingest of a small file), testimonies
(metadata, and the statement, read as on its page), events, and exports through the exit gate.

The same selectors, services and gate as the pages: every object through ``get_for`` or the
``*_for`` selectors (missing and not visible are the same 404); reading an item or a statement
writes the same custody and audit rows as opening its page; a package is cleared, recorded
and streamed by the same writer as the export page, and a refusal of the gate answers 403
with its reason. Large files go through the resumable uploads (``tus.py``).
"""

import uuid
from datetime import date, datetime

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from waystation.accounts.policy import Perm, get_for
from waystation.core.refusals import NotVisible
from waystation.core.uploads import received_files, use_encrypting_uploads
from waystation.evidence import gate, selectors, services
from waystation.evidence.downloads import item_download_response
from waystation.evidence.export import stream_package_zip
from waystation.evidence.models import AcquiredHow, Event, Item, Testimony
from waystation.evidence.services import EvidenceError

from .auth import scoped
from .uploads import BAD_HOW

router = Router(tags=["evidence"])

MULTIPART_MAX_BYTES = 64 << 20  # larger files: the resumable uploads
NO_FILE = _("Send the file in the multipart field “file”.")


class Page(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)  # a database holds its offsets in 64 bits


class CaseFilter(Page):
    case: str = Field("", description="Only this case's, by codename.")


class ItemOut(Schema):
    id: uuid.UUID
    case: str
    kind: str
    sha256: str
    size: int
    media_type: str
    original_name: str
    acquired_on: date
    acquired_how: str
    verification: str
    origin: str
    ingested_at: datetime


class ItemDetail(ItemOut):
    acquired_from: str
    description: str
    extracted_metadata: str
    events: list[uuid.UUID]


class TestimonyOut(Schema):
    id: uuid.UUID
    case: str
    interviewed_on: date
    interviewer: str | None
    language: str
    consent_scope: list[str]
    consent_withdrawn_on: date | None


class StatementOut(Schema):
    id: uuid.UUID
    statement: str
    addenda: list[str]


class EventOut(Schema):
    id: uuid.UUID
    act_type: str
    title: str
    date_from: date | None
    date_to: date | None
    place: str
    victims_count: int | None


class ExportIn(Schema):
    case: str = Field(description="The case's codename.")
    recipient: str = Field(description="The kind of recipient (court, partner, media, …).")
    name: str = Field("", description="The court's or partner's name, where the kind has one.")
    items: list[uuid.UUID] | None = Field(
        None, description="Exactly these items; left out: all the gate lets go."
    )
    testimonies: list[uuid.UUID] | None = None


class LineOut(Schema):
    what: str
    id: str
    goes: bool
    reason: str


class PreviewOut(Schema):
    recipient: str
    screening: str
    lines: list[LineOut]


def _item_row(item: Item) -> dict:
    return {
        "id": item.pk,
        "case": item.case.codename,
        "kind": item.kind,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "original_name": item.original_name,
        "acquired_on": item.acquired_on,
        "acquired_how": item.acquired_how,
        "verification": item.verification,
        "origin": item.origin,
        "ingested_at": item.ingested_at,
    }


def _testimony_row(testimony: Testimony) -> dict:
    return {
        "id": testimony.pk,
        "case": testimony.case.codename,
        "interviewed_on": testimony.interviewed_on,
        "interviewer": testimony.interviewer.username if testimony.interviewer else None,
        "language": testimony.language,
        "consent_scope": list(testimony.consent_scope),
        "consent_withdrawn_on": testimony.consent_withdrawn_on,
    }


def _event_row(event: Event) -> dict:
    return {
        "id": event.pk,
        "act_type": event.act_type,
        "title": event.title,
        "date_from": event.date_from,
        "date_to": event.date_to,
        "place": event.place,
        "victims_count": event.victims_count,
    }


def _case_to_document(user, codename: str):
    case = selectors.cases_to_document(user).filter(codename__iexact=codename).first()
    if case is None:
        raise NotVisible()
    return case


# -- items -------------------------------------------------------------------------------------


@router.get("/items/", response=list[ItemOut], summary="Items, newest first")
@scoped(Perm.EVIDENCE_VIEW)
def item_list(request, filters: Query[CaseFilter]):
    rows = selectors.listing(request.user, "items", codename=filters.case)
    return [_item_row(i) for i in rows[filters.offset : filters.offset + filters.limit]]


def _item_for(request, pk) -> Item:
    return get_for(request.user, Item.objects.select_related("case"), pk, Perm.EVIDENCE_VIEW)


@router.get("/items/{uuid:pk}/", response=ItemDetail, summary="An item's metadata (viewed)")
@scoped(Perm.EVIDENCE_VIEW)
def item_detail(request, pk: uuid.UUID):
    found = _item_for(request, pk)
    services.item_read(actor=request.user, item=found)
    return {
        **_item_row(found),
        "acquired_from": found.acquired_from,
        "description": found.description,
        "extracted_metadata": found.extracted_metadata,
        "events": [e.pk for e in found.events.all()],
    }


@router.get(
    "/items/{uuid:pk}/file/",
    summary="An item's file (copied, as a download from its page)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file, streamed as stored.",
                "content": {
                    # Each file in its own media type (image/jpeg, application/zip, …).
                    "*/*": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
@scoped(Perm.EVIDENCE_VIEW)
def item_file(request, pk: uuid.UUID):
    response = item_download_response(actor=request.user, item=_item_for(request, pk))
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/items/",
    response={201: ItemOut},
    summary="Ingest a small file (multipart); larger ones through /uploads/ (tus)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["case", "file"],
                        "properties": {
                            "case": {"type": "string", "description": "codename"},
                            "file": {"type": "string", "format": "binary"},
                            "acquired_how": {"type": "string", "enum": AcquiredHow.values},
                            "acquired_from": {"type": "string"},
                            "description": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
@scoped(Perm.EVIDENCE_EDIT)
def item_ingest(request):
    # The file goes straight into the encrypted store as it is read (never in the clear on
    # disk): the handler is set before anything reads the body.
    use_encrypting_uploads(request, max_bytes=MULTIPART_MAX_BYTES, max_files=1, any_type=True)
    files, refusals = received_files(request, "file")
    if refusals:
        raise HttpError(400, refusals[0])
    if not files:
        raise HttpError(400, str(NO_FILE))
    case = _case_to_document(request.user, request.POST.get("case", ""))
    how = request.POST.get("acquired_how") or AcquiredHow.IN_PERSON
    if how not in AcquiredHow.values:
        raise HttpError(400, str(BAD_HOW) % {"value": how[:40]})
    try:
        ingested, problems = services.items_ingest_received(
            actor=request.user,
            received=files,
            case=case,
            acquired_how=how,
            acquired_from=request.POST.get("acquired_from", "").strip()[:200],
            description=request.POST.get("description", "").strip(),
        )
    except EvidenceError as problem:
        raise HttpError(400, str(problem)) from None
    if problems:
        raise HttpError(400, problems[0])
    return Status(201, _item_row(ingested[0]))


# -- testimonies --------------------------------------------------------------------------------


@router.get("/testimonies/", response=list[TestimonyOut], summary="Testimonies (metadata)")
@scoped(Perm.EVIDENCE_VIEW)
def testimony_list(request, filters: Query[CaseFilter]):
    rows = selectors.listing(request.user, "testimonies", codename=filters.case)
    return [_testimony_row(t) for t in rows[filters.offset : filters.offset + filters.limit]]


def _testimony_for(request, pk) -> Testimony:
    return get_for(
        request.user,
        Testimony.objects.select_related("case", "interviewer"),
        pk,
        Perm.EVIDENCE_VIEW,
    )


@router.get("/testimonies/{uuid:pk}/", response=TestimonyOut, summary="A testimony's metadata")
@scoped(Perm.EVIDENCE_VIEW)
def testimony_detail(request, pk: uuid.UUID):
    return _testimony_row(_testimony_for(request, pk))


@router.get(
    "/testimonies/{uuid:pk}/statement/",
    response=StatementOut,
    summary="A testimony's statement and its corrections (a read, audited)",
)
@scoped(Perm.EVIDENCE_VIEW)
def testimony_statement(request, pk: uuid.UUID):
    found = _testimony_for(request, pk)
    services.testimony_read(actor=request.user, testimony=found)
    return {
        "id": found.pk,
        "statement": found.statement,
        "addenda": [a.text for a in selectors.testimony_addenda(found)],
    }


# -- events ----------------------------------------------------------------------------------------


@router.get("/events/", response=list[EventOut], summary="Events")
@scoped(Perm.EVIDENCE_VIEW)
def event_list(request, page: Query[Page]):
    rows = selectors.events_for(request.user)
    return [_event_row(e) for e in rows[page.offset : page.offset + page.limit]]


@router.get("/events/{uuid:pk}/", response=EventOut, summary="An event")
@scoped(Perm.EVIDENCE_VIEW)
def event_detail(request, pk: uuid.UUID):
    return _event_row(get_for(request.user, Event.objects.all(), pk, Perm.EVIDENCE_VIEW))


# -- exports through the exit gate ---------------------------------------------------------------


def _export_request(request, body: ExportIn):
    case = _case_to_document(request.user, body.case)
    try:
        addressee = gate.Addressee.of(body.recipient, body.name)
    except gate.GateError as problem:
        raise HttpError(400, str(problem)) from None
    return case, addressee


@router.post(
    "/exports/preview/",
    response=PreviewOut,
    summary="What would go to a recipient and what would be held back, and why (reads only)",
)
@scoped(Perm.EVIDENCE_EXPORT)
def export_preview(request, body: ExportIn):
    case, addressee = _export_request(request, body)
    decision = gate.preview(actor=request.user, case=case, addressee=addressee)
    return {
        "recipient": str(addressee),
        "screening": str(decision.screening or ""),
        "lines": [
            {"what": line.what, "id": line.id, "goes": line.goes, "reason": str(line.reason)}
            for line in decision.lines
        ],
    }


@router.post(
    "/exports/",
    summary="The signed BagIt package (ZIP) of what the gate lets go to a recipient",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The package, made while it is sent.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            },
            "403": {
                "description": "The exit gate refused: its reason, nothing exported.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        }
    },
)
@scoped(Perm.EVIDENCE_EXPORT)
def export_package(request, body: ExportIn):
    case, addressee = _export_request(request, body)
    try:
        result, chunks = stream_package_zip(
            actor=request.user,
            case=case,
            addressee=addressee,
            item_ids=[str(i) for i in body.items] if body.items is not None else None,
            testimony_ids=(
                [str(t) for t in body.testimonies] if body.testimonies is not None else None
            ),
        )
    except gate.Refused as refused:
        raise HttpError(403, str(refused)) from None
    except EvidenceError as problem:
        raise HttpError(400, str(problem)) from None
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, result.path.name)
    response["Cache-Control"] = "no-store"
    return response
