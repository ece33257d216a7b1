"""The people the group helps, each under a codename, and everything about their situation.

Who a person is (legal name, birth date, phone, document numbers, address) lives only in
``Identity``, encrypted field by field and read only through a deliberate, audited reveal.
Nothing here records routes, crossing plans or helpers on a route.
"""

import functools
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waystation.core.corrections import (
    AllRecords,
    Correctable,
    CurrentManager,
    KeptVersion,
    unique_number,
)
from waystation.core.fields import (
    BlindIndexField,
    BlindIndexQuerySet,
    EncryptedTextField,
    ServerSealedTextField,
    with_blind_indexes,
)
from waystation.core.keyring import Purpose
from waystation.core.recording import Recorded

_USER = settings.AUTH_USER_MODEL


class Status(models.TextChoices):
    IN_ORIGIN = "in_origin", _("In the origin country")
    CROSSED = "crossed", _("Crossed the border")
    IN_TRANSIT = "in_transit", _("In transit")
    DETAINED = "detained", _("Detained")
    RELEASED = "released", _("Released")
    RELOCATED = "relocated", _("Relocated")
    EXTRADITED = "extradited", _("Extradited")
    CLOSED = "closed", _("Closed")


class Urgency(models.IntegerChoices):
    STABLE = 1, _("Stable")
    WATCH = 2, _("Watch")
    URGENT = 3, _("Urgent")
    CRITICAL = 4, _("In danger now")


@functools.cache
def _labels(choices: type[models.Choices]) -> dict:
    return dict(choices.choices)  # lazy labels: translated when shown, in the language then


def choice_label(choices: type[models.Choices], value):
    """What ``get_<field>_display()`` gives, at a fraction of its cost: Django makes every
    label of the field's choices hashable on each call, translating them all, which a list of
    thirty dashboard rows felt (2 ms of the page)."""
    return _labels(choices).get(value, value)


