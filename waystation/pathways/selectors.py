"""Reads: the catalogue filtered for the list page, and the proposals a user may see."""

from django.db.models import QuerySet

from waystation.accounts.policy import Perm, visible

from .catalogue import Catalogue, Pathway, localized
from .models import Proposal, ProposalStatus

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
