"""Testimonies, the events they describe, the evidence items that support them, and the chain
of custody of every item.

Practice followed: the Berkeley Protocol on Digital Open Source Investigations and the
Eurojust–ICC guidelines for civil society organisations — informed consent with a scope, the
original preserved bit for bit (the blob holds exactly the bytes received, its SHA-256 taken as
they arrived), and every handling of an item written to its custody chain.

Encrypted field by field: statements, perpetrators' names, descriptions, file names, what a
file says about itself (EXIF, GPS), who handed an item over, chat messages. Sealed on
PostgreSQL only (``ServerSealedTextField``, ``ServerSealedDecimalField``; plain in the
SQLCipher file, encrypted whole): event titles, places, latitudes and longitudes, victims,
units and ranks, interpreters, statement languages, the body
named in a consent, items' SHA-256 and media types, custody details (they hold the hashes) and
time-stamp statements. Plain, to list and filter: act types, dates, victim counts, sizes,
consent scopes and custody actions. docs/evidence.md says what a seized database shows.
Primary keys are UUIDs: encrypted fields bind their ciphertext to the row id, which must
exist before the first save.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waystation.core.corrections import Correctable, KeptVersion, unique_number
from waystation.core.fields import (
    EncryptedTextField,
    ServerSealedDecimalField,
    ServerSealedTextField,
)
from waystation.core.recording import Recorded

from .telegram import shown

_USER = settings.AUTH_USER_MODEL


class SealedJSONField(ServerSealedTextField):
    """A JSON value (a dict or a list) kept as JSON text: plain in the SQLCipher file, sealed
    on PostgreSQL (custody details hold an item's SHA-256). Not queried inside."""

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return None if text is None else json.loads(text) if text else self.get_default()

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) and value else value

    def get_prep_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return None


class Recipient(models.TextChoices):
    """Who may receive a testimony or an item, as consent or terms allow. A court or
    investigative body is consented to by name; the other kinds as a whole."""

    COURT = "court", _("A named court or investigative body")
    UN = "un", _("UN mechanisms")
    NGO = "ngo", _("Human rights organisations (NGOs)")
    MEDIA = "media", _("Media")
    PARTNER = "partner", _("Partner groups (another Waystation group)")
    AUTHORITY = "authority", _("Authorities deciding an application (embassy, migration office)")


# How a kind reads in a list of what consent or terms allow: "court ICC OTP, UN".
_SHORT = {
    Recipient.UN: _("UN"),
    Recipient.NGO: _("NGOs"),
    Recipient.MEDIA: _("media"),
    Recipient.PARTNER: _("partner groups"),
    Recipient.AUTHORITY: _("authorities deciding an application"),
}


def same_name(a: str, b: str) -> bool:
    """Names of courts compared as people type them: case and spacing do not count."""
    return bool(a.strip()) and " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@dataclass(frozen=True)
class Terms:
    """What a consent or an item's terms allow: recipient kinds, and for ``court`` the
    courts or investigative bodies by name. Withdrawn terms allow nothing."""

    kinds: frozenset[str] = frozenset()
    courts: tuple[str, ...] = ()
    withdrawn_on: date | None = None

    def allows(self, kind: str, name: str = "") -> bool:
        if self.withdrawn_on is not None or kind not in self.kinds:
            return False
        if kind == Recipient.COURT:
            return any(same_name(name, court) for court in self.courts)
        return True

    def describe(self) -> str:
        """"court ICC OTP, UN", in the active language; "nothing" when empty."""
        courts = self.courts if Recipient.COURT in self.kinds else ()
        parts = [recipient_label(Recipient.COURT, court) for court in courts]
        parts += [recipient_label(k) for k in Recipient.values if k in self.kinds and k in _SHORT]
        return ", ".join(parts) or gettext("nothing")


def recipient_label(kind: str, name: str = "") -> str:
    """A recipient as lists read it, in the active language: "court ICC OTP", "media"."""
    if kind == Recipient.COURT:
        return gettext("court %(name)s") % {"name": name}
    if kind == Recipient.PARTNER and name:
        return gettext("partner group %(name)s") % {"name": name}
    return str(_SHORT.get(kind, kind))


class WitnessRole(models.TextChoices):
    DIRECT = "direct", _("Direct witness")
    HEARSAY = "hearsay", _("Heard from others")
    PARTICIPANT = "participant", _("Participant")


