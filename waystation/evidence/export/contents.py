"""What goes into a package besides the bytes of the items: the tables under data/ for what
the gate released, as JSON (exact values) and CSV (to read in a spreadsheet), made in memory
before the first byte is written: they are small next to the items."""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings

from waystation.core import corrections, signing
from waystation.core.uploads import display_name

from .. import custody, gate
from ..models import CustodyEntry, Event, Item, Testimony
from . import proofs, stamps

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)
}


@dataclass
class Contents:
    """Everything the bag holds but the bytes of the items, made before the first byte is
    written."""

    release: gate.Release
    items: list[tuple[Item, str]]  # and the item's path in the bag
    tables: list[tuple[str, bytes]]
    source: str
    signing_key: str

    @property
    def package_id(self) -> str:
        return self.release.id

    @property
    def payload_bytes(self) -> int:
        return sum(item.size for item, _ in self.items) + sum(len(b) for _, b in self.tables)

    @property
    def payload_files(self) -> int:
        return len(self.items) + len(self.tables)


def _file_name(item: Item) -> str:
    """The item's name inside the bag: shown safely (core.uploads.display_name), with no "%"
    (RFC 8493 percent-encodes it in manifests, bagit-python does not decode it) and no
    device name Windows would refuse."""
    name = display_name(item.original_name).replace("%", "_") or "unnamed"
    if name.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _username(user) -> str | None:
    return user.username if user else None


def _metadata(text: str):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


ITEM_COLUMNS = (
    "id",
    "case",
    "file",
    "kind",
    "sha256",
    "size",
    "media_type",
    "original_name",
    "original_modified",
    "acquired_on",
    "acquired_how",
    "acquired_from",
    "source",
    "description",
    "verification",
    "verification_reason",
    "verified_by",
    "verified_at",
    "ingested_at",
    "events",
    "extracted_metadata",
)

TESTIMONY_COLUMNS = (
    "id",
    "case",
    "interviewed_on",
    "interviewer",
    "interpreter",
    "language",
    "statement",
    "consent_scope",
    "consent_body",
    "consent_recorded_on",
    "events",
    "corrections",
)

EVENT_COLUMNS = ("id", *Event.CORRECTABLE_FIELDS, "corrected_at", "earlier_versions")

CUSTODY_COLUMNS = (
    "item",
    "seq",
    "action",
    "actor",
    "actor_username",
    "at",
    "details",
    "previous_hash",
    "entry_hash",
    "canonical",
)


def _item_row(item: Item, path: str, codename: str) -> dict:
    return {
        "id": str(item.pk),
        "case": codename,
        "file": path,
        "kind": item.kind,
        "sha256": item.sha256,
        "size": item.size,
        "media_type": item.media_type,
        "original_name": item.original_name,
        "original_modified": _date(item.original_modified),
        "acquired_on": _date(item.acquired_on),
        "acquired_how": item.acquired_how,
        "acquired_from": item.acquired_from,
        "source": item.origin,
        "description": item.description,
        "verification": item.verification,
        "verification_reason": item.verification_reason,
        "verified_by": _username(item.verified_by),
        "verified_at": _date(item.verified_at),
        "ingested_at": _date(item.ingested_at),
        "events": sorted(str(e.pk) for e in item.events.all()),
        "extracted_metadata": _metadata(item.extracted_metadata),
    }


def _testimony_row(testimony: Testimony, codename: str, events: set) -> dict:
    """The statement as it was taken and, under ``corrections``, each addendum to it in
    order: both, never one in place of the other."""
    return {
        "id": str(testimony.pk),
        "case": codename,
        "interviewed_on": _date(testimony.interviewed_on),
        "interviewer": _username(testimony.interviewer),
        "interpreter": testimony.interpreter,
        "language": testimony.language,
        "statement": testimony.statement,
        "consent_scope": list(testimony.consent_scope),
        "consent_body": testimony.consent_body,
        "consent_recorded_on": _date(testimony.consent_recorded_on),
        "events": [
            {"event": str(link.event_id), "role": link.role}
            for link in sorted(testimony.event_links.all(), key=lambda link: str(link.event_id))
            if link.event_id in events
        ],
        "corrections": [
            {
                "number": addendum.number,
                "text": addendum.text,
                "reason": addendum.reason,
                "added_by": _username(addendum.added_by),
                "added_at": _date(addendum.added_at),
            }
            for addendum in testimony.addenda.select_related("added_by").order_by("number")
        ],
    }