class Tag(models.Model):
    name = models.CharField(_("tag"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# Case columns the database keeps (triggers, cases.detention): a save never writes them.
_KEPT_BY_DATABASE = frozenset({"ongoing_detention", "detained_since"})


class Case(models.Model):
    # What a kept version of the details holds when they are edited (core.corrections).
    CORRECTABLE_FIELDS = ("urgency", "languages", "city", "summary")

    codename = models.CharField(_("codename"), max_length=40, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.IN_TRANSIT
    )
    status_since = models.DateField(_("status since"), default=timezone.localdate)
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.WATCH
    )
    languages = ServerSealedTextField(
        _("languages spoken"),
        max_length=200,
        blank=True,
        help_text=_("For example: Russian, English"),
    )
    city = ServerSealedTextField(
        _("city of stay"),
        max_length=120,
        blank=True,
        help_text=_("The city only — never a street or an address."),
    )
    summary = ServerSealedTextField(
        _("situation in short"),
        blank=True,
        help_text=_("What helps the team help. Never routes, crossing plans or helpers' names."),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="cases", verbose_name=_("tags"))
    caseworker = models.ForeignKey(
        _USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_caseworker",
        verbose_name=_("caseworker"),
    )
    lawyer = models.ForeignKey(
        _USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases_as_lawyer",
        verbose_name=_("lawyer"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Set when a partner accepted the case's transfer (its receipt imported here): the case is
    # kept read-only from then on, as the record of what was handed over (partners.answers).
    # A database default as well: rows written by code that predates the column (an older
    # process during an upgrade, a migration test's historical model) stay valid.
    transferred_to = models.CharField(
        _("transferred to"), max_length=100, blank=True, default="", db_default=""
    )
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    # PostgreSQL: the city is sealed there; its search goes through this blind index.
    city_search = BlindIndexField(source="city", purpose=Purpose.CITY_SEARCH)
    # The detention going on now and the day it began, NULL when none: kept by the database
    # from the risk events (cases.detention), never written from here (see save), read by the
    # dashboard. No constraint: the triggers that keep it run before a deleted event is gone.
    ongoing_detention = models.ForeignKey(
        "RiskEvent",
        null=True,
        blank=True,
        editable=False,
        db_constraint=False,
        db_index=False,
        on_delete=models.DO_NOTHING,
        related_name="+",
    )
    detained_since = models.DateField(null=True, blank=True, editable=False)

    objects = models.Manager.from_queryset(BlindIndexQuerySet)()

    class Meta:
        ordering = ["-urgency", "-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["-urgency", "-updated_at", "-id"], name="cases_case_list"),
            # The list filtered by status in its own order, and sorted by last change: each reads
            # one page from its index instead of every case in the status (or every case).
            models.Index(
                fields=["status", "-urgency", "-updated_at", "-id"], name="cases_case_status_list"
            ),
            models.Index(fields=["-updated_at", "-id"], name="cases_case_updated"),
            models.Index(fields=["caseworker", "-urgency"], name="cases_case_caseworker"),
            models.Index(fields=["lawyer", "-urgency"], name="cases_case_lawyer"),
            # The dashboard's ongoing detentions, most urgent first, longest detained first.
            models.Index(
                fields=["status", "-urgency", "detained_since", "codename"],
                name="cases_case_detained",
            ),
        ]

    def __str__(self):
        return self.codename

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None and not self._state.adding:
            # Every column but the one the database keeps: this instance's copy of it may be
            # older than a risk event recorded since it was read, and would overwrite it.
            update_fields = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in _KEPT_BY_DATABASE
            ]
        super().save(*args, update_fields=with_blind_indexes(self, update_fields), **kwargs)

    @property
    def urgency_label(self):
        return choice_label(Urgency, self.urgency)


class StatusChange(Correctable, Recorded):
    """One dated step of the status timeline. The case's current status is the newest step
    that stands: a step set by mistake is corrected or withdrawn (``core.corrections``)."""

    CORRECTABLE_FIELDS = ("status", "on", "note")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    on = models.DateField(_("date"))
    note = ServerSealedTextField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-on", "-pk"]
        indexes = [models.Index(fields=["case", "-on"], name="cases_status_timeline")]

    def __str__(self):
        return f"{self.status} {self.on}"


class RiskKind(models.TextChoices):
    WANTED = "wanted", _("Wanted listing")
    DETENTION = "detention", _("Detention")
    EXTRADITION_REQUEST = "extradition_request", _("Extradition request")
    HEARING = "hearing", _("Court hearing")
    DEPORTATION_ORDER = "deportation_order", _("Deportation order")
    RELEASE = "release", _("Release")


# Kinds that put a case on top of the coordinator's dashboard when dated in the coming week.
PRESSING_KINDS = (RiskKind.DETENTION, RiskKind.HEARING)


class RiskEvent(Correctable, Recorded):
    """A dated risk event; a wrong one is corrected or withdrawn (``core.corrections``)."""

    CORRECTABLE_FIELDS = ("kind", "on", "place", "visits", "outcome")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="risk_events")
    kind = models.CharField(_("kind"), max_length=30, choices=RiskKind.choices)
    on = models.DateField(
        _("date"),
        help_text=_("The hearing day, the first day of detention, the date of a listing."),
    )
    place = ServerSealedTextField(
        _("where"), max_length=200, blank=True, help_text=_("Court, detention centre, authority.")
    )
    visits = ServerSealedTextField(
        _("visits"), blank=True, help_text=_("Who may visit, when, what can be brought.")
    )
    outcome = ServerSealedTextField(_("outcome"), max_length=300, blank=True)

    class Meta:
        ordering = ["-on", "-pk"]
        indexes = [
            models.Index(fields=["kind", "on"], name="cases_risk_kind_on"),
            models.Index(fields=["case", "-on"], name="cases_risk_case"),
        ]

    def __str__(self):
        return f"{self.kind} {self.on}"

    @property
    def kind_label(self):
        return choice_label(RiskKind, self.kind)


class FamilyMember(models.Model):
    """Who travels with the person. No names here: a relation and an age are enough to plan
    housing and help; names belong in the identity vault if anywhere."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="family")
    relation = ServerSealedTextField(_("relation"), max_length=60)
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    with_them = models.BooleanField(_("with them now"), default=True)
    note = ServerSealedTextField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return self.relation


class DocumentKind(models.TextChoices):
    INTERNAL_PASSPORT = "internal_passport", _("Internal passport")
    FOREIGN_PASSPORT = "foreign_passport", _("Foreign travel passport")
    MILITARY_ID = "military_id", _("Military ID")
    BIRTH_CERTIFICATE = "birth_certificate", _("Birth certificate")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit or visa")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    # Papers that protection pathways ask for (see waystation/pathways/readiness.py).
    CALL_UP_NOTICE = "call_up_notice", _("Call-up or mobilisation notice")
    CRIMINAL_CASE = "criminal_case", _("Criminal case papers")
    ANTI_WAR_ACTIVITY = "anti_war_activity", _("Proof of anti-war activity")
    FAMILY_PAPERS = "family_papers", _("Marriage or children's birth certificates")
    MEDICAL_RECORD = "medical_record", _("Medical records")
    UNHCR_REGISTRATION = "unhcr_registration", _("UNHCR registration")
    OTHER = "other", _("Other document")


class DocumentState(models.TextChoices):
    HELD = "held", _("Held")
    MISSING = "missing", _("Missing")
    EXPIRED = "expired", _("Expired")
    CONFISCATED = "confiscated", _("Confiscated")


class Document(models.Model):
    """Which papers the person has or lacks. Numbers go to the identity vault, not here."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=30, choices=DocumentKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=DocumentState.choices)
    note = ServerSealedTextField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["kind", "pk"]

    def __str__(self):
        return f"{self.kind}: {self.state}"


class NeedKind(models.TextChoices):
    HOUSING = "housing", _("Housing")
    MONEY = "money", _("Money")
    LAWYER = "lawyer", _("Lawyer")
    MEDICAL = "medical", _("Medical")
    PSYCHOLOGICAL = "psychological", _("Psychological")
    FOOD = "food", _("Food")
    PARCELS = "parcels", _("Parcels to detention")
    OTHER = "other", _("Other")


class Need(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="needs")
    kind = models.CharField(_("need"), max_length=20, choices=NeedKind.choices)
    noted_on = models.DateField(_("noted on"), default=timezone.localdate)
    met_on = models.DateField(_("met on"), null=True, blank=True)
    note = ServerSealedTextField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["met_on", "-noted_on", "-pk"]
        indexes = [models.Index(fields=["case", "met_on"], name="cases_need_open")]

    def __str__(self):
        return self.kind


class Service(models.Model):
    """Help actually given: what, when, by whom."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="services")
    kind = models.CharField(_("service"), max_length=20, choices=NeedKind.choices)
    delivered_on = models.DateField(_("delivered on"), default=timezone.localdate)
    delivered_by = models.ForeignKey(
        _USER, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    note = ServerSealedTextField(_("what was given"), max_length=300, blank=True)

    class Meta:
        ordering = ["-delivered_on", "-pk"]
        indexes = [models.Index(fields=["case", "-delivered_on"], name="cases_service_case")]

    def __str__(self):
        return self.kind


class Task(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = ServerSealedTextField(_("task"), max_length=200)
    due_on = models.DateField(_("due"), null=True, blank=True)
    assignee = models.ForeignKey(
        _USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_tasks",
        verbose_name=_("assigned to"),
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done_at", "due_on", "pk"]
        indexes = [
            models.Index(fields=["case", "done_at", "due_on"], name="cases_task_case"),
            models.Index(fields=["assignee", "done_at", "due_on"], name="cases_task_assignee"),
        ]

    def __str__(self):
        return self.title


class Note(Correctable):
    """A note on a case. A wrong one is corrected or withdrawn (``core.corrections``); a note
    written on the wrong case is withdrawn there and written again on the right one, never
    moved: its text does not travel between cases unseen."""

    CORRECTABLE_FIELDS = ("text", "legal")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = ServerSealedTextField(_("note"))
    legal = models.BooleanField(
        _("for the lawyer too"),
        default=False,
        help_text=_("The case's lawyer sees only notes marked like this."),
    )
    author = models.ForeignKey(_USER, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # PostgreSQL: the text is sealed there; search goes through this blind index (search.py).
    search = BlindIndexField(source="text", purpose=Purpose.NOTE_SEARCH)

    objects = CurrentManager.from_queryset(BlindIndexQuerySet)()
    all_objects = AllRecords.from_queryset(BlindIndexQuerySet)()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["case", "-created_at"], name="cases_note_case"),
            # The few withdrawn notes, which a full-text search leaves out.
            models.Index(
                fields=["id"],
                condition=models.Q(withdrawn_at__isnull=False),
                name="cases_note_withdrawn",
            ),
        ]

    def __str__(self):
        return f"note {self.pk}"

    def save(self, *args, update_fields=None, **kwargs):
        super().save(*args, update_fields=with_blind_indexes(self, update_fields), **kwargs)


class NoteDigests(models.Model):
    """PostgreSQL: the union of the blind indexes (``Note.search``) of a case's standing notes,
    one row per case with such a note, so that a one-word search reads one row per matching
    case rather than every matching note (up to four in ten of a million). Kept by the
    database itself, in the transaction of every write to ``cases_note`` (triggers, see
    ``search.NOTE_DIGESTS``): inserts, corrections, withdrawals, deletions and raw writes
    (COPY) alike; nothing here writes it. Empty on SQLite, where FTS5 gives the cases."""

    # No foreign key constraint: the triggers remove a row when its case loses its last
    # standing note, as a case's deletion first deletes its notes.
    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    search = BlindIndexField(purpose=Purpose.NOTE_SEARCH)

    def __str__(self):
        return f"note digests of case {self.case_id}"


class NoteSlots(models.Model):
    """PostgreSQL: a case's standing notes' digests told apart by note, so that a search of
    several words, which must meet in one note, reads one narrow row per case (or per 32 of
    its notes) instead of every matching note. The notes of a case, in the order of their ids,
    take slots 0 - 31 of part 0, then of part 1 and so on; each digest is stored with its low
    five bits replaced by its note's slot (``search.SLOTS``), so that every note of a row has a
    slot of its own. Kept by the database in the transaction of every write to ``cases_note``
    (``search.NOTE_SLOTS``), like ``NoteDigests``; nothing here writes it. Empty on SQLite."""

    # No foreign key constraint (the triggers remove a case's rows with its last standing note,
    # as for NoteDigests); the unique (case, part) serves the lookups by case.
    case = models.ForeignKey(
        Case, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    part = models.IntegerField()
    search = BlindIndexField(purpose=Purpose.NOTE_SEARCH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "part"], name="cases_noteslots_case_part")
        ]

    def __str__(self):
        return f"note slots {self.part} of case {self.case_id}"


class Identity(models.Model):
    """The identity vault of one case. Every field is encrypted in the application, bound to
    this row; reading it is a reveal, checked by the policy and audited with its reason."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="identity"
    )
    legal_name = EncryptedTextField(_("legal name"))
    transliteration = EncryptedTextField(_("name in Latin letters"))
    # A military call sign or a nickname identifies a person to his unit as well as a name.
    callsign = EncryptedTextField(_("callsign or nickname"))
    birth_date = EncryptedTextField(_("birth date"))
    phone = EncryptedTextField(_("phone"))
    document_numbers = EncryptedTextField(_("document numbers"))
    address = EncryptedTextField(_("exact address"))
    updated_at = models.DateTimeField(default=timezone.now)

    FIELDS = (
        "legal_name",
        "transliteration",
        "callsign",
        "birth_date",
        "phone",
        "document_numbers",
        "address",
    )

    def __str__(self):
        return f"identity of case {self.case_id}"

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.FIELDS)

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.FIELDS}


