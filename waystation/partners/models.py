import json
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.core.fields import EncryptedTextField
from waystation.evidence.models import SealedJSONField

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
    sender_chain = SealedJSONField(default=list)  # hashes: sealed on PostgreSQL

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

# -- transport and trust (partners-wire): partner instances known by their cards, and the
# packages received from them. A partner is trusted because a coordinator compared its card's
# fingerprint with the partner's people by another channel before adding it; revoking it refuses
# every package it sends from then on. A received package waits as it came: the age file (still
# encrypted to this instance) in the blob store, its manifest in an encrypted field.


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    card = models.TextField(_("card"))  # as received: keys and fingerprint only, no people
    signing_key = models.CharField(_("signing key"), max_length=80)
    age_recipient = models.CharField(_("age recipient"), max_length=100)
    instance_id = models.CharField(_("instance id"), max_length=40, db_index=True)
    fingerprint = models.CharField(_("fingerprint"), max_length=60)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            # One trusted partner per instance: a package names its sender by instance id.
            models.UniqueConstraint(
                fields=["instance_id"],
                condition=models.Q(revoked_at__isnull=True),
                name="partners_one_active_partner_per_instance",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class PackageKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER = "transfer", _("Transfer")
    RECEIPT = "receipt", _("Receipt")


class InboundStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a decision")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


class Inbound(models.Model):
    """A package received from a partner, verified and waiting (or decided)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The sender's id for the package, kept for ever: the same package twice is a replay.
    package_id = models.CharField(_("package id"), max_length=64, unique=True)
    sender = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="inbound", verbose_name=_("sender")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PackageKind.choices)
    created_at = models.DateTimeField(_("sent"))  # as the sender's signed header says
    # The manifest (case content: codename, parts, messages) as JSON, encrypted.
    manifest_json = EncryptedTextField(_("manifest"))
    # The package file as it came (age-encrypted to this instance), in the blob store.
    blob = models.CharField(max_length=64, editable=False)
    blob_sha256 = models.CharField(max_length=64, editable=False)
    size = models.BigIntegerField(_("size"))
    # The files inside: [{"name", "size", "sha256"}], names only (what they are is the manifest's).
    files = SealedJSONField(default=list)  # names and SHA-256: sealed on PostgreSQL
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InboundStatus.choices, default=InboundStatus.QUEUED
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_message = EncryptedTextField(_("message"))
    # partners-cases adds here what accepting made (the new case, …).

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("received package")
        verbose_name_plural = _("received packages")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.package_id[:8]}"

    @property
    def manifest(self) -> dict:
        return json.loads(self.manifest_json) if self.manifest_json else {}