def _event_row(event: Event) -> dict:
    return {
        "id": str(event.pk),
        "act_type": event.act_type,
        "title": event.title,
        "date_from": _date(event.date_from),
        "date_to": _date(event.date_to),
        "date_certainty": event.date_certainty,
        "place": event.place,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "victims_count": event.victims_count,
        "victims_kind": event.victims_kind,
        "perpetrator_unit": event.perpetrator_unit,
        "perpetrator_rank": event.perpetrator_rank,
        "perpetrator_names": event.perpetrator_names,
        "description": event.description,
        "corrected_at": _date(event.corrected_at),
        "earlier_versions": [
            {
                "number": version.number,
                "kind": version.kind,
                "at": _date(version.at),
                "by": _username(version.by),
                "reason": version.reason,
                "values": version.earlier,
            }
            for version in corrections.history(event)
        ],
    }


def _custody_row(entry: CustodyEntry) -> dict:
    """The fields a link vouches for exactly as ``custody.canonical`` has them, the canonical
    text itself so the recipient can recompute ``entry_hash``, and the actor's username to
    read by. Not the MAC: only the instance could check it."""
    canonical = custody.canonical(entry).decode()
    fields = json.loads(canonical)
    return {
        "item": fields["item"],
        "seq": fields["seq"],
        "action": fields["action"],
        "actor": fields["actor"],
        "actor_username": _username(entry.actor),
        "at": fields["at"],
        "details": fields["details"],
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
        "canonical": canonical,
    }


def _json(rows: list[dict]) -> bytes:
    return (json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n").encode()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = str(value)
    # A spreadsheet would run "=…" as a formula: the JSON files keep the exact text.
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[column]) for column in columns])
    return buffer.getvalue().encode()


def make_contents(release: gate.Release) -> Contents:
    """The tables for what ``release`` lets go, and nothing else."""
    gate.admit(release)
    codename = release.case.codename
    items = [(item, f"data/items/{item.pk}/{_file_name(item)}") for item in release.items]
    event_ids = {e.pk for item in release.items for e in item.events.all()} | {
        link.event_id for t in release.testimonies for link in t.event_links.all()
    }
    # Sorted here: titles are sealed on PostgreSQL, where the database cannot order them.
    events = sorted(
        Event.objects.filter(pk__in=event_ids),
        key=lambda e: (e.date_from is None, e.date_from or date.min, e.title, str(e.pk)),
    )
    current = {event.pk for event in events}  # withdrawn events are left out
    entries = (
        CustodyEntry.objects.filter(item__in=[item.pk for item in release.items])
        .select_related("actor")
        .order_by("item__ingested_at", "item_id", "seq")
    )
    tables = {
        "items": ([_item_row(item, path, codename) for item, path in items], ITEM_COLUMNS),
        "testimonies": (
            [_testimony_row(t, codename, current) for t in release.testimonies],
            TESTIMONY_COLUMNS,
        ),
        "events": ([_event_row(e) for e in events], EVENT_COLUMNS),
        "custody": ([_custody_row(e) for e in entries.iterator(2000)], CUSTODY_COLUMNS),
    }
    files = []
    for name, (rows, columns) in tables.items():
        files.append((f"data/{name}.json", _json(rows)))
        files.append((f"data/{name}.csv", _csv(rows, columns)))
    files += proofs.proof_files(release.items)
    files += stamps.timestamp_files(release.items, tables["custody"][0])
    return Contents(
        release=release,
        items=items,
        tables=files,
        source=getattr(settings, "EVIDENCE_SOURCE_ORGANIZATION", "") or "Waystation instance",
        signing_key=signing.public_key_text(),
    )