class IdentityVersion(models.Model):
    """What a case's identity held before a change, kept so that a coordinator can undo a
    mistake (an empty form saved by accident, a wrong field). Encrypted like the vault, as one
    value bound to this row; only the number, the time and who replaced it are in the clear."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="identity_versions")
    number = models.PositiveIntegerField()
    contents = EncryptedTextField()  # JSON: Identity.FIELDS -> text
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="cases_identity_version_unique")
        ]

    def __str__(self):
        return f"identity version {self.number} of case {self.case_id}"


class StatusChangeVersion(KeptVersion):
    """What a status step was before a correction or its withdrawal (``core.corrections``)."""

    record = models.ForeignKey(StatusChange, on_delete=models.CASCADE, related_name="versions")

    class Meta(KeptVersion.Meta):
        constraints = [unique_number()]


class RiskEventVersion(KeptVersion):
    """What a risk event was before a correction or its withdrawal (``core.corrections``)."""

    record = models.ForeignKey(RiskEvent, on_delete=models.CASCADE, related_name="versions")

    class Meta(KeptVersion.Meta):
        constraints = [unique_number()]


class NoteVersion(KeptVersion):
    """What a note said before a correction or its withdrawal, encrypted (``core.corrections``)."""

    record = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="versions")

    class Meta(KeptVersion.Meta):
        constraints = [unique_number()]


class CaseVersion(KeptVersion):
    """A case's details (urgency, languages, city, summary) as they were before an edit,
    encrypted (``core.corrections``): for a coordinator to see what was there."""

    record = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="versions")

    class Meta(KeptVersion.Meta):
        constraints = [unique_number()]
