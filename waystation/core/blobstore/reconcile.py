"""Rows against objects: which rows name a blob the store does not hold (missing files), and
which stored blobs no row names (orphans: an upload whose row was never written, a job whose
clean-up was cut off, objects a restore brought from a newer copy of the store).

A row refers to a blob through a field named ``blob`` or ending in ``_blob`` (the convention
of every app; ``REFERENCE_FIELDS`` in the tests pins the list). A sign-in session can refer to
one too (the spreadsheet import keeps its upload between the preview and the import): any
blob name found in a live session's data counts as a reference. Core imports no feature: the
fields are found through the model registry.

Nothing personal is reported: counts, model names, row ids and blob names (keyed digests).
Orphans are removed only when older than ``ORPHAN_AGE`` (an upload still coming has no row
yet, and a blob is installed before the row that names it is committed).
"""

import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.utils import timezone

from .store import BLOB_NAME, BlobStore, StoredObject

ORPHAN_AGE = 3600.0  # seconds


def reference_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that holds a blob name."""
    found = []
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            name = model_field.name
            if isinstance(model_field, models.CharField) and (
                name == "blob" or name.endswith("_blob")
            ):
                found.append((model, name))
    return found


def _label(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


def _session_names(value) -> Iterator[str]:
    if isinstance(value, str):
        if BLOB_NAME.match(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _session_names(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _session_names(item)


def _referenced_by_sessions() -> set[str]:
    names = set()
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        names.update(_session_names(session.get_decoded()))  # {} for one it cannot read
    return names


@dataclass
class Reconciliation:
    """What ``reconcile`` found. ``missing``: per field label, the ids of rows whose blob is
    not in the store. ``orphans``: stored blobs no row or session names."""

    objects: int = 0
    references: int = 0
    missing: dict[str, list] = field(default_factory=dict)
    orphans: list[StoredObject] = field(default_factory=list)

    @property
    def missing_count(self) -> int:
        return sum(len(ids) for ids in self.missing.values())

    def removable(self, now: float | None = None, age: float = ORPHAN_AGE) -> list[StoredObject]:
        """The orphans old enough to be removed."""
        now = time.time() if now is None else now
        return [o for o in self.orphans if now - o.modified >= age]


def reconcile(store: BlobStore) -> Reconciliation:
    """Compare the store's objects with every row (and live session) that names one. The
    store is listed first: a blob written meanwhile is then seen as named, not as orphan,
    once its row exists; one written after the listing is not looked at."""
    stored = {o.name: o for o in store.objects()}
    report = Reconciliation(objects=len(stored))
    named: set[str] = set()
    for model, name in reference_fields():
        rows = model._default_manager.exclude(**{name: ""}).values_list("pk", name)
        absent = defaultdict(list)
        for pk, blob in rows.iterator():
            named.add(blob)
            if blob not in stored:
                absent[_label(model, name)].append(pk)
        for label, ids in absent.items():
            report.missing[label] = sorted(ids)
    report.references = len(named)
    named |= _referenced_by_sessions()
    report.orphans = sorted(
        (o for n, o in stored.items() if n not in named), key=lambda o: o.name
    )
    return report


def remove_orphans(
    store: BlobStore, report: Reconciliation, age: float = ORPHAN_AGE
) -> list[StoredObject]:
    """Delete the orphans older than ``age`` seconds; returns them. Each is looked at again
    just before: a row that names it now (written since the report) keeps it."""
    removed = []
    fields = reference_fields()
    for orphan in report.removable(age=age):
        if any(m._default_manager.filter(**{n: orphan.name}).exists() for m, n in fields):
            continue
        store.delete(orphan.name)
        removed.append(orphan)
    return removed
