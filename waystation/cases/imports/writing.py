"""Writing a checked list of people: every case with its timeline, needs, family, note and
identity vault, in one transaction, with one audit row for the import.

Built for 10,000 people: rows are written as plain tuples many to a statement
(``core.bulk``), vault fields are encrypted with the cipher set up once per field, and the
codenames to generate are checked against the database in a few queries, not one per case.
"""

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.bulk import chunks, insert_rows, null
from waystation.core.fields import BlindIndex
from waystation.core.keyring import Purpose
from waystation.core.spreadsheets.bulk import collector_paused

from .. import codenames
from ..models import Case, FamilyMember, Identity, Need, Note, Status, StatusChange, Urgency
from .schema import VAULT
from .values import RELATION_LABELS

_CASE_COLUMNS = (
    "codename",
    "status",
    "status_since",
    "urgency",
    "languages",
    "city",
    "summary",
    "caseworker",
    "lawyer",
    "created_at",
    "updated_at",
    "transferred_to",
    "transferred_at",
    "city_search",
    # No risk events come with an import: no detention goes on (cases.detention keeps them).
    "ongoing_detention",
    "detained_since",
)
# A new row stands, never corrected nor withdrawn (core.corrections): the last three are null.
_STANDING = ("corrected_at", "withdrawn_at", "withdrawn_by")
_STEP_COLUMNS = ("case", "status", "on", "note", "recorded_by", "recorded_at", *_STANDING)
_NEED_COLUMNS = ("case", "kind", "noted_on", "met_on", "note")
_FAMILY_COLUMNS = ("case", "relation", "age", "with_them", "note")
_NOTE_COLUMNS = ("case", "text", "legal", "author", "created_at", "search", *_STANDING)
_IDENTITY_COLUMNS = ("case", *Identity.FIELDS, "updated_at")


@dataclass(frozen=True)
class Written:
    cases: int
    identities: int  # cases whose vault got at least one field
    first_case: int | None
    last_case: int | None


def taken_codenames(wanted: set[str]) -> set[str]:
    """Which of these codenames cases already have."""
    taken: set[str] = set()
    for chunk in chunks(sorted(wanted), 500):
        taken.update(Case.objects.filter(codename__in=chunk).values_list("codename", flat=True))
    return taken


def _fresh_codenames(count: int, reserved: set[str]) -> list[str]:
    """``count`` generated codenames that no case has and none of ``reserved`` is. About a
    million combinations: among 100,000 cases a few candidates collide and are drawn again."""
    found: list[str] = []
    for _attempt in range(50):
        wanted = count - len(found)
        if not wanted:
            return found
        candidates = set()
        while len(candidates) < wanted:
            candidate = codenames.generate()
            if candidate not in reserved:
                candidates.add(candidate)
        free = candidates - taken_codenames(candidates)
        found.extend(sorted(free))
        reserved |= candidates
    raise RuntimeError("no free codenames left to generate")


def _sealers(model, *names):
    """The functions text -> stored value of these ``ServerSealedTextField``s (sealed on
    PostgreSQL, the text itself on SQLite), each set up once for the whole import."""
    return [model._meta.get_field(name).sealer(connection) for name in names]


def _blind_index(model, name):
    """text -> the stored blind index of ``model.name`` (None on SQLite), for raw inserts."""
    field = model._meta.get_field(name)
    if connection.vendor != "postgresql":
        return lambda text: None
    index = BlindIndex(Purpose(field.purpose))
    return index.of_text


def _vault_values(values: dict) -> list[str]:
    """The vault's fields in ``Identity.FIELDS`` order; a field fed by several columns (the
    legal name from surname, name and patronymic) joins them with a space."""
    found = []
    for names in _VAULT_SOURCES:
        if len(names) == 1:
            found.append(values.get(names[0]) or "")
        else:
            found.append(" ".join(text for name in names if (text := values.get(name))))
    return found


_VAULT_SOURCES = tuple(VAULT[name] for name in Identity.FIELDS)


def _steps(values: dict, today: date, notes: dict) -> tuple[str, date, list[tuple]]:
    """The case's status, since when, and its timeline. The arrival is the day the border
    was crossed — or, for someone "in transit" (the usual case), the day that began. Any
    other status from the list is dated the day of the import: the list says "now"."""
    status = values.get("status") or Status.IN_TRANSIT
    arrival = values.get("arrival")
    if arrival is None:
        return status, today, [(status, today, notes["status"])]
    note = notes["arrival"] if arrival.day_known else notes["arrival_month"]
    if status in (Status.IN_TRANSIT, Status.CROSSED):
        return status, arrival.value, [(status, arrival.value, note)]
    return status, today, [(Status.CROSSED, arrival.value, note), (status, today, notes["status"])]


