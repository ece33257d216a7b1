"""Reads: the catalogue filtered for the list page, the proposals a user may see, and the
pathways chosen for a case with their readiness."""

from django.db.models import QuerySet

from waystation.accounts.policy import Perm, visible
from waystation.cases.models import Task

from .catalogue import Catalogue, Pathway, localized
from .models import CasePathway, GapTask, Proposal, ProposalStatus
from .readiness import Holdings, assess

NO_COUNTRY = "none"  # the filter value for pathways granted by a body, not a country


def pathways_filtered(catalogue: Catalogue, *, kind: str = "", country: str = "") -> list[Pathway]:
    """``country`` is an ISO code, or "none" for pathways granted by a body such as UNHCR."""
    rows = list(catalogue.pathways)
    if kind:
        rows = [p for p in rows if p.kind == kind]
    if country == NO_COUNTRY:
        rows = [p for p in rows if not p.country]
    elif country:
        rows = [p for p in rows if p.country == country]
    return sorted(rows, key=lambda p: (p.country or "~", localized(p.names).text.casefold()))


def proposals_for(user, status: str = "") -> QuerySet:
    rows = visible(
        user, Proposal.objects.select_related("author", "decided_by"), Perm.PATHWAYS_VIEW
    )
    return rows.filter(status=status) if status in ProposalStatus.values else rows


def open_proposal_count(user) -> int:
    return proposals_for(user, ProposalStatus.OPEN).count()


# -- readiness of a case ----------------------------------------------------------------------


def chosen_for(viewer, case) -> list:
    """The pathways chosen for ``case`` that ``viewer`` may see (all of them, or none)."""
    return list(
        visible(viewer, CasePathway.objects.filter(case=case), Perm.CASES_VIEW).select_related(
            "chosen_by"
        )
    )


def open_gap_tasks(viewer, case, pathway_id: str) -> dict[str, Task]:
    """Criterion id → the open task made for that gap of the pathway."""
    links = visible(
        viewer,
        GapTask.objects.filter(case=case, pathway_id=pathway_id, task__done_at__isnull=True),
        Perm.CASES_VIEW,
    ).select_related("task")
    return {link.criterion_id: link.task for link in links}


def readiness_compared(catalogue: Catalogue, held: Holdings, chosen_ids) -> tuple[list, list]:
    """The chosen pathways and the others, each ranked by ``PathwayReadiness.rank_key``."""
    assessed = [(assess(p, held), localized(p.names).text) for p in catalogue.pathways]
    ranked = [r for r, _name in sorted(assessed, key=lambda pair: pair[0].rank_key(pair[1]))]
    chosen = [r for r in ranked if r.pathway.id in chosen_ids]
    return chosen, [r for r in ranked if r.pathway.id not in chosen_ids]
