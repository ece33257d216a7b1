"""The outreach directory and log: organisations (with their other names), contact people,
every approach made and every response received."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from waystation.core.fields import ServerSealedTextField
from waystation.core.keyring import Purpose
from waystation.core.keys import mac


class OrganisationKind(models.TextChoices):
    EMBASSY = "embassy", _("Embassy or consulate")
    GOVERNMENT = "government", _("Government body")
    UN_AGENCY = "un_agency", _("UN agency")
    NGO = "ngo", _("NGO")
    FOUNDATION = "foundation", _("Foundation")
    MEDIA = "media", _("Media")
    LAWYER_NETWORK = "lawyer_network", _("Lawyer network")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    WEB_FORM = "web_form", _("Web form")
    MESSENGER = "messenger", _("Messenger")
    OTHER = "other", _("Other")


class ResponseKind(models.TextChoices):
    NONE = "none", _("No answer yet")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DECLINED = "declined", _("Declined")
    REFERRED = "referred", _("Referred elsewhere")
    HELP_OFFERED = "help_offered", _("Help offered")
    GRANTED = "granted", _("Granted")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OrganisationKind.choices, default=OrganisationKind.OTHER
    )
    country = CountryField(_("country"), blank=True, help_text=_("The country it belongs to."))
    city = models.CharField(_("city"), max_length=120, blank=True)
    website = models.URLField(_("website"), blank=True)
    notes = ServerSealedTextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["kind"]), models.Index(fields=["country"])]

    def __str__(self):
        return self.name


class OrganisationName(models.Model):
    """Every name an organisation is known by ("Посольство Германии", "German Embassy"), by
    normalised key, so that imports and new entries find it instead of making a duplicate."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="names")
    name = models.CharField(max_length=300)
    key = models.CharField(max_length=300, unique=True)

    def __str__(self):
        return self.name


class Contact(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = ServerSealedTextField(_("name"), max_length=200)
    # A keyed digest of the name (HMAC under an instance key): the name is sealed on
    # PostgreSQL, where it cannot be matched; one contact of a name per organisation.
    name_key = models.CharField(max_length=64, editable=False)
    role = ServerSealedTextField(_("role"), max_length=200, blank=True)
    addresses = ServerSealedTextField(
        _("addresses"), blank=True, help_text=_("Email, phone, messenger — one per line.")
    )

    class Meta:
        ordering = ["pk"]  # in the order added: names are sealed on PostgreSQL
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name_key"], name="outreach_contact_unique_key"
            )
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = contact_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


def contact_key(name: str) -> str:
    """The keyed digest of a contact's name, spaces evened out (what lookups compare)."""
    return mac(Purpose.OUTREACH_CONTACTS, " ".join((name or "").split()).encode()).hex()


class ImportBatch(models.Model):
    """One confirmed spreadsheet import, so that its rows can be traced back to the file."""

    filename = ServerSealedTextField(max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.filename


class Approach(models.Model):
    # No index of its own: the (organisation, -date) index below serves every lookup by
    # organisation, and each index makes writing an imported approach some 7 % slower.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="approaches", db_index=False
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="approaches"
    )
    date = models.DateField(_("date"))
    day_known = models.BooleanField(default=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    subject = ServerSealedTextField(_("subject"), max_length=300, blank=True)
    summary = ServerSealedTextField(_("text or summary"), blank=True)
    # Not indexed: nothing looks approaches up by who wrote them (accounts are deactivated,
    # never deleted), and each index makes writing an imported approach some 7 % slower.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="approaches"
    )
    # Written for one person (by codename) or, when empty, for the group. Indexed below for
    # the approaches that name a case alone.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approaches",
        verbose_name=_("on behalf of"),
        db_index=False,
    )
    # Kept by the services whenever a response is recorded, so that follow-ups and statistics
    # over 100,000 approaches are reads of this table, not a scan of every response.
    outcome = models.CharField(
        max_length=20, choices=ResponseKind.choices, default=ResponseKind.NONE
    )
    answered_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        # Only indexes that a query uses: each one makes every import slower. Nothing looks
        # approaches up by answered_on (the statistics read it along with every approach of the
        # period), so it has none. Approaches are looked up by case only for a given case (its
        # page; SET_NULL when one is deleted), so those for the group, most of an imported log,
        # are left out of that index.
        indexes = [
            models.Index(fields=["organisation", "-date"]),
            models.Index(fields=["date"]),
            models.Index(
                fields=["case"],
                condition=models.Q(case__isnull=False),
                name="outreach_approach_case_idx",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} {self.date}"


class Response(models.Model):
    approach = models.ForeignKey(Approach, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(_("response"), max_length=20, choices=ResponseKind.choices)
    date = models.DateField(_("response date"), null=True, blank=True)
    text = ServerSealedTextField(_("text"), blank=True)
    # Not indexed, as Approach.created_by.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self):
        return f"{self.kind} {self.date}"


class OutreachDigest(models.Model):
    """One week's follow-ups, as built by the background worker: which approaches had no
    answer after OUTREACH_FOLLOW_UP_DAYS. Ids and counts only; the page reads the rest from
    the log, so nothing written in the log is copied here."""

    week_start = models.DateField(unique=True)  # the Monday of the ISO week
    built_on = models.DateField()  # days without an answer are counted to this day
    created_at = models.DateTimeField(default=timezone.now)
    follow_up_days = models.PositiveIntegerField()
    approach_count = models.PositiveIntegerField()
    organisation_count = models.PositiveIntegerField()
    approach_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self):
        return self.week_label

    @property
    def week_label(self) -> str:
        year, week, _day = self.week_start.isocalendar()
        return f"{year}-W{week:02d}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A confirmed import too large to write during the request: the background worker writes
    it. The uploaded file stays in the encrypted blob store (``blob``) until then; the task is
    given this row's id only, never the file."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    filename = ServerSealedTextField(max_length=255)
    blob = models.CharField(max_length=128, blank=True)
    # How the file is read: encoding, delimiter, header row and column choice where the user
    # corrected them, and the mode (all or nothing, or the good rows).
    reading = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approaches = models.PositiveIntegerField(default=0)
    responses = models.PositiveIntegerField(default=0)
    new_organisations = models.PositiveIntegerField(default=0)
    already_logged = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)
    # The rows a "good rows" import left out, as a file (encrypted) for the starter to fix.
    rejected_blob = models.CharField(max_length=128, blank=True)
    rejected_name = ServerSealedTextField(max_length=255, blank=True)
    rejected_rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
