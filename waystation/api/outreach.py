"""Outreach through the API: the directory of organisations, their approaches and the
responses, through outreach's own selectors and services."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from waystation.accounts.policy import Perm, get_for
from waystation.cases.selectors import case_for
from waystation.outreach import services
from waystation.outreach.models import Approach, Channel, OrganisationKind, ResponseKind
from waystation.outreach.selectors import approaches_of, organisation_for, organisations_for

from .auth import scoped
from .schemas import MAX_ID, PageInfo, an_id, paged

router = Router(tags=["outreach"])


class OrganisationRow(Schema):
    id: int
    name: str
    kind: OrganisationKind
    country: str
    city: str
    approach_count: int | None = None
    answered_count: int | None = None
    last_approach: dt.date | None = None


class OrganisationPage(Schema):
    paging: PageInfo
    results: list[OrganisationRow]


class ResponseOut(Schema):
    id: int
    kind: ResponseKind
    date: dt.date | None
    text: str


class ApproachOut(Schema):
    id: int
    date: dt.date
    channel: Channel
    contact: str | None
    subject: str
    summary: str
    outcome: str
    case: int | None = Field(None, description="Only when the member may open that case")
    responses: list[ResponseOut]


class OrganisationOut(OrganisationRow):
    website: str
    notes: str
    approaches: list[ApproachOut]


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=300)
    kind: OrganisationKind = OrganisationKind.OTHER
    country: str = Field("", max_length=2, pattern=r"^([A-Z]{2})?$")
    city: str = Field("", max_length=120)


class ApproachIn(Schema):
    date: dt.date
    channel: Channel
    contact_name: str = Field("", max_length=200)
    subject: str = Field("", max_length=300)
    summary: str = Field("", max_length=20000)
    case: int | None = Field(None, ge=0, le=MAX_ID)


class ResponseIn(Schema):
    kind: ResponseKind
    date: dt.date | None = None
    text: str = Field("", max_length=20000)


class OrganisationQuery(Schema):
    q: str = Field("", max_length=200)
    kind: OrganisationKind | None = None
    page: int = Field(1, ge=1, le=1_000_000)


def _organisation(org) -> dict:
    return {
        "id": org.pk,
        "name": org.name,
        "kind": org.kind,
        "country": str(org.country or ""),
        "city": org.city,
        "approach_count": getattr(org, "approach_count", None),
        "answered_count": getattr(org, "answered_count", None),
        "last_approach": getattr(org, "last_approach", None),
    }


def _response(response) -> dict:
    return {"id": response.pk, "kind": response.kind, "date": response.date, "text": response.text}


def _approach(approach) -> dict:
    shown = getattr(approach, "shown_case", None)
    return {
        "id": approach.pk,
        "date": approach.date,
        "channel": approach.channel,
        "contact": approach.contact.name if approach.contact_id else None,
        "subject": approach.subject,
        "summary": approach.summary,
        "outcome": approach.outcome,
        "case": shown.pk if shown is not None else None,
        "responses": [_response(r) for r in approach.responses.all()],
    }


@router.get("/organisations/", response=OrganisationPage, summary="The directory")
@scoped(Perm.OUTREACH_VIEW)
def organisation_list(request, filters: Query[OrganisationQuery]):
    rows = organisations_for(request.user, query=filters.q.strip(), kind=filters.kind or "")
    return paged(rows, filters.page, _organisation)


@router.post("/organisations/", response={201: OrganisationRow}, summary="Add an organisation")
@scoped(Perm.OUTREACH_EDIT)
def organisation_create(request, body: OrganisationIn):
    org = services.organisation_create(actor=request.user, **body.dict())
    return 201, _organisation(org)


@router.get("/organisations/{int:pk}/", response=OrganisationOut,
            summary="An organisation with its approaches and responses")
@scoped(Perm.OUTREACH_VIEW)
def organisation_get(request, pk: int = an_id()):
    org = organisation_for(request.user, pk)
    return _organisation(org) | {
        "website": org.website,
        "notes": org.notes,
        "approaches": [_approach(a) for a in approaches_of(request.user, org)],
    }


@router.post("/organisations/{int:pk}/approaches/", response={201: ApproachOut},
             summary="Record an approach")
@scoped(Perm.OUTREACH_EDIT)
def approach_create(request, body: ApproachIn, pk: int = an_id()):
    org = organisation_for(request.user, pk)
    fields = body.dict()
    case_id = fields.pop("case")
    case = case_for(request.user, case_id) if case_id is not None else None
    approach = services.approach_create(actor=request.user, organisation=org, case=case, **fields)
    approach.shown_case = case
    return 201, _approach(approach)


@router.post("/approaches/{int:pk}/responses/", response={201: ResponseOut},
             summary="Record a response to an approach")
@scoped(Perm.OUTREACH_EDIT)
def response_record(request, body: ResponseIn, pk: int = an_id()):
    approach = get_for(request.user, Approach.objects.all(), pk, Perm.OUTREACH_VIEW)
    response = services.response_record(actor=request.user, approach=approach, **body.dict())
    return 201, _response(response)
