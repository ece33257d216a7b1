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

from waystation.core.fields import EncryptedTextField


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
