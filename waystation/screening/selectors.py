"""Reads for screening. The record itself is for screeners and coordinators (the policy's
object rule); the state — not screened, in progress, decided, and the outcome — is for
anyone who may see the case, through ``state_of``."""

from typing import NamedTuple

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Max, OuterRef, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, can, visible
from waystation.cases.models import Case
from waystation.core.prepared import prepared_rows

from .models import (
    STAGE_AFTER,
    Concern,
    Corroboration,
    Decision,
    DecisionKind,
    ExportClearance,
    Screening,
    Stage,
    State,
)


class Status(NamedTuple):
    stage: str  # a Stage
    state: str  # a State: what those who may only see the state learn
    outcome: str  # an Outcome when decided, else ""
    last: Decision | None  # the decision row the stage comes from


_STATE_OF_STAGE = {
    Stage.NOT_STARTED: State.NOT_SCREENED,
    Stage.IN_PROGRESS: State.IN_PROGRESS,
    Stage.AWAITING_CONFIRMATION: State.IN_PROGRESS,
    Stage.DISAGREEMENT: State.IN_PROGRESS,
    Stage.DECIDED: State.DECIDED,
}


def status_of(screening: Screening | None) -> Status:
    """The stage of a screening, derived from its last decision row."""
    if screening is None:
        return Status(Stage.NOT_STARTED, State.NOT_SCREENED, "", None)
    last = screening.decisions.select_related("actor").order_by("-number").first()
    stage = Stage.IN_PROGRESS if last is None else STAGE_AFTER[last.kind]
    outcome = last.outcome if stage == Stage.DECIDED else ""
    return Status(stage, _STATE_OF_STAGE[stage], outcome, last)


def state_of(viewer, case: Case) -> Status | None:
    """The screening state of a case the viewer has already been allowed to open, without
    anything the screeners wrote; None for those who may not even see the state."""
    if not can(viewer, Perm.SCREENING_STATE):
        return None
    status = status_of(Screening.objects.filter(case=case).first())
    return status._replace(last=None)


def screening_case_for(viewer, pk) -> Case:
    """A case to screen: every case for screeners and coordinators (codename and screening
    only, never the case's other sides); 404 for everyone else, as for a missing case."""
    if not can(viewer, Perm.SCREENING_VIEW):
        raise Http404
    try:
        return Case.objects.get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def screening_for(viewer, case: Case) -> Screening | None:
    rows = visible(viewer, Screening.objects.filter(case=case), Perm.SCREENING_VIEW)
    return rows.select_related("opened_by", "updated_by", "assessment_entered_by").first()


def record_of(viewer, screening: Screening) -> dict:
    """Everything of one screening the viewer may see, oldest first."""

    def rows(model, **filters):
        return visible(viewer, model.objects.filter(**filters), Perm.SCREENING_VIEW)

    return {
        "concerns": list(rows(Concern, screening=screening).select_related("recorded_by")),
        "corroborations": list(
            rows(Corroboration, screening=screening).select_related(
                "linked_by", "item", "testimony"
            )
        ),
        "decisions": list(
            rows(Decision, screening=screening).select_related("actor").order_by("number")
        ),
        "clearances": list(rows(ExportClearance, screening=screening).select_related("cleared_by")),
    }


def evidence_to_link(viewer, case: Case) -> list[tuple[str, str]]:
    """The case's evidence items and testimonies a screener may link as corroboration, as
    (value, label): which exist, by kind, date and short id — never their contents. Read
    through the case's relations: screening imports nothing of evidence (evidence's exit
    gate asks screening for export clearance, so the dependency goes that way only)."""
    if not can(viewer, Perm.SCREENING_EDIT):
        return []
    choices = []
    for testimony in case.testimonies.only("id", "interviewed_on", "language"):
        label = _("Testimony of %(date)s (%(language)s) · %(id)s") % {
            "date": testimony.interviewed_on.isoformat(),
            "language": testimony.language,
            "id": str(testimony.pk)[:8],
        }
        choices.append((f"testimony:{testimony.pk}", label))
    for item in case.evidence_items.only("id", "kind", "acquired_on").order_by("ingested_at"):
        label = _("%(kind)s acquired %(date)s · %(id)s") % {
            "kind": item.get_kind_display(),
            "date": item.acquired_on.isoformat() if item.acquired_on else "—",
            "id": str(item.pk)[:8],
        }
        choices.append((f"item:{item.pk}", label))
    return choices


