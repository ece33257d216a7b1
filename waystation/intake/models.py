"""Anonymous requests for help and the conversation with the person who sent them.

Nothing here identifies the sender's device or connection: no IP address, user agent,
referrer or account. The sender is known only by a diceware codename, of which only a slow,
keyed hash is kept (``lookup``). Message texts and file names are encrypted in the application;
country, city, languages and the kind of help stay in the clear (inside the encrypted database)
so that the triage queue can sort and filter them.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from waystation.core.fields import EncryptedTextField, ServerSealedTextField


class Urgency(models.TextChoices):
    # The order is the triage order: most urgent first.
    DETAINED = "detained", _("Detained")
    DANGER = "danger", _("In danger now")
    TRANSIT = "transit", _("In transit")
    STABLE = "stable", _("Stable")


URGENCY_RANK = {Urgency.DETAINED: 1, Urgency.DANGER: 2, Urgency.TRANSIT: 3, Urgency.STABLE: 4}


class HelpKind(models.TextChoices):
    HOUSING = "housing", _("Housing")
    MONEY = "money", _("Money")
    LAWYER = "lawyer", _("Lawyer")
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    FOOD = "food", _("Food")
    DOCUMENTS = "documents", _("Documents")
    RELOCATION = "relocation", _("Relocation to a safe country")
    OTHER = "other", _("Other")


class RequestState(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("In conversation")
    SPAM = "spam", _("Spam")
    REJECTED = "rejected", _("Declined")
    CONVERTED = "converted", _("Became a case")


class IntakeRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Argon2id(codename, instance salt), hex: finds the request from the codename alone and
    # cannot be reversed into it.
    lookup = models.CharField(max_length=64, unique=True, editable=False)
    urgency = models.CharField(_("situation"), max_length=20, choices=Urgency.choices)
    urgency_rank = models.PositiveSmallIntegerField(editable=False)
    country = CountryField(_("country"), blank=True)
    city = ServerSealedTextField(_("city"), max_length=120, blank=True)
    languages = ServerSealedTextField(_("languages"), max_length=200, blank=True)
    help_needed = models.CharField(max_length=200, blank=True)  # HelpKind codes, space-delimited
    people_with = models.PositiveSmallIntegerField(_("people with him or her"), default=0)
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.NEW)
    # The requester wrote and no member has opened the thread since.
    unread = models.BooleanField(default=True)
    # Days only, never times: a time of day would help match a request to network logs.
    received_on = models.DateField(default=timezone.localdate)
    last_message_on = models.DateField(default=timezone.localdate)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )

    class Meta:
        ordering = ["urgency_rank", "received_on", "id"]
        indexes = [
            models.Index(fields=["state", "urgency_rank", "received_on"], name="intake_queue"),
            models.Index(fields=["unread", "state"], name="intake_unread"),
        ]

    def __str__(self):
        return f"request {str(self.id)[:8]}"

    @property
    def help_codes(self) -> list[str]:
        return self.help_needed.split()

    def get_help_display(self) -> list[str]:
        labels = dict(HelpKind.choices)
        return [labels[code] for code in self.help_codes if code in labels]


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(IntakeRequest, on_delete=models.CASCADE, related_name="messages")
    from_requester = models.BooleanField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = EncryptedTextField()
    # The day, and the place in the thread: no time of day (see IntakeRequest.received_on).
    sent_on = models.DateField(default=timezone.localdate)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="intake_thread_order")
        ]

    def __str__(self):
        return f"message {str(self.id)[:8]}"


class Attachment(models.Model):
    """A file sent with a message. ``blob`` is what members see (images without their EXIF and
    GPS data); ``original_blob`` is kept only when the sender agreed to it as evidence. The
    SHA-256 values are encrypted like the name: in the clear (on PostgreSQL) a hash confirms
    that the group holds a known photo, and the blob names, keyed hashes, find duplicates."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    name = EncryptedTextField()
    media_type = ServerSealedTextField(max_length=100)
    size = models.BigIntegerField()
    sha256 = EncryptedTextField()
    blob = models.CharField(max_length=64)
    original_blob = models.CharField(max_length=64, blank=True)
    original_sha256 = EncryptedTextField()
    # The sender's answers on the portal, given with the file. ``consent_asked`` is False for
    # files sent before the portal asked (their uses are "not recorded": they go nowhere).
    # ``keep_original``: the untouched original may be kept as evidence (not only the copy
    # without metadata). ``consent_scope``: the uses agreed to (RELEASE_USES), none by default.
    consent_asked = models.BooleanField(default=False)
    keep_original = models.BooleanField(default=False)
    consent_scope = models.JSONField(default=list, blank=True)
    # The evidence item it became (waystation.evidence.from_intake), once taken.
    evidence_item = models.UUIDField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"attachment {str(self.id)[:8]}"

    def get_consent_display(self) -> list[str]:
        labels = dict(ReleaseUse.choices)
        return [str(labels[use]) for use in self.consent_scope or () if use in labels]


class ReleaseUse(models.TextChoices):
    """Where a sender may agree his file goes (evidence.models.Recipient codes)."""

    COURT = "court", _("Courts and international investigators")
    UN = "un", _("United Nations bodies")
    NGO = "ngo", _("Human rights organisations")
    MEDIA = "media", _("Journalists and the media")
