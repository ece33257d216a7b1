"""Reads of the audit log, for those the policy lets see it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from django.utils import timezone

from waystation.accounts.policy import Perm, visible
from waystation.audit.models import AuditEvent
from waystation.core.prepared import prepared_rows


@dataclass(frozen=True)
class AuditFilter:
    actor_id: int | None = None
    event: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_page_for(viewer, filters: AuditFilter, *, before: int | None, size: int = 50):
    """One page of events, newest first, by keyset on ``seq``: the cost stays the same on the
    last page of a million rows as on the first. Returns (rows, seq to continue before)."""
    qs = visible(viewer, AuditEvent.objects.all(), Perm.AUDIT_VIEW).select_related("actor")
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.event:
        qs = qs.filter(event=filters.event)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.since:
        qs = qs.filter(at__gte=_day_start(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_day_start(filters.until) + timedelta(days=1))
    if before:
        qs = qs.filter(seq__lt=before)
    rows = list(qs.order_by("-seq")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].seq if more and rows else None)


def recent_events_for(viewer, *, limit: int) -> list[AuditEvent]:
    """The coordinator's dashboard's recent activity: its SQL compiled once per shape (see
    core.prepared; building and compiling it cost more than the database's answer)."""
    return prepared_rows(("recent-events", limit), partial(_recent_events, limit=limit), viewer)


def _recent_events(viewer, *, limit: int):
    qs = visible(viewer, AuditEvent.objects.all(), Perm.AUDIT_VIEW)
    return qs.select_related("actor").order_by("-seq")[:limit]
