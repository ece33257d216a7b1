from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import Event

GENESIS_MAC = "0" * 64


class AuditEvent(models.Model):
    """One link of the append-only, hash-chained audit log.

    ``mac`` = HMAC(audit key, previous row's mac ‖ canonical JSON of this row's fields), so an
    edited, deleted, inserted or reordered row breaks the chain at that point. Database
    triggers refuse UPDATE and DELETE; the chain catches whoever bypasses them.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["actor", "-seq"]),
            models.Index(fields=["event", "-seq"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self):
        return f"#{self.seq} {self.event}"

    def canonical_fields(self) -> dict:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor_id,
            "event": self.event,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
        }


class AuditChainHead(models.Model):
    """The single row naming the newest link. Appends lock it, so concurrent writers (several
    app servers on PostgreSQL) never fork the chain, and it lets verify notice a cut-off tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, default=GENESIS_MAC)

    def __str__(self):
        return f"head #{self.seq}"