class ActType(models.TextChoices):
    EXECUTION_OF_PRISONERS = "execution_of_prisoners", _("Execution of prisoners")
    KILLING_OF_CIVILIANS = "killing_of_civilians", _("Killing of civilians")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence")
    TORTURE = "torture", _("Torture")
    LOOTING = "looting", _("Looting")
    ATTACK_ON_CIVILIAN_OBJECTS = "attack_on_civilian_objects", _("Attack on civilian objects")
    INCENDIARY_WEAPONS = "incendiary_weapons", _("Use of incendiary weapons")
    FORCED_DEPORTATION = "forced_deportation", _("Forced deportation")
    OTHER = "other", _("Other")


class DateCertainty(models.TextChoices):
    EXACT = "exact", _("Exact")
    APPROXIMATE = "approximate", _("Approximate")
    ESTIMATED = "estimated", _("Estimated range")


class ItemKind(models.TextChoices):
    VIDEO = "video", _("Video")
    PHOTO = "photo", _("Photo")
    AUDIO = "audio", _("Audio")
    CHAT_EXPORT = "chat_export", _("Chat export")
    PROOF_BUNDLE = "proof_bundle", _("Proof bundle (ProofMode)")
    DOCUMENT = "document", _("Document")
    ID_SCAN = "id_scan", _("Scan of an ID")
    OTHER = "other", _("Other")


class AcquiredHow(models.TextChoices):
    IN_PERSON = "in_person", _("Handed over in person")
    MESSENGER = "messenger", _("Sent through a messenger")
    INTAKE = "intake", _("Sent through the intake portal")
    STORAGE_MEDIUM = "storage_medium", _("Copied from a phone or storage medium")
    PUBLIC_SOURCE = "public_source", _("Collected from a public source")
    OTHER = "other", _("Other")


class ItemOrigin(models.TextChoices):
    """Where an item came from, which decides whose consent or terms govern where it may go.
    Not recorded: it goes nowhere (fail closed) until someone records it."""

    NOT_RECORDED = "not_recorded", _("Not recorded yet: goes nowhere")
    PERSON = "person", _("From the person of the case (his consent governs it)")
    WITNESS = "witness", _("From another witness (his testimony's consent governs it)")
    OPEN = "open", _("From an open source (may go anywhere)")
    ORGANISATION = "organisation", _("From an organisation or partner, on named terms")


class Verification(models.TextChoices):
    UNVERIFIED = "unverified", _("Unverified")
    CORROBORATED = "corroborated", _("Corroborated")
    VERIFIED = "verified", _("Verified")
    DISPUTED = "disputed", _("Disputed")


class Testimony(Recorded):
    __test__ = False  # not a test class, whatever pytest thinks of the name
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="testimonies",
        verbose_name=_("witness"),
    )
    interviewed_on = models.DateField(_("interview date"), default=timezone.localdate)
    interviewer = models.ForeignKey(
        _USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("interviewer")
    )
    interpreter = ServerSealedTextField(_("interpreter"), max_length=120, blank=True)
    language = ServerSealedTextField(_("language of the statement"), max_length=60)
    statement = EncryptedTextField(_("statement"))
    # Informed consent: the recipient kinds the witness agreed to, and the court or body named.
    consent_scope = models.JSONField(_("consent to share with"), default=list, blank=True)
    consent_body = ServerSealedTextField(
        _("named court or investigative body"), max_length=200, blank=True
    )
    consent_recorded_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    consent_withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["-interviewed_on", "-recorded_at"]
        indexes = [models.Index(fields=["case", "interviewed_on"])]

    def __str__(self):
        return f"testimony {str(self.id)[:8]}"

    @property
    def consent_withdrawn(self) -> bool:
        return self.consent_withdrawn_on is not None

    @property
    def terms(self) -> Terms:
        """The witness's consent. Only the exit gate (gate.py) decides with it."""
        return Terms(
            kinds=frozenset(self.consent_scope),
            courts=(self.consent_body,) if self.consent_body else (),
            withdrawn_on=self.consent_withdrawn_on,
        )

    def consent_labels(self) -> list[str]:
        labels = dict(Recipient.choices)
        return [
            f"{labels[k]}: {self.consent_body}" if k == Recipient.COURT else str(labels[k])
            for k in self.consent_scope
            if k in labels
        ]


