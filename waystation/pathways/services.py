"""Writes: proposing a correction to a pathway and deciding on it, each with its audit row."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, can
from waystation.audit.events import Event
from waystation.audit.services import record

from .models import Proposal, ProposalStatus


class ProposalError(Exception):
    """A decision that cannot be made; the message says why."""


def proposal_create(*, actor, pathway_id: str, text: str) -> Proposal:
    if not can(actor, Perm.PATHWAYS_VIEW):
        raise PermissionDenied
    with transaction.atomic():
        proposal = Proposal.objects.create(pathway_id=pathway_id, text=text.strip(), author=actor)
        record(Event.PATHWAY_EDIT_PROPOSED, actor=actor, obj=proposal, data={"pathway": pathway_id})
    return proposal


def proposal_decide(*, actor, proposal: Proposal, accept: bool, note: str = "") -> Proposal:
    """Accepting changes no file: it records that someone must edit the pathway's file."""
    if not can(actor, Perm.PATHWAYS_REVIEW):
        raise PermissionDenied
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            raise ProposalError(_("This proposal was already decided."))
        proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.note = note.strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "note"])
        record(
            Event.PATHWAY_PROPOSAL_DECIDED,
            actor=actor,
            obj=proposal,
            data={"pathway": proposal.pathway_id, "decision": proposal.status},
        )
    return proposal
