"""Writes: proposing a correction to a pathway and deciding on it; choosing pathways for a
case, turning a readiness gap into a task, marking an evidence item as showing a kind of
evidence. Each checks its permission first (``policy.check``), then writes with its audit
row in the same transaction."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from waystation.accounts import policy
from waystation.accounts.policy import Perm, Side
from waystation.audit import services as audit
from waystation.audit.events import Event
from waystation.cases import services as case_services
from waystation.cases.models import Case, Task
from waystation.core.refusals import NotVisible, Refusal
from waystation.evidence import selectors as evidence
from waystation.evidence.models import Item

from . import catalogue, readiness, selectors
from .catalogue import Pathway
from .models import CasePathway, EvidenceMark, GapTask, Proposal, ProposalStatus
from .readiness import MARKABLE, CriterionReadiness, State


class PathwaysError(Refusal):
    """The root of pathways' refusals: a message for the user; nothing was written."""


class ProposalError(PathwaysError):
    """A decision that cannot be made; the message says why."""


def proposal_create(*, actor, pathway_id: str, text: str) -> Proposal:
    policy.check(actor, Perm.PATHWAYS_VIEW)
    with transaction.atomic():
        proposal = Proposal.objects.create(pathway_id=pathway_id, text=text.strip(), author=actor)
        audit.record(
            Event.PATHWAY_EDIT_PROPOSED, actor=actor, obj=proposal, data={"pathway": pathway_id}
        )
    return proposal


def proposal_decide(*, actor, proposal: Proposal, accept: bool, note: str = "") -> Proposal:
    """Accepting changes no file: it records that someone must edit the pathway's file."""
    policy.check(actor, Perm.PATHWAYS_REVIEW)
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.status != ProposalStatus.OPEN:
            raise ProposalError(_("This proposal was already decided."))
        proposal.status = ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.note = note.strip()
        proposal.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit.record(
            Event.PATHWAY_PROPOSAL_DECIDED,
            actor=actor,
            obj=proposal,
            data={"pathway": proposal.pathway_id, "decision": proposal.status},
        )
    return proposal


# -- pathways chosen for a case ---------------------------------------------------------------
# Choosing, removing and making tasks change the case's legal work: they need the legal side of
# the case (its caseworker, its lawyer, a coordinator), checked here as in the cases' services.


class CasePathwayError(PathwaysError):
    """A refusal with a message for the user; nothing was written."""


def case_pathway_choose(*, actor, case: Case, pathway: Pathway, note: str = "") -> CasePathway:
    policy.check(actor, Perm.CASES_VIEW)
    case_services.require_writable(actor, case, Side.LEGAL)
    if CasePathway.objects.filter(case=case, pathway_id=pathway.id).exists():
        raise CasePathwayError(_("This pathway is already chosen for this case."))
    try:
        with transaction.atomic():
            chosen = CasePathway.objects.create(
                case=case, pathway_id=pathway.id, chosen_by=actor, note=note.strip()
            )
            audit.record(Event.PATHWAY_CHOSEN, actor=actor, obj=case, data={"pathway": pathway.id})
    except IntegrityError:  # the same choice made at the same moment elsewhere
        raise CasePathwayError(_("This pathway is already chosen for this case.")) from None
    return chosen


def case_pathway_remove(*, actor, case: Case, pathway_id: str) -> None:
    """Tasks made for its gaps stay on the case: they are the team's work, not the choice's."""
    policy.check(actor, Perm.CASES_VIEW)
    case_services.require_writable(actor, case, Side.LEGAL)
    with transaction.atomic():
        deleted, _rows = CasePathway.objects.filter(case=case, pathway_id=pathway_id).delete()
        if deleted:
            audit.record(Event.PATHWAY_REMOVED, actor=actor, obj=case, data={"pathway": pathway_id})


def _gap_task_title(pathway: Pathway, gap: CriterionReadiness) -> str:
    """In the language of whoever makes the task: the criterion by its number in the pathway
    (its id is an English word for the files, not for readers)."""
    evidence = _(" or ").join(str(kind.label) for kind in gap.wanted or gap.unrecorded)
    number = next(
        (n for n, criterion in enumerate(pathway.criteria, 1) if criterion.id == gap.criterion.id),
        0,
    )
    title = _("Obtain: %(evidence)s — for %(pathway)s, criterion %(number)s") % {
        "evidence": evidence,
        "pathway": catalogue.localized(pathway.names).text,
        "number": number,
    }
    return Truncator(title).chars(Task._meta.get_field("title").max_length)


