"""Screening: the structured interview before relocation help, the exclusion concerns it
raises, what corroborates or contradicts the account, a psychological assessment, and a
decision that two screeners make together.

Everything a screener writes is encrypted field by field (the interview, concerns, notes,
reasons); plain, to list and count: dates, who recorded what, the legal ground of a concern,
the decision's kind and outcome. Decisions are append-only rows: the current state of a
screening is derived from its last decision, so a reopening keeps every earlier decision.
Primary keys are UUIDs: encrypted fields bind their ciphertext to the row id.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waystation.core.fields import EncryptedTextField
from waystation.core.recording import Recorded

_USER = settings.AUTH_USER_MODEL


class Ground(models.TextChoices):
    """The exclusion clauses a concern is measured against: Refugee Convention Art. 1F and
    EU Qualification Directive 2011/95/EU Art. 12(2)."""

    WAR_CRIME = (
        "war_crime",
        _("A war crime or a crime against humanity (Art. 1F(a); QD Art. 12(2)(a))"),
    )
    CRIME_AGAINST_PEACE = (
        "crime_against_peace",
        _("A crime against peace (Art. 1F(a); QD Art. 12(2)(a))"),
    )
    SERIOUS_NON_POLITICAL = (
        "serious_non_political",
        _(
            "A serious non-political crime outside the country of refuge (Art. 1F(b); "
            "QD Art. 12(2)(b))"
        ),
    )
    UN_PURPOSES = (
        "un_purposes",
        _(
            "Acts contrary to the purposes and principles of the United Nations (Art. 1F(c); "
            "QD Art. 12(2)(c))"
        ),
    )


class Standard(models.TextChoices):
    """Where a concern stands against the standard of proof of Art. 1F: "serious reasons for
    considering" that the person committed or took part in the act."""

    TO_EXAMINE = "to_examine", _("To examine: not yet measured against the standard")
    SERIOUS_REASONS = "serious_reasons", _("Serious reasons for considering: the standard is met")
    NOT_MET = "not_met", _("The standard is not met")


class AssessmentResult(models.TextChoices):
    NO_CONCERN = "no_concern", _("No concern for the decision")
    SUPPORT = "support", _("Support recommended")
    CONCERN = "concern", _("Concerns the decision must weigh")


class Outcome(models.TextChoices):
    PROCEED = "proceed", _("Proceed")
    PROCEED_WITH_CONDITIONS = "conditions", _("Proceed with conditions")
    DECLINE = "decline", pgettext_lazy("screening outcome", "Decline")
    REFER = "refer", _("Refer elsewhere")


class DecisionKind(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed by a second screener")
    DISAGREED = "disagreed", _("Disagreement: sent to a coordinator")
    RESOLVED = "resolved", _("Resolved by a coordinator")
    REOPENED = "reopened", _("Reopened")


class State(models.TextChoices):
    """What anyone who may see the case learns: not screened, in progress, decided."""

    NOT_SCREENED = "not_screened", _("Not screened")
    IN_PROGRESS = "in_progress", _("Screening in progress")
    DECIDED = "decided", _("Screening decided")


class Stage(models.TextChoices):
    """The finer state screeners and coordinators work with."""

    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Awaiting a second screener")
    DISAGREEMENT = "disagreement", _("Disagreement: with a coordinator")
    DECIDED = "decided", _("Decided")


# The stage after a decision of each kind (the last row decides the stage).
STAGE_AFTER = {
    DecisionKind.PROPOSED: Stage.AWAITING_CONFIRMATION,
    DecisionKind.CONFIRMED: Stage.DECIDED,
    DecisionKind.DISAGREED: Stage.DISAGREEMENT,
    DecisionKind.RESOLVED: Stage.DECIDED,
    DecisionKind.REOPENED: Stage.IN_PROGRESS,
}


class Screening(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="screening", verbose_name=_("case")
    )
    opened_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    interviewed_on = models.DateField(_("interview date"), null=True, blank=True)
    # Service history
    unit = EncryptedTextField(_("unit"))
    rank = EncryptedTextField(_("rank"))
    periods = EncryptedTextField(_("periods of service"))
    places = EncryptedTextField(_("places of service"))
    # The account
    saw = EncryptedTextField(_("what he saw"))
    did = EncryptedTextField(_("what he did"))
    left = EncryptedTextField(_("how he left"))
    credibility = EncryptedTextField(_("credibility notes"))
    updated_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    # Psychological assessment: the referral and, later, the professional's result.
    referred_on = models.DateField(_("referred on"), null=True, blank=True)
    referral = EncryptedTextField(_("referral"))
    assessed_on = models.DateField(_("assessed on"), null=True, blank=True)
    assessment_result = models.CharField(
        _("result"), max_length=20, choices=AssessmentResult.choices, blank=True
    )
    assessment = EncryptedTextField(_("assessment"))
    assessment_entered_by = models.ForeignKey(
        _USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return f"screening {str(self.id)[:8]}"


class Concern(Recorded):
    """An exclusion concern: what the person may have done, the clause it falls under and
    where it stands against the standard of proof. Append-only: a changed view is a new
    concern, so the record shows how the view developed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="concerns")
    ground = models.CharField(_("ground"), max_length=30, choices=Ground.choices)
    standard = models.CharField(_("against the standard"), max_length=20, choices=Standard.choices)
    description = EncryptedTextField(_("what gives rise to the concern"))

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self):
        return f"concern {str(self.id)[:8]}"


class Corroboration(models.Model):
    """An evidence item or a testimony of the same case that bears on the account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(
        Screening, on_delete=models.PROTECT, related_name="corroborations"
    )
    item = models.ForeignKey(
        "evidence.Item", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    testimony = models.ForeignKey(
        "evidence.Testimony", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(_("what it shows"))
    linked_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["linked_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(item__isnull=False, testimony__isnull=True)
                | models.Q(item__isnull=True, testimony__isnull=False),
                name="corroboration_one_source",
            )
        ]

    def __str__(self):
        return f"corroboration {str(self.id)[:8]}"


class Decision(models.Model):
    """One step of the decision, never changed or deleted: a proposal, its confirmation or a
    disagreement with it, a coordinator's resolution, a reopening."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="decisions")
    number = models.PositiveIntegerField()  # 1, 2, … within the screening
    kind = models.CharField(_("kind"), max_length=20, choices=DecisionKind.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    reasons = EncryptedTextField(_("reasons"))
    conditions = EncryptedTextField(_("conditions"))
    no_conflict = models.BooleanField(_("no conflict of interest declared"), default=False)
    proposal = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["screening", "number"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "number"], name="decision_number")
        ]

    def __str__(self):
        return f"decision {self.number} ({self.kind})"

    @property
    def stage(self) -> str:
        return STAGE_AFTER[self.kind]


class ExportClearance(models.Model):
    """A coordinator's confirmation that the evidence of a person with exclusion concerns may
    be exported (a witness can also be a perpetrator). It covers the concerns recorded before
    it; a concern recorded later needs a new one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="clearances")
    reasons = EncryptedTextField(_("reasons"))
    cleared_by = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cleared_at"]

    def __str__(self):
        return f"export clearance {str(self.id)[:8]}"
