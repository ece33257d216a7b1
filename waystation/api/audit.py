"""The audit log through the API, for coordinators: the audit viewer's own read (keyset pages
on the chain's sequence, newest first)."""

from datetime import date, datetime

from ninja import Field, Query, Router, Schema

from waystation.accounts.policy import Perm
from waystation.home.selectors import AuditFilter, audit_page_for

from .auth import scoped
from .schemas import MAX_ID

router = Router(tags=["audit"])


class AuditRow(Schema):
    seq: int
    at: datetime
    event: str
    actor: str | None
    object_type: str
    object_id: str
    data: dict


class AuditPage(Schema):
    results: list[AuditRow]
    before: int | None = Field(None, description="Pass as ?before= for the next, older page")


class AuditQuery(Schema):
    actor: int | None = Field(None, ge=0, le=MAX_ID)
    event: str = Field("", max_length=60)
    object_type: str = Field("", max_length=60)
    object_id: str = Field("", max_length=64)
    since: date | None = None
    until: date | None = None
    before: int | None = Field(None, ge=1, le=MAX_ID)


@router.get("/", response=AuditPage, summary="The audit log, newest first")
@scoped(Perm.AUDIT_VIEW)
def audit_list(request, filters: Query[AuditQuery]):
    rows, before = audit_page_for(
        request.user,
        AuditFilter(
            actor_id=filters.actor, event=filters.event, object_type=filters.object_type,
            object_id=filters.object_id, since=filters.since, until=filters.until,
        ),
        before=filters.before,
    )
    return {
        "results": [
            {
                "seq": row.seq,
                "at": row.at,
                "event": row.event,
                "actor": row.actor.username if row.actor_id else None,
                "object_type": row.object_type,
                "object_id": row.object_id,
                "data": row.data,
            }
            for row in rows
        ],
        "before": before,
    }
