"""Reads of the outreach log, for those the policy lets see it."""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from waystation.accounts.policy import Perm, get_for, visible
from waystation.cases.models import Case
from waystation.core.prepared import prepared_rows

from .models import (
    Approach,
    ImportJob,
    Organisation,
    OrganisationName,
    OutreachDigest,
    ResponseKind,
)
from .spreadsheet.names import organisation_key


def organisations_for(viewer, *, query: str = "", kind: str = ""):
    """The directory with each organisation's number of approaches and answers, one query."""
    qs = visible(viewer, Organisation.objects.all(), Perm.OUTREACH_VIEW)
    if query:
        # Not .distinct(): PostgreSQL cannot compare the sealed notes column (core.fields).
        named = Organisation.objects.filter(
            Q(name__icontains=query) | Q(names__name__icontains=query)
        )
        qs = qs.filter(pk__in=named.values("pk"))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.annotate(
        approach_count=Count("approaches", distinct=True),
        answered_count=Count(
            "approaches", filter=~Q(approaches__outcome=ResponseKind.NONE), distinct=True
        ),
        last_approach=Max("approaches__date"),
    ).order_by("name")


def organisation_for(viewer, pk):
    return get_for(viewer, Organisation.objects.all(), pk, Perm.OUTREACH_VIEW)


def approaches_of(viewer, organisation) -> list[Approach]:
    """An organisation's approaches. Each says for which case it was made only to those who
    may open that case (``shown_case``); others read "for a case"."""
    qs = visible(viewer, Approach.objects.all(), Perm.OUTREACH_VIEW)
    approaches = list(
        qs.filter(organisation=organisation)
        .select_related("contact", "case")
        .prefetch_related("responses")
        .order_by("-date", "-pk")
    )
    case_ids = {approach.case_id for approach in approaches if approach.case_id}
    allowed = set(
        visible(viewer, Case.objects.filter(pk__in=case_ids), Perm.CASES_VIEW).values_list(
            "pk", flat=True
        )
        if case_ids
        else ()
    )
    for approach in approaches:
        approach.shown_case = approach.case if approach.case_id in allowed else None
    return approaches


def follow_up_due_date(today=None):
    """Approaches on or before this date without an answer are follow-ups."""
    today = today or timezone.localdate()
    return today - timedelta(days=settings.OUTREACH_FOLLOW_UP_DAYS)


def unanswered_since(due):
    """Every approach on or before ``due`` still without an answer, oldest first (no viewer:
    for the digest the worker builds; pages go through ``follow_ups_for``)."""
    return Approach.objects.filter(outcome=ResponseKind.NONE, date__lte=due).order_by("date", "pk")


def follow_ups_for(viewer, *, limit: int = 20):
    """Approaches still without an answer after WAYSTATION_FOLLOW_UP_DAYS, oldest first. On
    the coordinator's dashboard: its SQL compiled once per shape (see core.prepared)."""
    build = partial(_follow_ups, limit=limit)
    return prepared_rows(("follow-ups", limit), build, viewer, due=follow_up_due_date())


def _follow_ups(viewer, *, due, limit: int):
    qs = visible(viewer, unanswered_since(due), Perm.OUTREACH_VIEW)
    return qs.select_related("organisation")[:limit]


def digests_for(viewer):
    return visible(viewer, OutreachDigest.objects.all(), Perm.OUTREACH_DIGEST)


def digest_for(viewer, pk=None) -> OutreachDigest | None:
    """One digest (404 for one the viewer may not see), or without ``pk`` the latest."""
    if pk is not None:
        return get_for(viewer, OutreachDigest.objects.all(), pk, Perm.OUTREACH_DIGEST)
    return digests_for(viewer).first()


@dataclass
class DigestLine:
    approach: Approach
    days_without_answer: int  # on the day the digest was built
    answered_since: bool


def digest_groups(viewer, digest: OutreachDigest) -> list[tuple[Organisation, list[DigestLine]]]:
    """The digest's approaches as the log holds them now, grouped by organisation (the one
    that waited longest first). Approaches answered since say so; deleted ones are gone."""
    approaches = visible(
        viewer, Approach.objects.filter(pk__in=digest.approach_ids), Perm.OUTREACH_DIGEST
    )
    groups: dict[int, tuple[Organisation, list[DigestLine]]] = {}
    for approach in approaches.select_related("organisation", "contact").order_by("date", "pk"):
        line = DigestLine(
            approach,
            (digest.built_on - approach.date).days,
            approach.outcome != ResponseKind.NONE,
        )
        groups.setdefault(approach.organisation_id, (approach.organisation, []))[1].append(line)
    return list(groups.values())


def import_job_for(viewer, pk) -> ImportJob:
    """A background import, for whoever started it and for coordinators; 404 for others."""
    return get_for(viewer, ImportJob.objects.select_related("batch"), pk, Perm.SIGNED_IN)


def import_jobs_for(viewer, *, limit: int = 5) -> list[ImportJob]:
    """The latest background imports the viewer may follow (their own; all for coordinators)."""
    return list(visible(viewer, ImportJob.objects.all(), Perm.SIGNED_IN)[:limit])


def organisations_of_batch(viewer, batch, *, limit: int = 100):
    """The organisations an import wrote approaches for, with how many each, most first."""
    qs = visible(viewer, Organisation.objects.all(), Perm.OUTREACH_VIEW)
    return list(
        qs.filter(approaches__batch=batch)
        .annotate(imported=Count("approaches", filter=Q(approaches__batch=batch)))
        .order_by("-imported", "name")[:limit]
    )


def organisation_by_name(name: str) -> Organisation | None:
    """The organisation known by this name or any of its other names, in any case or spacing."""
    known = OrganisationName.objects.select_related("organisation").filter(
        key=organisation_key(name)
    )
    entry = known.first()
    return entry.organisation if entry else None
