"""Corrections with the history kept: the one pattern for records members get wrong.

A record written by mistake is never overwritten silently nor deleted. Two things can happen
to it, both kept for ever in its history:

- **corrected**: some of its fields change; the values they had are kept as a numbered
  version (who, when, why), and the record shows "corrected";
- **withdrawn**: it leaves every list, count, report, dashboard and export (its model's
  default manager no longer returns it) but stays in the database with its history, the
  withdrawal being the last version (who, when, why).

How a feature follows it (cases does it for notes, risk events and status steps)::

    class Note(Correctable):
        CORRECTABLE_FIELDS = ("text", "legal")        # what a version keeps
        ...

    class NoteVersion(KeptVersion):
        record = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="versions")

        class Meta(KeptVersion.Meta):
            constraints = [unique_number("record")]

and in its services, inside the transaction of the change and after its own permission check
(``policy.check`` then the object rule) and its audit row::

    version = correct(note, {"text": new_text}, reason=reason, by=actor)   # or withdraw(...)

Readers: ``Model.objects`` is the current record only (withdrawn left out), so every list,
count and export written with it leaves withdrawn records out without knowing about them;
``Model.all_objects`` reaches the withdrawn ones too (a history page, through the same object
rule as the record). ``history(record)`` gives the versions, newest first, each with its
earlier values decrypted and labelled.

Encryption: a version's values and its reason are one ``EncryptedTextField`` each, bound to
the version's row, whatever the record keeps in the clear: an earlier text is at least as
protected as the record, and the reason may name people. Only the number, the kind, the time
and who are in the clear. Audit rows name ids, versions and field names, never the values or
the reason (audit data holds no free text).

This module knows no feature, no permission and no audit: the caller does those.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField


class CurrentManager(models.Manager):
    """The records that stand: withdrawn ones left out. The default manager of a
    ``Correctable`` model, and so of its reverse relations (``case.notes``)."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class AllRecords(models.Manager):
    """Every record, the withdrawn ones too: ``Model.all_objects``, for histories."""