@collector_paused()
def write_people(*, actor, people: list[dict], rejected: int, filename: str) -> Written:
    """Write ``people`` (each the parsed values of one good row, by field name) as new
    cases, all or none. The caller has checked the permission and the codenames."""
    today = timezone.localdate()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    day = cache(connection.ops.adapt_datefield_value)  # bound as text: see core.bulk
    nothing = null()
    author = nothing if member(actor) is None else actor.pk  # a system actor: the audit row
    # Written into the timeline in the importer's language, as a member would write them.
    notes = {
        "arrival": _("arrival, from the imported list"),
        "arrival_month": _("arrival, from the imported list; the day is not known"),
        "status": _("status from the imported list"),
    }
    with transaction.atomic():
        given = [person.get("codename") or "" for person in people]
        generated = iter(_fresh_codenames(given.count(""), {name for name in given if name}))
        names = [name or next(generated) for name in given]
        cases, timelines = [], []
        seal_languages, seal_city, seal_summary = _sealers(Case, "languages", "city", "summary")
        city_index = _blind_index(Case, "city_search")
        for name, person in zip(names, people, strict=True):
            status, since, steps = _steps(person, today, notes)
            timelines.append(steps)
            cases.append(
                (
                    name,
                    status,
                    day(since),
                    person.get("urgency") or Urgency.WATCH,
                    seal_languages(person.get("languages") or ""),
                    seal_city(person.get("city") or ""),
                    seal_summary(""),
                    nothing,
                    nothing,
                    now,
                    now,
                    "",  # not transferred to a partner
                    nothing,
                    city_index(person.get("city") or ""),
                    nothing,
                    nothing,
                )
            )
        # Every id given now is above the highest one before (ids only grow, on SQLite as on
        # PostgreSQL); the codename, unique, says which new case is which row.
        before = Case.objects.aggregate(highest=Max("pk"))["highest"] or 0
        insert_rows(Case, _CASE_COLUMNS, cases)
        ids = dict(Case.objects.filter(pk__gt=before).values_list("codename", "id"))
        case_ids = [ids[name] for name in names]

        step_rows, need_rows, family_rows, note_rows, vaults = [], [], [], [], []
        standing = (nothing,) * len(_STANDING)
        sealers = [Identity._meta.get_field(name).sealer() for name in Identity.FIELDS]
        relations = {key: str(label) for key, label in RELATION_LABELS.items()}
        (seal_step,) = _sealers(StatusChange, "note")
        (seal_need,) = _sealers(Need, "note")
        seal_relation, seal_family = _sealers(FamilyMember, "relation", "note")
        (seal_note,) = _sealers(Note, "text")
        note_index = _blind_index(Note, "search")
        filled = 0
        for pk, person, steps in zip(case_ids, people, timelines, strict=True):
            step_rows.extend(
                (pk, status, day(on), seal_step(note), author, now, *standing)
                for status, on, note in steps
            )
            need_rows.extend(
                (pk, kind, day(today), nothing, seal_need(note))
                for kind, note in person.get("needs") or ()
            )
            family_rows.extend(
                (pk, seal_relation(relations[relation]), age, 1, seal_family(""))
                for relation, age in person.get("family") or ()
            )
            if person.get("notes"):
                text = person["notes"]
                note_rows.append(
                    (pk, seal_note(text), 0, author, now, note_index(text), *standing)
                )
            vault = _vault_values(person)
            filled += any(vault)
            vaults.append(
                (pk, *[seal(pk, text) for seal, text in zip(sealers, vault, strict=True)], now)
            )
        insert_rows(StatusChange, _STEP_COLUMNS, step_rows)
        insert_rows(Need, _NEED_COLUMNS, need_rows)
        insert_rows(FamilyMember, _FAMILY_COLUMNS, family_rows)
        insert_rows(Note, _NOTE_COLUMNS, note_rows)
        insert_rows(Identity, _IDENTITY_COLUMNS, vaults)
        written = Written(
            cases=len(case_ids),
            identities=filled,
            first_case=min(case_ids, default=None),
            last_case=max(case_ids, default=None),
        )
        record(
            Event.CASES_IMPORTED,
            actor=actor,
            data={
                "cases": written.cases,
                "identities": written.identities,
                "notes": len(note_rows),
                "rejected": rejected,
                "first_case": written.first_case,
                "last_case": written.last_case,
                "file_kind": _file_kind(filename),
            },
        )
    return written


def _file_kind(filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in ("csv", "tsv", "txt", "xlsx", "ods") else "other"
