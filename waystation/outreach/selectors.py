"""Reads of the outreach log, for those the policy lets see it."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from waystation.accounts.policy import Perm, visible

from .models import Approach, Organisation, ResponseKind


def organisations_for(viewer, *, query: str = "", kind: str = ""):
    """The directory with each organisation's number of approaches and answers, one query."""
    qs = visible(viewer, Organisation.objects.all(), Perm.OUTREACH_VIEW)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(names__name__icontains=query)).distinct()
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
    from waystation.accounts.policy import get_for

    return get_for(viewer, Organisation.objects.all(), pk, Perm.OUTREACH_VIEW)


def approaches_of(viewer, organisation) -> list[Approach]:
    """An organisation's approaches. Each says for which case it was made only to those who
    may open that case (``shown_case``); others read "for a case"."""
    from waystation.cases.models import Case

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


def follow_ups_for(viewer, *, limit: int = 20):
    """Approaches still without an answer after WAYSTATION_FOLLOW_UP_DAYS, oldest first."""
    due = timezone.localdate() - timedelta(days=settings.OUTREACH_FOLLOW_UP_DAYS)
    qs = visible(viewer, Approach.objects.all(), Perm.OUTREACH_VIEW)
    return list(
        qs.filter(outcome=ResponseKind.NONE, date__lte=due)
        .select_related("organisation")
        .order_by("date", "pk")[:limit]
    )