class PersonConsent(Recorded):
    """The consent of the person of a case for the items that came from him, given once
    for all of them, without a testimony (a testimony's consent stays its own). Changed in
    place; the audit log keeps each change."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="item_consent"
    )
    scope = models.JSONField(_("his items may go to"), default=list, blank=True)
    courts = models.JSONField(_("courts or investigative bodies by name"), default=list)
    recorded_on = models.DateField(_("consent recorded on"), default=timezone.localdate)
    withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)

    def __str__(self):
        return f"consent of case {self.case_id}"

    @property
    def terms(self) -> Terms:
        return Terms(
            kinds=frozenset(self.scope),
            courts=tuple(self.courts) if Recipient.COURT in self.scope else (),
            withdrawn_on=self.withdrawn_on,
        )


class Event(Correctable, Recorded):
    """An incident, described HURIDOCS-style: what was done, when (with how certain that is),
    where, to whom, by whom. Corrected with the earlier version kept (``versions``), or
    withdrawn: then ``Event.objects`` (every list, item, testimony and export) leaves it out
    and ``Event.all_objects`` still finds it with its history (core.corrections)."""

    CORRECTABLE_FIELDS = (
        "act_type",
        "title",
        "date_from",
        "date_to",
        "date_certainty",
        "place",
        "latitude",
        "longitude",
        "victims_count",
        "victims_kind",
        "perpetrator_unit",
        "perpetrator_rank",
        "perpetrator_names",
        "description",
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    act_type = models.CharField(_("act"), max_length=40, choices=ActType.choices)
    title = ServerSealedTextField(
        _("short title"),
        max_length=160,
        help_text=_("For the list, e.g. “Shelling of the market, Kherson”. No names of witnesses."),
    )
    date_from = models.DateField(_("date (or first day)"), null=True, blank=True)
    date_to = models.DateField(_("last day"), null=True, blank=True)
    date_certainty = models.CharField(
        _("how certain the date is"),
        max_length=20,
        choices=DateCertainty.choices,
        default=DateCertainty.APPROXIMATE,
    )
    place = ServerSealedTextField(_("place"), max_length=200, blank=True)
    # Where a detention or an incident happened: sealed on PostgreSQL, as the place is.
    latitude = ServerSealedDecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = ServerSealedDecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    victims_count = models.PositiveIntegerField(_("number of victims"), null=True, blank=True)
    victims_kind = ServerSealedTextField(
        _("victims"), max_length=200, blank=True, help_text=_("e.g. prisoners of war, civilians")
    )
    perpetrator_unit = ServerSealedTextField(_("perpetrator's unit"), max_length=200, blank=True)
    perpetrator_rank = ServerSealedTextField(_("perpetrator's rank"), max_length=100, blank=True)
    perpetrator_names = EncryptedTextField(_("perpetrators' names, if known"))
    description = EncryptedTextField(_("description"))

    class Meta:
        # Not by title: it is sealed on PostgreSQL, where the database cannot sort it.
        ordering = ["-date_from", "recorded_at"]
        indexes = [models.Index(fields=["act_type", "date_from"])]

    def __str__(self):
        return self.title


class EventVersion(KeptVersion):
    """An event as it was before a correction or its withdrawal, encrypted whole."""

    record = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="versions")

    class Meta(KeptVersion.Meta):
        constraints = [unique_number("record")]


class TestimonyAddendum(models.Model):
    """A correction to a testimony's statement: never an overwrite. The statement stays as
    taken; each addendum, numbered, says what is to be read differently (a detail added in a
    second interview, an interpreter's error), who added it, when and why. Encrypted like the
    statement; it goes wherever the testimony goes."""

    __test__ = False
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    testimony = models.ForeignKey(Testimony, on_delete=models.PROTECT, related_name="addenda")
    number = models.PositiveIntegerField()
    text = EncryptedTextField(_("correction or addition"))
    reason = EncryptedTextField(_("why"))
    added_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["testimony", "number"]
        constraints = [
            models.UniqueConstraint(fields=["testimony", "number"], name="evidence_addendum_order")
        ]

    def __str__(self):
        return f"addendum {self.number} to {self.testimony_id}"


class TestimonyEvent(models.Model):
    """What a testimony says about an event, and the witness's own role in it."""

    __test__ = False

    testimony = models.ForeignKey(Testimony, on_delete=models.CASCADE, related_name="event_links")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="testimony_links")
    role = models.CharField(_("witness's role"), max_length=20, choices=WitnessRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["testimony", "event"], name="evidence_testimony_event")
        ]

    def __str__(self):
        return f"{self.testimony_id} — {self.event_id} ({self.role})"