class Correctable(models.Model):
    """A record that can be corrected (versions kept) or withdrawn (hidden, kept).

    ``CORRECTABLE_FIELDS`` names the fields a correction may change; a version keeps their
    values. Django's base manager (relations from other rows, deletion) still sees every row.
    """

    CORRECTABLE_FIELDS: tuple[str, ...] = ()

    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = CurrentManager()
    all_objects = AllRecords()

    class Meta:
        abstract = True

    @property
    def is_corrected(self) -> bool:
        return self.corrected_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class VersionKind(models.TextChoices):
    CORRECTED = "corrected", _("Corrected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class KeptVersion(models.Model):
    """One step of a record's history: the values it had before a correction (or when it was
    withdrawn), why, who and when. A concrete subclass adds ``record``, the foreign key to its
    ``Correctable`` model (``related_name="versions"``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=VersionKind.choices)
    values = EncryptedTextField()  # JSON: CORRECTABLE_FIELDS -> the value before
    reason = EncryptedTextField()
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-number"]

    def __str__(self):
        return f"version {self.number} of {self.record_id}"

    @property
    def is_withdrawal(self) -> bool:
        return self.kind == VersionKind.WITHDRAWN


def unique_number(record_field: str = "record") -> models.UniqueConstraint:
    """The constraint every concrete version model declares: one number per record."""
    return models.UniqueConstraint(
        fields=[record_field, "number"], name="%(app_label)s_%(class)s_unique_number"
    )


def _field_value(record, name):
    value = getattr(record, name)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(record) -> dict:
    """The record's correctable fields as plain values (dates as ISO text)."""
    return {name: _field_value(record, name) for name in record.CORRECTABLE_FIELDS}


def _keep(record, *, kind: str, reason: str, by) -> KeptVersion:
    versions = record.versions.model
    last = versions.objects.filter(record=record).aggregate(models.Max("number"))["number__max"]
    version = versions(
        record=record,
        number=(last or 0) + 1,
        kind=kind,
        values=json.dumps(snapshot(record), cls=DjangoJSONEncoder, ensure_ascii=False),
        reason=reason.strip(),
        by=by if getattr(by, "pk", None) is not None else None,
    )
    version.save(force_insert=True)
    return version


def changes(record, new_values: dict) -> list[str]:
    """The correctable fields whose value ``new_values`` would change, sorted."""
    unknown = set(new_values) - set(record.CORRECTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not correctable fields: {sorted(unknown)}")
    before = snapshot(record)
    return sorted(
        name
        for name, value in new_values.items()
        if (value.isoformat() if isinstance(value, datetime | date) else value) != before[name]
    )


def keep(record, *, by, reason: str = "") -> KeptVersion:
    """Keep the record's values as a version before the caller changes them itself: for a
    record that is versioned but never withdrawn (a case's details). Call inside the caller's
    transaction, before the change."""
    return _keep(record, kind=VersionKind.CORRECTED, reason=reason, by=by)


def correct(record, new_values: dict, *, reason: str, by) -> tuple[KeptVersion, list[str]]:
    """Keep the record's values as a version, then change them. Call inside the caller's
    transaction, after checking that something changes (``changes``), the record stands and the
    reason is given. Returns the version and the changed field names."""
    if record.withdrawn_at is not None:
        raise ValueError("a withdrawn record cannot be corrected")
    changed = changes(record, new_values)
    version = _keep(record, kind=VersionKind.CORRECTED, reason=reason, by=by)
    for name in changed:
        setattr(record, name, new_values[name])
    record.corrected_at = version.at
    record.save(update_fields=[*changed, "corrected_at"])
    return version, changed


def withdraw(record, *, reason: str, by) -> KeptVersion:
    """Withdraw the record: hidden from everything read through ``objects``, its values and
    the reason kept as the last version. Call inside the caller's transaction."""
    if record.withdrawn_at is not None:
        raise ValueError("already withdrawn")
    version = _keep(record, kind=VersionKind.WITHDRAWN, reason=reason, by=by)
    record.withdrawn_at = version.at
    record.withdrawn_by = version.by
    record.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return version


@dataclass(frozen=True)
class Shown:
    """One value as a page shows it: ``kind`` is "date", "datetime", "bool" or "text" (a
    choice already as its label), for the template to format it."""

    label: str
    value: object
    kind: str = "text"


def shown_values(record_model, values: dict) -> list[Shown]:
    """A version's values with their field labels, choices as their labels and dates as dates,
    in the order of ``CORRECTABLE_FIELDS``."""
    shown = []
    for name in record_model.CORRECTABLE_FIELDS:
        if name not in values:
            continue
        field = record_model._meta.get_field(name)
        value, kind = values[name], "text"
        if field.choices and value is not None:
            value = dict(field.flatchoices).get(value, value)
        elif isinstance(field, models.DateTimeField):
            value, kind = datetime.fromisoformat(value) if value else None, "datetime"
        elif isinstance(field, models.DateField):
            value, kind = date.fromisoformat(value) if value else None, "date"
        elif isinstance(field, models.BooleanField):
            kind = "bool"
        shown.append(Shown(capfirst(field.verbose_name), value, kind))
    return shown


def shown_now(record) -> list[Shown]:
    """The record's correctable fields as they are now, labelled like a version's."""
    return shown_values(type(record), snapshot(record))


def history(record) -> list[KeptVersion]:
    """The record's versions, newest first, each with ``shown`` (its earlier values, labelled)
    and ``earlier`` (the same as a dict). Decrypts every version: only for a reader of the
    record."""
    model = type(record)
    versions = list(record.versions.select_related("by").order_by("-number"))
    for version in versions:
        version.earlier = json.loads(version.values or "{}")
        version.shown = shown_values(model, version.earlier)
    return versions
