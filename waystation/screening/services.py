"""Writes for screening. Each service checks its permission first (the policy: screeners
edit, coordinators resolve, reopen and clear) and records its audit row in the same
transaction. What the four-eyes rule demands is checked here too, so that no path round the
web pages can skip it: a decision is final only when a second screener, not the one who
proposed it, confirms it, and both declare that they have no conflict of interest.

Decisions are rows that are never changed: each service appends one, numbered within its
screening under a lock on the screening row, so two screeners acting at once cannot both
confirm or both propose."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.core.refusals import Refusal

from .models import (
    Concern,
    Corroboration,
    Decision,
    DecisionKind,
    ExportClearance,
    Outcome,
    Screening,
    Stage,
)
from .selectors import status_of

INTERVIEW_FIELDS = ("unit", "rank", "periods", "places", "saw", "did", "left", "credibility")


class ScreeningError(Refusal):
    """A refusal with a message for the person; nothing was written."""


def _locked(screening: Screening) -> Screening:
    return Screening.objects.select_for_update().get(pk=screening.pk)


def screening_open(*, actor, case) -> Screening:
    """The case's screening, opened (and audited) if it has none yet."""
    check(actor, Perm.SCREENING_EDIT)
    with transaction.atomic():
        found = Screening.objects.select_for_update().filter(case=case).first()
        if found is not None:
            return found
        screening = Screening.objects.create(case=case, opened_by=actor, updated_by=actor)
        record(
            AuditEvent.SCREENING_RECORDED,
            actor=actor,
            obj=screening,
            data={"case": case.pk, "opened": True},
        )
    return screening


