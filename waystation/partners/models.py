import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.core.fields import EncryptedTextField

# -- the case content of a package (partners-cases): what was sent, and what accepting made.
# Partner and Inbound (the transport and trust side) live below; these name a package by its
# id and a partner by its name, so a revoked partner or a purged inbox entry keeps the record.


class Kind(models.TextChoices):
    REFERRAL = "referral", _("Referral (they help, we keep the case)")
    TRANSFER = "transfer", _("Transfer (the case moves to them)")


class Answer(models.TextChoices):
    PENDING = "pending", _("Waiting for their answer")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Outbound(models.Model):
    """A package sent from a case: to whom, which parts (ids and kinds, never names), and
    the partner's answer once its receipt is imported. A transfer's case is closed only
    when the answer is "accepted"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="partner_packages"
    )
    partner = models.CharField(_("partner"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    package_id = models.CharField(max_length=64, unique=True)
    parts = models.JSONField(default=list)  # [{"kind": "item", "id": "…"}, {"kind": "care"}]
    message = EncryptedTextField(_("message"), blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.CharField(
        _("answer"), max_length=20, choices=Answer.choices, default=Answer.PENDING
    )
    answer_message = EncryptedTextField(_("their message"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    new_codename = models.CharField(max_length=40, blank=True)  # the case's name over there

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"{self.kind} {self.package_id[:8]} → {self.partner}"

    @property
    def closes_case(self) -> bool:
        return self.kind == Kind.TRANSFER and self.answer == Answer.ACCEPTED


class Decision(models.Model):
    """What a coordinator here decided about a received package (by its id): accepted, with
    the case it made, or declined, with the reason; and the receipt that answers it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    package_id = models.CharField(max_length=64, unique=True)
    sender = models.CharField(_("sender"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    answer = models.CharField(_("answer"), max_length=20, choices=Answer.choices)
    message = EncryptedTextField(_("message"), blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self):
        return f"{self.answer} {self.package_id[:8]}"


class ReceivedItem(models.Model):
    """An item taken from a package: the sender's id for it and the sender's custody chain
    as it came (each entry's canonical fields and hashes), so anyone here can recompute it
    up to the "received from partner" entry that continues it."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="items")
    item = models.OneToOneField("evidence.Item", on_delete=models.PROTECT, related_name="+")
    sender_item = models.CharField(max_length=64)
    sender_chain = models.JSONField(default=list)

    def __str__(self):
        return f"{self.sender_item[:8]} → {self.item_id}"


class ReceivedTestimony(models.Model):
    """A testimony taken from a package, and the sender's id for it."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="testimonies")
    testimony = models.OneToOneField(
        "evidence.Testimony", on_delete=models.PROTECT, related_name="+"
    )
    sender_testimony = models.CharField(max_length=64)

    def __str__(self):
        return f"{self.sender_testimony[:8]} → {self.testimony_id}"