def gap_task_create(
    *, actor, case: Case, pathway: Pathway, criterion_id: str
) -> tuple[Task, bool]:
    """A task to obtain what the criterion ``criterion_id`` of ``pathway`` lacks, made through
    the cases' service, and whether it is new: while a task made for the same gap is open, it
    is returned instead of a second. The gap is read here, from what the actor may see of the
    case (as his checklist shows it); an unknown criterion is not found (404)."""
    policy.check(actor, Perm.CASES_VIEW)
    case_services.require_writable(actor, case, Side.LEGAL)
    result = readiness.assess(pathway, selectors.holdings_for(actor, case))
    gap = next((c for c in result.criteria if c.criterion.id == criterion_id), None)
    if gap is None:
        raise NotVisible()
    if gap.state == State.MET:
        raise CasePathwayError(_("This criterion is met: there is nothing to obtain."))
    with transaction.atomic():
        # Serialise clicks on the same case so that two at once make one task.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if not CasePathway.objects.filter(case=case, pathway_id=pathway.id).exists():
            raise CasePathwayError(_("Choose the pathway for this case first."))
        open_gap = (
            GapTask.objects.select_related("task")
            .filter(
                case=case,
                pathway_id=pathway.id,
                criterion_id=gap.criterion.id,
                task__done_at__isnull=True,
            )
            .first()
        )
        if open_gap is not None:
            return open_gap.task, False
        task = case_services.task_add(actor=actor, case=case, title=_gap_task_title(pathway, gap))
        GapTask.objects.create(
            case=case, pathway_id=pathway.id, criterion_id=gap.criterion.id, task=task
        )
        audit.record(
            Event.PATHWAY_GAP_TASK,
            actor=actor,
            obj=case,
            data={"pathway": pathway.id, "criterion": gap.criterion.id, "task": task.pk},
        )
    return task, True


# -- evidence items marked as showing a kind of evidence ----------------------------------------
# Whoever holds the case's legal side and may see the item says what it shows; readiness then
# counts it (see readiness.py). The audit row names the item and the kind, nothing of the file.


def evidence_mark(*, actor, case: Case, item: Item, kind: str) -> tuple[EvidenceMark, bool]:
    """Mark ``item`` as showing ``kind``, and whether the mark is new (marking twice keeps the
    first one)."""
    policy.check(actor, Perm.CASES_VIEW)
    case_services.require_writable(actor, case, Side.LEGAL)
    if not evidence.items_for(actor, case=case).filter(pk=item.pk).exists():
        raise case_services.CaseAccessDenied(case.pk)
    if kind not in MARKABLE:
        raise CasePathwayError(_("Choose what the item shows from the list."))
    with transaction.atomic():
        mark, new = EvidenceMark.objects.get_or_create(
            item=item, kind=kind, defaults={"case": case, "marked_by": actor}
        )
        if new:
            audit.record(
                Event.PATHWAY_EVIDENCE_MARKED,
                actor=actor,
                obj=case,
                data={"item": str(item.pk), "shows": kind},
            )
    return mark, new


def evidence_unmark(*, actor, case: Case, mark_id: int) -> bool:
    """Take a mark back; whether there was one to take back."""
    policy.check(actor, Perm.CASES_VIEW)
    case_services.require_writable(actor, case, Side.LEGAL)
    with transaction.atomic():
        mark = (
            EvidenceMark.objects.select_for_update().filter(case=case, pk=mark_id).first()
        )
        if mark is None:
            return False
        if not evidence.items_for(actor, case=case).filter(pk=mark.item_id).exists():
            raise case_services.CaseAccessDenied(case.pk)
        audit.record(
            Event.PATHWAY_EVIDENCE_UNMARKED,
            actor=actor,
            obj=case,
            data={"item": str(mark.item_id), "shows": mark.kind},
        )
        mark.delete()
    return True
