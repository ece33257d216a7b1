"""Intake triage through the API, for coordinators: the queue, a request's thread (reading it
is audited, as on the page), a reply, and turning a request into a case."""

from datetime import date
from typing import Literal
from uuid import UUID

from ninja import Field, Query, Router, Schema

from waystation.accounts.policy import Perm
from waystation.intake import services
from waystation.intake.models import RequestState, Urgency
from waystation.intake.selectors import queue_for, request_for

from .auth import scoped
from .schemas import PageInfo, paged

router = Router(tags=["intake"])


class RequestRow(Schema):
    id: UUID
    urgency: Urgency
    state: RequestState
    unread: bool
    city: str
    languages: str
    help_needed: list[str]
    people_with: int
    received_on: date
    last_message_on: date
    case: int | None


class RequestPage(Schema):
    paging: PageInfo
    results: list[RequestRow]


class MessageOut(Schema):
    id: UUID
    from_requester: bool
    author: str | None
    text: str
    sent_on: date
    attachments: int


class RequestOut(RequestRow):
    messages: list[MessageOut]


class ReplyIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000)
    kind: Literal["reply", "question", "decline"] = "reply"


class ConvertIn(Schema):
    codename: str | None = Field(None, max_length=40)


class ConvertedOut(Schema):
    case: int
    codename: str


class QueueQuery(Schema):
    queue: Literal["open", "spam", "declined", "cases"] = "open"
    page: int = Field(1, ge=1, le=1_000_000)


def _row(item) -> dict:
    return {
        "id": item.pk,
        "urgency": item.urgency,
        "state": item.state,
        "unread": item.unread,
        "city": item.city,
        "languages": item.languages,
        "help_needed": item.help_codes,
        "people_with": item.people_with,
        "received_on": item.received_on,
        "last_message_on": item.last_message_on,
        "case": item.case_id,
    }


@router.get("/", response=RequestPage, summary="The triage queue")
@scoped(Perm.INTAKE_TRIAGE)
def request_list(request, filters: Query[QueueQuery]):
    return paged(queue_for(request.user, filters.queue), filters.page, _row)


@router.get("/{uuid:pk}/", response=RequestOut, summary="A request and its thread (audited)")
@scoped(Perm.INTAKE_TRIAGE)
def request_get(request, pk: UUID):
    item = request_for(request.user, pk)
    services.request_open(actor=request.user, request=item)
    thread = item.messages.select_related("author").prefetch_related("attachments")
    return _row(item) | {
        "messages": [
            {
                "id": m.pk,
                "from_requester": m.from_requester,
                "author": m.author.username if m.author_id else None,
                "text": m.text,
                "sent_on": m.sent_on,
                "attachments": len(m.attachments.all()),
            }
            for m in thread
        ]
    }


@router.post("/{uuid:pk}/replies/", response={201: RequestRow}, summary="Answer the requester")
@scoped(Perm.INTAKE_TRIAGE)
def request_reply(request, pk: UUID, body: ReplyIn):
    item = request_for(request.user, pk)
    services.staff_reply(actor=request.user, request=item, text=body.text, kind=body.kind)
    return 201, _row(item)


@router.post("/{uuid:pk}/case/", response={201: ConvertedOut}, summary="Open a case from it")
@scoped(Perm.INTAKE_TRIAGE)
def request_convert(request, pk: UUID, body: ConvertIn):
    item = request_for(request.user, pk)
    case = services.request_convert_to_case(
        actor=request.user, request=item, codename=body.codename
    )
    return 201, {"case": case.pk, "codename": case.codename}
