import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.core.fields import EncryptedTextField, ServerSealedTextField


class Token(models.Model):
    """A member's personal access token for the API. The token itself is shown once, when it
    is made; only its keyed digest (HMAC under a sub-key of the master key) is stored, so a
    copy of the database cannot be used to call the API. ``scopes`` are permission codes of
    the one policy table, a subset of the member's own when the token was made; a call is
    allowed only what both the token's scopes and the member's roles of the moment allow."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = ServerSealedTextField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters after the prefix, shown in lists so that a member can tell which
    # of his tokens is which (not enough to guess the rest: 43 random characters follow).
    hint = models.CharField(max_length=12, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The per-token rate limit's window (one minute) and the calls counted in it; the first
    # call of each window writes the audit row (api.token_used), so at most one a minute.
    window_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    window_calls = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class Upload(models.Model):
    """A resumable upload of evidence (tus), until its last byte makes it an item. Its bytes
    are on disk only encrypted (``core.blobstore.resumable``, files named by ``key``); this row
    says whose it is, for which case, how long it is and what the item will say. Unfinished
    uploads expire (``api.uploads.uploads_expire`` removes their files and rows)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(Token, on_delete=models.CASCADE, related_name="uploads")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    length = models.BigIntegerField()
    offset = models.BigIntegerField(default=0)  # the last request's; the disk has the final word
    original_name = EncryptedTextField()
    acquired_how = models.CharField(max_length=20)
    acquired_from = EncryptedTextField()
    description = EncryptedTextField()
    item = models.ForeignKey(
        "evidence.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"upload {self.pk}"

    @property
    def key(self) -> str:
        """The name of its files in the store's resumable folder."""
        return self.id.hex
