"""Reads for the dossier: who may make one of a case, whether with the identity, and what the
dossier page offers to choose (the viewer's testimonies and items of the case)."""

from dataclasses import dataclass

from waystation.accounts.policy import Perm, Side, can, case_sides
from waystation.cases.models import Case
from waystation.evidence.selectors import items_for, testimonies_for

from .. import catalogue


def may_build(actor, case: Case) -> bool:
    """A dossier shows the legal side of a case (timeline, risks, documents). A command's
    system actor holds the sides it was given where it was made (``system_actor(sides=…)``)."""
    return can(actor, Perm.DOSSIER_BUILD) and Side.LEGAL in case_sides(actor, case)


def may_include_identity(actor, case: Case) -> bool:
    return (
        may_build(actor, case)
        and can(actor, Perm.DOSSIER_IDENTITY)
        and Side.IDENTITY in case_sides(actor, case)
    )


@dataclass(frozen=True)
class Offer:
    """What the dossier page of one case offers its viewer."""

    pathways: tuple
    testimonies: list
    items: list
    identity: bool


def offer(viewer, case: Case) -> Offer | None:
    """What ``viewer`` may put into a dossier of ``case``; None when he may make none."""
    if not may_build(viewer, case):
        return None
    return Offer(
        pathways=catalogue.current().pathways,
        testimonies=list(testimonies_for(viewer, case=case)),
        items=list(items_for(viewer, case=case).order_by("acquired_on", "ingested_at")),
        identity=may_include_identity(viewer, case),
    )