def interview_record(*, actor, case, interviewed_on=None, **fields) -> Screening:
    """Write the structured interview: service history and the account, credibility notes."""
    check(actor, Perm.SCREENING_EDIT)
    unknown = set(fields) - set(INTERVIEW_FIELDS)
    if unknown:
        raise TypeError(f"not interview fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        screening = _locked(screening_open(actor=actor, case=case))
        changed = []
        for name, value in fields.items():
            value = (value or "").strip()
            if value != getattr(screening, name):
                setattr(screening, name, value)
                changed.append(name)
        if interviewed_on != screening.interviewed_on:
            screening.interviewed_on = interviewed_on
            changed.append("interviewed_on")
        if changed:
            screening.updated_by, screening.updated_at = actor, timezone.now()
            screening.save(update_fields=[*changed, "updated_by", "updated_at"])
            record(
                AuditEvent.SCREENING_RECORDED,
                actor=actor,
                obj=screening,
                data={"case": case.pk, "fields": sorted(changed)},
            )
    return screening


def screening_read(*, actor, screening: Screening) -> None:
    """The audit row of a reading of the whole record (the interview, concerns, notes)."""
    check(actor, Perm.SCREENING_VIEW)
    with transaction.atomic():
        record(
            AuditEvent.SCREENING_READ,
            actor=actor,
            obj=screening,
            data={"case": screening.case_id},
        )


def concern_record(*, actor, screening, ground: str, standard: str, description: str) -> Concern:
    check(actor, Perm.SCREENING_EDIT)
    description = description.strip()
    if not description:
        raise ScreeningError(_("Say what gives rise to the concern."))
    with transaction.atomic():
        concern = Concern.objects.create(
            screening=_locked(screening),
            ground=ground,
            standard=standard,
            description=description,
            recorded_by=actor,
        )
        record(
            AuditEvent.SCREENING_CONCERN,
            actor=actor,
            obj=concern,
            # The ground and the standard stay in the encrypted record, not in the log.
            data={"case": screening.case_id},
        )
    return concern


def corroboration_link(*, actor, screening, item=None, testimony=None, note: str = ""):
    """Link an evidence item or a testimony of the same case to the screening."""
    check(actor, Perm.SCREENING_EDIT)
    source = item if item is not None else testimony
    if (item is None) == (testimony is None):
        raise ScreeningError(_("Choose one evidence item or one testimony."))
    if source.case_id != screening.case_id:
        raise ScreeningError(_("Only the evidence of this person's own case can be linked."))
    with transaction.atomic():
        link = Corroboration.objects.create(
            screening=screening, item=item, testimony=testimony, note=note.strip(), linked_by=actor
        )
        record(
            AuditEvent.SCREENING_CORROBORATION,
            actor=actor,
            obj=link,
            data={
                "case": screening.case_id,
                "item": str(item.pk) if item else None,
                "testimony": str(testimony.pk) if testimony else None,
            },
        )
    return link


def referral_record(*, actor, screening, referred_on, referral: str) -> None:
    """Refer the person for a psychological assessment (to whom, and why)."""
    check(actor, Perm.SCREENING_EDIT)
    referral = referral.strip()
    if not referral:
        raise ScreeningError(_("Say to whom the person is referred, and why."))
    with transaction.atomic():
        locked = _locked(screening)
        locked.referred_on, locked.referral = referred_on, referral
        locked.save(update_fields=["referred_on", "referral"])
        record(
            AuditEvent.SCREENING_ASSESSMENT,
            actor=actor,
            obj=locked,
            data={"case": screening.case_id, "step": "referred"},
        )


def assessment_record(*, actor, screening, assessed_on, result: str, assessment: str) -> None:
    """The psychological professional's result, entered by a screener (see docs/screening.md:
    the professional is usually outside the group and has no account)."""
    check(actor, Perm.SCREENING_EDIT)
    assessment = assessment.strip()
    if not assessment:
        raise ScreeningError(_("Write down what the professional concluded."))
    with transaction.atomic():
        locked = _locked(screening)
        locked.assessed_on, locked.assessment_result = assessed_on, result
        locked.assessment, locked.assessment_entered_by = assessment, actor
        locked.save(
            update_fields=[
                "assessed_on",
                "assessment_result",
                "assessment",
                "assessment_entered_by",
            ]
        )
        record(
            AuditEvent.SCREENING_ASSESSMENT,
            actor=actor,
            obj=locked,
            data={"case": screening.case_id, "step": "result"},  # the result: not in the log
        )


# -- the decision -----------------------------------------------------------------------------


def _check_declaration(reasons: str, no_conflict: bool) -> str:
    reasons = reasons.strip()
    if not reasons:
        raise ScreeningError(_("Give the reasons: a decision without reasons is not recorded."))
    if not no_conflict:
        raise ScreeningError(
            _("Declare that you have no conflict of interest, or leave this decision to others.")
        )
    return reasons


def _check_outcome(outcome: str, conditions: str) -> str:
    if outcome not in Outcome.values:
        raise ScreeningError(_("Choose an outcome."))
    conditions = conditions.strip()
    if outcome == Outcome.PROCEED_WITH_CONDITIONS and not conditions:
        raise ScreeningError(_("Say which conditions apply."))
    return conditions if outcome == Outcome.PROCEED_WITH_CONDITIONS else ""


def _append(
    *,
    actor,
    screening,
    kind,
    outcome="",
    reasons="",
    conditions="",
    no_conflict=False,
    proposal=None,
) -> Decision:
    number = (
        screening.decisions.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    decision = Decision.objects.create(
        screening=screening,
        number=number,
        kind=kind,
        outcome=outcome,
        reasons=reasons,
        conditions=conditions,
        no_conflict=no_conflict,
        proposal=proposal,
        actor=actor,
    )
    record(
        AuditEvent.SCREENING_DECISION,
        actor=actor,
        obj=decision,
        data={
            "case": screening.case_id,
            "screening": str(screening.pk),
            "number": number,
            "kind": kind,
            "outcome": outcome,
        },
    )
    return decision


def _in_stage(screening, *stages) -> tuple[Screening, Decision | None]:
    locked = _locked(screening)
    status = status_of(locked)
    if status.stage not in stages:
        raise ScreeningError(
            _("This screening is no longer at that step (it is now: %(stage)s). Reload the page.")
            % {"stage": Stage(status.stage).label}
        )
    return locked, status.last


def decision_propose(
    *, actor, screening, outcome: str, reasons: str, no_conflict: bool, conditions: str = ""
) -> Decision:
    """The first screener's proposal. It is not final: a second screener must confirm it."""
    check(actor, Perm.SCREENING_EDIT)
    reasons = _check_declaration(reasons, no_conflict)
    conditions = _check_outcome(outcome, conditions)
    with transaction.atomic():
        locked, _last = _in_stage(screening, Stage.IN_PROGRESS)
        return _append(
            actor=actor,
            screening=locked,
            kind=DecisionKind.PROPOSED,
            outcome=outcome,
            reasons=reasons,
            conditions=conditions,
            no_conflict=True,
        )


def decision_review(*, actor, screening, agree: bool, reasons: str, no_conflict: bool) -> Decision:
    """The second screener confirms the proposal (it becomes final) or disagrees (it goes to
    a coordinator). The one who proposed cannot be the one who confirms."""
    check(actor, Perm.SCREENING_EDIT)
    reasons = _check_declaration(reasons, no_conflict)
    with transaction.atomic():
        locked, proposal = _in_stage(screening, Stage.AWAITING_CONFIRMATION)
        if proposal.actor_id == actor.pk:
            raise ScreeningError(
                _(
                    "You proposed this decision, so you cannot confirm or dispute it: a second "
                    "screener must."
                )
            )
        return _append(
            actor=actor,
            screening=locked,
            kind=DecisionKind.CONFIRMED if agree else DecisionKind.DISAGREED,
            outcome=proposal.outcome if agree else "",
            conditions=proposal.conditions if agree else "",
            reasons=reasons,
            no_conflict=True,
            proposal=proposal,
        )


def decision_resolve(
    *, actor, screening, outcome: str, reasons: str, no_conflict: bool, conditions: str = ""
) -> Decision:
    """A coordinator settles a disagreement. Neither of the two screeners may do it."""
    check(actor, Perm.SCREENING_RESOLVE)
    reasons = _check_declaration(reasons, no_conflict)
    conditions = _check_outcome(outcome, conditions)
    with transaction.atomic():
        locked, disagreement = _in_stage(screening, Stage.DISAGREEMENT)
        if actor.pk in (disagreement.actor_id, disagreement.proposal.actor_id):
            raise ScreeningError(
                _("You took part in this disagreement: another coordinator must resolve it.")
            )
        return _append(
            actor=actor,
            screening=locked,
            kind=DecisionKind.RESOLVED,
            outcome=outcome,
            reasons=reasons,
            conditions=conditions,
            no_conflict=True,
            proposal=disagreement.proposal,
        )


def decision_reopen(*, actor, screening, reasons: str) -> Decision:
    """Reopen a final decision: it stays in the history, and the screening is in progress
    again until two screeners decide anew. Only a coordinator may: a screener who could reopen
    alone could undo two people's decision, or a coordinator's resolution, and propose again."""
    check(actor, Perm.SCREENING_RESOLVE)  # a coordinator's, never a screener's alone
    reasons = reasons.strip()
    if not reasons:
        raise ScreeningError(_("Say why the decision is reopened."))
    with transaction.atomic():
        locked, _last = _in_stage(screening, Stage.DECIDED)
        return _append(actor=actor, screening=locked, kind=DecisionKind.REOPENED, reasons=reasons)


def export_clear(*, actor, screening, reasons: str) -> ExportClearance:
    """A coordinator confirms that the evidence of a person with exclusion concerns may be
    exported. It covers the concerns recorded so far."""
    check(actor, Perm.SCREENING_RESOLVE)
    reasons = reasons.strip()
    if not reasons:
        raise ScreeningError(_("Say why the evidence may be exported."))
    with transaction.atomic():
        locked = _locked(screening)
        if not locked.concerns.exists():
            raise ScreeningError(
                _("No exclusion concern is recorded: the evidence can be exported already.")
            )
        clearance = ExportClearance.objects.create(
            screening=locked, reasons=reasons, cleared_by=actor
        )
        record(
            AuditEvent.SCREENING_EXPORT_CLEARED,
            actor=actor,
            obj=clearance,
            data={"case": screening.case_id, "concerns": locked.concerns.count()},
        )
    return clearance