def corroboration_source(viewer, case: Case, value: str) -> dict:
    """The item or testimony of ``case`` that a value of ``evidence_to_link`` names, as the
    keyword ``corroboration_link`` takes ({"item": …} or {"testimony": …}); 404 otherwise."""
    if not can(viewer, Perm.SCREENING_EDIT):
        raise Http404
    kind, _sep, pk = value.partition(":")
    related = {"item": case.evidence_items, "testimony": case.testimonies}.get(kind)
    if related is None:
        raise Http404
    try:
        return {kind: related.get(pk=pk)}
    except (ObjectDoesNotExist, ValidationError, ValueError):
        raise Http404 from None


def _with_last_decision(queryset):
    last = Decision.objects.filter(screening=OuterRef("pk")).order_by("-number")
    return queryset.annotate(
        last_kind=Subquery(last.values("kind")[:1]),
        last_actor=Subquery(last.values("actor")[:1]),
        last_at=Subquery(last.values("at")[:1]),
    )


def queue_for(viewer) -> dict:
    """The screener's queue: proposals awaiting a second screener, screenings in progress,
    disagreements with a coordinator, and the cases not screened yet (a queryset, to page)."""
    if not can(viewer, Perm.SCREENING_VIEW):
        return {"awaiting": [], "in_progress": [], "disagreements": [], "not_screened": []}
    screenings = _with_last_decision(
        visible(viewer, Screening.objects.all(), Perm.SCREENING_VIEW).select_related("case")
    )
    return {
        "awaiting": list(
            screenings.filter(last_kind=DecisionKind.PROPOSED).order_by("last_at")[:200]
        ),
        "in_progress": list(
            screenings.filter(
                Q(last_kind__isnull=True) | Q(last_kind=DecisionKind.REOPENED)
            ).order_by("-case__urgency", "opened_at")[:200]
        ),
        "disagreements": disagreements_for(viewer),
        "not_screened": Case.objects.filter(screening__isnull=True).order_by(
            "-urgency", "codename"
        ),
    }


def disagreements_for(viewer) -> list[Screening]:
    """Screenings whose second screener disagreed: a coordinator's to resolve."""
    screenings = visible(viewer, Screening.objects.all(), Perm.SCREENING_VIEW)
    return list(
        _with_last_decision(screenings.select_related("case"))
        .filter(last_kind=DecisionKind.DISAGREED)
        .order_by("last_at")
    )


def open_disagreement_count(viewer) -> int | None:
    """How many disagreements wait for a coordinator, for the overview (one query); None for one
    who may not resolve them."""
    if not can(viewer, Perm.SCREENING_RESOLVE):
        return None
    # On every dashboard of a coordinator: its SQL compiled once (see core.prepared).
    return prepared_rows("open-disagreements", _open_disagreements, viewer, count=True)


def _open_disagreements(viewer):
    screenings = visible(viewer, Screening.objects.all(), Perm.SCREENING_VIEW)
    return _with_last_decision(screenings).filter(last_kind=DecisionKind.DISAGREED)


def export_clearance_problem(case) -> str | None:
    """Why the evidence of ``case`` may not be exported now, or None. A person with exclusion
    concerns may be a perpetrator as well as a witness: his evidence goes out only once a
    coordinator has confirmed it, after the last concern was recorded."""
    latest = Concern.objects.filter(screening__case=case).aggregate(at=Max("recorded_at"))["at"]
    if latest is None:
        return None
    if ExportClearance.objects.filter(screening__case=case, cleared_at__gt=latest).exists():
        return None
    # Read by people who may not see the screening (documentation officers, caseworkers): it
    # says what to do, not what the screening holds.
    return _(
        "Refused, nothing was exported: the evidence of %(codename)s may leave only after a "
        "coordinator has confirmed it. Ask a coordinator."
    ) % {"codename": case.codename}
