"""Reads: the catalogue filtered for the list page, the proposals a user may see, and the
pathways chosen for a case with their readiness — what the viewer may see of it decided here,
not in the views."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from waystation.accounts.policy import Perm, Side, case_sides, visible
from waystation.cases.models import Task
from waystation.evidence import selectors as evidence

from .catalogue import Catalogue, Pathway
from .models import CasePathway, GapTask, Proposal, ProposalStatus
from .readiness import Holdings, PathwayReadiness, assess, gather
from .texts import localized

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


def holdings_for(viewer, case) -> Holdings:
    """What ``case`` holds, as far as ``viewer`` may see its sides: the family is on the care
    side, so a lawyer's checklist counts no relatives (even how many are recorded is not his
    to see). The caller has found the case through ``case_for(viewer)``."""
    return gather(case, family=Side.CARE in case_sides(viewer, case))


def may_change(viewer, case) -> bool:
    """Whether ``viewer`` may choose pathways, make gap tasks and mark items for ``case``."""
    return Side.LEGAL in case_sides(viewer, case)


@dataclass(frozen=True)
class Comparison:
    chosen: list[PathwayReadiness]
    others: list[PathwayReadiness]
    chosen_ids: set
    gone: list  # pathways chosen earlier and since taken out of the catalogue
    may_change: bool


def comparison(viewer, case, catalogue: Catalogue) -> Comparison:
    """Every pathway of the catalogue assessed for ``case``, the chosen ones apart."""
    chosen = chosen_for(viewer, case)
    chosen_ids = {row.pathway_id for row in chosen}
    ranked_chosen, others = readiness_compared(catalogue, holdings_for(viewer, case), chosen_ids)
    return Comparison(
        chosen=ranked_chosen,
        others=others,
        chosen_ids=chosen_ids,
        gone=[row for row in chosen if catalogue.get(row.pathway_id) is None],
        may_change=may_change(viewer, case),
    )


@dataclass(frozen=True)
class Checklist:
    chosen: CasePathway | None
    result: PathwayReadiness
    gap_tasks: dict[str, Task]
    may_change: bool
    items: list  # the items the viewer may mark, oldest first; none unless he may change


def checklist(viewer, case, pathway: Pathway) -> Checklist:
    """One pathway's readiness for ``case`` as ``viewer`` may see it."""
    chosen = next(
        (row for row in chosen_for(viewer, case) if row.pathway_id == pathway.id), None
    )
    changes = may_change(viewer, case)
    items = []
    if changes:
        items = list(
            evidence.items_for(viewer, case=case).order_by("acquired_on", "ingested_at")
        )
    return Checklist(
        chosen=chosen,
        result=assess(pathway, holdings_for(viewer, case)),
        gap_tasks=open_gap_tasks(viewer, case, pathway.id) if chosen else {},
        may_change=changes,
        items=items,
    )


def markable_item(viewer, case, item_id):
    """The item of ``case`` with this id that ``viewer`` may see, or None."""
    try:
        return evidence.items_for(viewer, case=case).filter(pk=item_id).first()
    except (ValidationError, ValueError):
        return None