class Item(models.Model):
    """A file kept exactly as received. ``sha256`` is of the bytes as they arrived, computed in
    the same pass that encrypted them into the blob store."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="evidence_items",
        verbose_name=_("from the case"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    blob = models.CharField(max_length=64)
    # Sealed on PostgreSQL: a hash in the clear would confirm that the group holds a known
    # file. Nothing looks items up by it; duplicates are found by the blob name (keyed).
    sha256 = ServerSealedTextField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size"))
    media_type = ServerSealedTextField(_("media type (from the content)"), max_length=100)
    original_name = EncryptedTextField(_("original file name"))
    original_modified = models.DateTimeField(_("file time as received"), null=True, blank=True)
    # JSON of what the file says about itself (EXIF and GPS, container tags, PDF info): can
    # place a witness, so encrypted.
    extracted_metadata = EncryptedTextField(_("metadata found in the file"))
    acquired_on = models.DateField(_("acquired on"), default=timezone.localdate)
    acquired_how = models.CharField(
        _("acquired how"), max_length=20, choices=AcquiredHow.choices, default=AcquiredHow.IN_PERSON
    )
    acquired_from = EncryptedTextField(
        _("acquired from"), help_text=_("Who handed it over: a codename, or a role.")
    )
    description = EncryptedTextField(_("description"))
    verification = models.CharField(
        _("verification"),
        max_length=20,
        choices=Verification.choices,
        default=Verification.UNVERIFIED,
    )
    verified_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_reason = EncryptedTextField(_("why"))
    verified_at = models.DateTimeField(null=True, blank=True)
    events = models.ManyToManyField(Event, blank=True, related_name="items")
    # Source and release terms: read only by the exit gate (gate.py).
    origin = models.CharField(
        _("came from"), max_length=20, choices=ItemOrigin.choices, default=ItemOrigin.NOT_RECORDED
    )
    origin_testimony = models.ForeignKey(
        Testimony,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items_given",
        verbose_name=_("testimony of the witness who gave it"),
    )
    origin_organisation = EncryptedTextField(_("organisation or partner"))
    terms_scope = models.JSONField(_("its terms allow"), default=list, blank=True)
    terms_courts = models.JSONField(_("courts named in its terms"), default=list, blank=True)
    ingested_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ingested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ingested_at"]
        indexes = [models.Index(fields=["case", "ingested_at"])]

    def __str__(self):
        return f"item {str(self.id)[:8]}"

    @property
    def organisation_terms(self) -> Terms:
        return Terms(
            kinds=frozenset(self.terms_scope),
            courts=tuple(self.terms_courts) if Recipient.COURT in self.terms_scope else (),
        )


class ChatMessage(models.Model):
    """One message of a chat export item (Telegram Desktop's result.json), to list and search
    it; the export itself stays the item's blob, untouched."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="chat_messages")
    position = models.PositiveIntegerField()
    sent_at = models.DateTimeField(null=True, blank=True)
    sender = EncryptedTextField()
    text = EncryptedTextField()
    media = EncryptedTextField()  # the path of a photo or file inside the export, if any

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="evidence_chat_order")
        ]

    def __str__(self):
        return f"chat message {self.position}"

    @property
    def own_text(self) -> str:
        """The message's own text, without the notes at its end (see ``notes_shown``)."""
        return shown(self.text)[0]

    @property
    def notes_shown(self) -> list[str]:
        """What the message carries besides text (forwarded from, a location, a service
        action …) as sentences in the reader's language."""
        return shown(self.text)[1]


class CustodyAction(models.TextChoices):
    ACQUIRED = "acquired", _("Acquired")
    HASHED = "hashed", _("Hashed")
    VIEWED = "viewed", _("Viewed")
    COPIED = "copied", _("Copied (downloaded)")
    EXPORTED = "exported", _("Exported")
    TRANSFERRED = "transferred", _("Transferred")
    RECEIVED_BACK = "received_back", _("Received back")
    VERIFIED = "verified", _("Verification recorded")
    SENT_TO_PARTNER = "sent_to_partner", _("Sent to a partner group")
    FROM_PARTNER = "from_partner", _("Received from a partner group")


