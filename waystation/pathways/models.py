"""Proposed corrections to the pathway catalogue. The catalogue itself is not here: it is the
YAML files in ``catalogue/``. A proposal records what someone thinks should change and what a
coordinator decided; an accepted proposal still waits for someone to edit the file.

The proposal and the coordinator's note are encrypted: they are meant to cite laws and
decisions, but people write what they know, and that can include a case."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waystation.core.fields import EncryptedTextField, ServerSealedTextField

from .vocabulary import EvidenceKind


class ProposalStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("proposal status", "Open")
    ACCEPTED = "accepted", _("Accepted: the file must be edited")
    DECLINED = "declined", pgettext_lazy("proposal status", "Declined")


class Proposal(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pathway_id = models.CharField(_("pathway"), max_length=60)
    text = EncryptedTextField(_("proposed correction"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pathway_proposals",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed on"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    note = EncryptedTextField(_("coordinator's note"))

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self):
        return f"{self.pathway_id} ({self.get_status_display()})"


class CasePathway(models.Model):
    """A pathway the team works towards for one case. The pathway is named by its catalogue id:
    the catalogue is files, not rows, and a pathway taken out of it stays listed here so that
    nobody loses sight of the choice."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="pathways", verbose_name=_("case")
    )
    pathway_id = models.CharField(_("pathway"), max_length=60)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("chosen by"),
    )
    chosen_at = models.DateTimeField(_("chosen on"), default=timezone.now)
    note = ServerSealedTextField(
        _("note"),
        max_length=300,
        blank=True,
        help_text=_("Why this pathway, in a few words. Never routes or helpers' names."),
    )

    class Meta:
        ordering = ["chosen_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["case", "pathway_id"], name="pathways_case_pathway")
        ]

    def __str__(self):
        return f"{self.case_id}: {self.pathway_id}"


class GapTask(models.Model):
    """Links a case task to the pathway criterion it was made for, so that a second click on
    the same gap finds the open task instead of making another."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    pathway_id = models.CharField(max_length=60)
    criterion_id = models.CharField(max_length=60)
    task = models.OneToOneField("cases.Task", on_delete=models.CASCADE, related_name="pathway_gap")

    class Meta:
        indexes = [
            models.Index(fields=["case", "pathway_id", "criterion_id"], name="pathways_gap_task")
        ]

    def __str__(self):
        return f"{self.pathway_id}/{self.criterion_id} → task {self.task_id}"


class EvidenceMark(models.Model):
    """An evidence item of a case marked, by someone holding its legal side, as showing one
    kind of evidence a pathway asks for: proof of anti-war work in a video, of ties to a
    country in a letter, of threats in a photograph of a summons. What a file shows is in its
    content, which readiness does not read; the mark says it. Readiness counts a marked item
    as strongly as it was checked (see ``readiness.py``)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        "evidence.Item",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("evidence item"),
    )
    kind = models.CharField(_("shows"), max_length=40, choices=EvidenceKind.choices)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked on"), default=timezone.now)

    class Meta:
        ordering = ["marked_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "kind"], name="pathways_evidence_mark")
        ]
        indexes = [models.Index(fields=["case", "kind"], name="pathways_mark_case")]

    def __str__(self):
        return f"{self.item_id}: {self.kind}"