class CustodyEntry(models.Model):
    """One link of an item's chain of custody. ``entry_hash`` is SHA-256 over the previous
    entry's hash and this entry's canonical JSON, so anyone holding an export can check the
    chain; ``mac`` is an HMAC of it under the instance's key, so a chain recomputed by someone
    without the key is caught too. Rows are only ever added (services.custody_append)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="custody")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=20, choices=CustodyAction.choices)
    actor = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    details = SealedJSONField(default=dict, blank=True)  # ids, hashes, recipient kinds
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["item", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["item", "seq"], name="evidence_custody_order")
        ]

    def __str__(self):
        return f"custody {self.item_id} #{self.seq}"


class Handover(models.Model):
    """A physical medium (a phone, a memory card) handed out of the group's hands, to an
    investigator or a lab, and until when: the custody entries "transferred" and "received
    back" name this row; with whom and how are kept here, encrypted like who an item was
    acquired from, never in the custody chain's clear details."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="handovers")
    with_whom = EncryptedTextField(
        _("handed to"), help_text=_("Who received it: a name, a role, an organisation.")
    )
    how = EncryptedTextField(
        _("how"), help_text=_("How it was handed over: in person, by courier, sealed bag number…")
    )
    transferred_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transferred_at = models.DateTimeField(default=timezone.now)
    returned_note = EncryptedTextField(_("how it came back"))
    returned_by = models.ForeignKey(
        _USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "transferred_at"]

    def __str__(self):
        return f"handover of {self.item_id}"

    @property
    def is_out(self) -> bool:
        return self.returned_at is None


class ProofKind(models.TextChoices):
    C2PA = "c2pa", _("C2PA content credentials")
    PROOFMODE = "proofmode", _("ProofMode proof bundle")


class ProofStatus(models.TextChoices):
    """What checking a file's own proof found (credentials.py, proofmode.py)."""

    TRUSTED = "trusted", _("Valid, signed by a trusted certificate")
    VALID = "valid", _("Valid, but the signer is not on a trust list")
    VERIFIED = "verified", _("Signatures and hashes verified")
    DOES_NOT_MATCH = "does_not_match", _("Does not match: the file or its proof was changed")
    DAMAGED = "damaged", _("Present but cannot be read")
    NOT_CHECKED = "not_checked", _("Not checked")


class ItemProof(models.Model):
    """What a file's own proof says and whether the file still matches it, checked once at
    ingest: C2PA content credentials in the file, or a ProofMode bundle's signatures and
    hashes. Only ever added; a proof that does not match flags the item, never refuses it.
    ``report`` (JSON) names signers, devices and places: encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="proofs")
    kind = models.CharField(_("proof"), max_length=20, choices=ProofKind.choices)
    status = models.CharField(_("result"), max_length=20, choices=ProofStatus.choices)
    flagged = models.BooleanField(_("flagged"), default=False)
    report = EncryptedTextField(_("what the proof says"))
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "checked_at"]

    def __str__(self):
        return f"{self.kind} proof of {self.item_id}"


class KnownKey(Recorded):
    """A PGP public key the group has checked belongs to someone (a witness's phone running
    ProofMode), for one case or, without a case, for the whole group. A bundle signed with a
    key recorded here is shown as signed by a known key, not only by the key it carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(_("fingerprint"), max_length=64, db_index=True)
    label = EncryptedTextField(_("whose key"), help_text=_("e.g. “the witness's phone”"))
    armored = EncryptedTextField(_("public key"))

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"known key {self.fingerprint[-16:]}"


class TimestampSubject(models.TextChoices):
    ITEM = "item", _("An item's SHA-256")
    HEADS = "heads", _("The heads of the custody chains and the audit log")


class TimestampStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the time-stamping authority")
    OBTAINED = "obtained", _("Obtained and checked")
    FAILED = "failed", _("Failed")


class TimestampToken(models.Model):
    """An RFC 3161 token from a time-stamping authority over ``statement`` (a few lines naming
    hashes and counts: an item's SHA-256, or chain heads), asked for in the background and
    retried while the authority is out of reach (timestamping.py). ``token`` is the TSA's whole
    reply, checked against its configured certificate chain before it was kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.CharField(max_length=10, choices=TimestampSubject.choices)
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="timestamps"
    )
    statement = ServerSealedTextField()  # names the item's SHA-256
    authority = models.CharField(_("time-stamping authority"), max_length=300)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=TimestampStatus.choices,
        default=TimestampStatus.PENDING,
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    token = models.BinaryField(null=True, blank=True)
    stamped_at = models.DateTimeField(_("time attested"), null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_try_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["requested_at", "authority"]
        indexes = [models.Index(fields=["status", "next_try_at"])]

    def __str__(self):
        return f"timestamp {self.subject} {str(self.id)[:8]}"
