"""Writes for the outreach log. Each function checks ``Perm.OUTREACH_EDIT`` first and is one
transaction with its audit row. Reading a spreadsheet into a plan is in ``planning``; finding
an organisation by name in ``selectors``."""

from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import attrgetter

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from waystation.accounts.policy import Perm, check, member
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core import bulk
from waystation.core.bulk import chunks, insert_returning, insert_rows
from waystation.core.refusals import Refusal
from waystation.core.spreadsheets import ALL_OR_NOTHING, ImportRefused, collector_paused
from waystation.core.spreadsheets.writing import write_table

from .exporting import HEADERS, all_approaches, export_rows
from .models import (
    Approach,
    Contact,
    ImportBatch,
    Organisation,
    OrganisationKind,
    OrganisationName,
    Response,
    ResponseKind,
    contact_key,
)
from .planning import cases_named
from .selectors import organisation_by_name
from .spreadsheet.names import organisation_key
from .spreadsheet.schema import approach_rows


class OutreachError(Refusal):
    """A refusal with a message for the user; nothing was written."""


def organisation_create(
    *, actor, name: str, kind=OrganisationKind.OTHER, country="", city="", website="", notes=""
) -> Organisation:
    check(actor, Perm.OUTREACH_EDIT)
    name = " ".join(name.split())
    if organisation_by_name(name) is not None:
        raise OutreachError(_("An organisation with this name is already in the directory."))
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name, kind=kind, country=country, city=city, website=website, notes=notes
        )
        OrganisationName.objects.create(
            organisation=organisation, name=name, key=organisation_key(name)
        )
        record(Event.ORGANISATION_CREATED, actor=actor, obj=organisation)
    return organisation


def organisation_add_name(*, actor, organisation: Organisation, name: str) -> None:
    """Link another name ("German Embassy" for "Посольство Германии") to an organisation."""
    check(actor, Perm.OUTREACH_EDIT)
    name = " ".join(name.split())
    other = organisation_by_name(name)
    if other is not None:
        raise OutreachError(
            _("That name belongs to “%(name)s” already; merge the two instead.") % {"name": other}
        )
    with transaction.atomic():
        known = OrganisationName.objects.create(
            organisation=organisation, name=name, key=organisation_key(name)
        )
        record(Event.ORGANISATION_CHANGED, actor=actor, obj=organisation, data={"name": known.pk})


def organisations_merge(*, actor, keep: Organisation, merge: Organisation) -> None:
    """Move everything of ``merge`` to ``keep`` (approaches, contacts, names) and delete it."""
    check(actor, Perm.OUTREACH_EDIT)
    if keep.pk == merge.pk:
        raise OutreachError(_("Choose two different organisations."))
    with transaction.atomic():
        for contact in merge.contacts.all():
            twin = keep.contacts.filter(name_key=contact.name_key).first()
            if twin is not None:
                Approach.objects.filter(contact=contact).update(contact=twin)
                contact.delete()
            else:
                contact.organisation = keep
                contact.save(update_fields=["organisation"])
        merge.approaches.update(organisation=keep)
        merge.names.update(organisation=keep)
        record(Event.ORGANISATIONS_MERGED, actor=actor, obj=keep, data={"merged": merge.pk})
        merge.delete()


def organisation_update(*, actor, organisation: Organisation, **fields) -> Organisation:
    check(actor, Perm.OUTREACH_EDIT)
    name = " ".join(fields.pop("name").split())
    other = organisation_by_name(name)
    if other is not None and other.pk != organisation.pk:
        raise OutreachError(_("An organisation with this name is already in the directory."))
    with transaction.atomic():
        for attribute, value in fields.items():
            setattr(organisation, attribute, value)
        # A ModelForm may have set the new name on this object already: compare with the row.
        stored = Organisation.objects.values_list("name", flat=True).get(pk=organisation.pk)
        organisation.name = name
        if name != stored and other is None:  # a new name: it becomes one more known name
            OrganisationName.objects.create(
                organisation=organisation, name=name, key=organisation_key(name)
            )
        organisation.save()
        record(
            Event.ORGANISATION_CHANGED,
            actor=actor,
            obj=organisation,
            data={"fields": sorted(fields) + (["name"] if name != stored else [])},
        )
    return organisation


def contact_save(
    *, actor, organisation: Organisation, name: str, role: str = "", addresses: str = ""
) -> Contact:
    check(actor, Perm.OUTREACH_EDIT)
    name = " ".join(name.split())
    with transaction.atomic():
        contact, _created = Contact.objects.update_or_create(
            organisation=organisation,
            name_key=contact_key(name),
            defaults={"name": name, "role": role, "addresses": addresses},
        )
        record(Event.CONTACT_SAVED, actor=actor, obj=organisation, data={"contact": contact.pk})
    return contact


def _contact_for(organisation: Organisation, name: str) -> Contact | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    contact, _created = Contact.objects.get_or_create(
        organisation=organisation, name_key=contact_key(name), defaults={"name": name}
    )
    return contact


def approach_create(
    *,
    actor,
    organisation: Organisation,
    date: date,
    channel: str,
    contact_name: str = "",
    subject: str = "",
    summary: str = "",
    day_known: bool = True,
    batch: ImportBatch | None = None,
    case=None,
) -> Approach:
    check(actor, Perm.OUTREACH_EDIT)
    with transaction.atomic():
        approach = Approach.objects.create(
            organisation=organisation,
            contact=_contact_for(organisation, contact_name),
            date=date,
            day_known=day_known,
            channel=channel,
            subject=subject,
            summary=summary,
            created_by=member(actor),
            batch=batch,
            case=case,
        )
        record(
            Event.APPROACH_RECORDED,
            actor=actor,
            obj=approach,
            data={"organisation": organisation.pk, "case": getattr(case, "pk", None)},
        )
    return approach


def response_record(
    *, actor, approach: Approach, kind: str, date: date | None, text: str = ""
) -> Response:
    """Record an answer (or, with kind "none", a note that none came) and keep the approach's
    outcome and first-answer date in step."""
    check(actor, Perm.OUTREACH_EDIT)
    if date is not None and date < approach.date:
        raise OutreachError(_("The response cannot be older than the approach."))
    with transaction.atomic():
        response = Response.objects.create(
            approach=approach, kind=kind, date=date, text=text, created_by=member(actor)
        )
        if kind != ResponseKind.NONE:
            approach.outcome = kind
            if date is not None and (approach.answered_on is None or date < approach.answered_on):
                approach.answered_on = date
            approach.save(update_fields=["outcome", "answered_on"])
        record(
            Event.RESPONSE_RECORDED,
            actor=actor,
            obj=approach,
            data={"response": response.pk, "kind": kind},
        )
    return response


@dataclass(frozen=True)
class ImportResult:
    batch: ImportBatch
    approaches: int
    responses: int
    new_organisations: int
    already_logged: int


def _known_kind(text: str) -> str:
    return text if text in OrganisationKind.values else OrganisationKind.OTHER


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def _known_country(text: str) -> str:
    code = (text or "").strip().upper()
    return code if code in _country_codes() else ""


def outreach_export(*, actor, fmt: str) -> bytes:
    """The whole log as a spreadsheet, audited: an export leaves the instance's protection."""
    check(actor, Perm.OUTREACH_EDIT)
    rows = export_rows(all_approaches())
    with transaction.atomic():
        record(Event.OUTREACH_EXPORTED, actor=actor, data={"format": fmt, "rows": len(rows)})
    return write_table(HEADERS, rows, fmt)


@collector_paused()
def outreach_import(
    *, actor, plan, filename: str, mode: str = ALL_OR_NOTHING, progress=None
) -> ImportResult:
    """Write a checked import plan (``core.spreadsheets.check`` with ``outreach_review``).
    All or nothing by default: a plan with any rejected row is refused whole, and the user
    fixes the file and imports it again, so nothing is half in. With ``mode=GOOD_ROWS`` the
    good rows are written and the rejected ones left to the caller (``rejected_file``).

    Built for 100,000 rows: the names, contacts and already-logged approaches that matter are
    read once up front, and everything is written as plain rows, many to an INSERT (see
    ``_insert``). Model objects and Django's per-object insert compilation cost four times the
    database's own work here; the column lists are checked against the models
    (``core.bulk.table_and_columns``), so a new field cannot be silently left out.

    ``progress(done, total)``, if given, is called as rows are written (for a background
    import's progress page); it runs inside the transaction, so it must not write to this
    database connection. Anything it raises rolls the whole import back."""
    check(actor, Perm.OUTREACH_EDIT)
    try:
        plan.refuse_unless_importable(mode)
    except ImportRefused as refusal:
        raise OutreachError(str(refusal)) from None
    planned = approach_rows(plan.records)
    # Written in date order: the indexes on the date then grow at one end, which makes
    # SQLite's insert a fifth faster than in the file's order. The log is read newest first
    # and then by id, and the sort is stable, so nobody sees a difference; nor does the check
    # for repeats below: repeats share their date, so the file's first one still comes first.
    rows = sorted(planned, key=attrgetter("date.value"))
    with transaction.atomic():
        batch = ImportBatch.objects.create(filename=filename[:255], imported_by=member(actor))
        # In the file's order: a new organisation's details come from the first row naming it.
        organisations, new_organisations = _organisations_for(planned)
        contacts = _contacts_for(rows, organisations, new_organisations)
        logged = _logged_approaches(set(organisations.values()) - new_organisations, rows)
        cases = cases_named({row.case for row in rows if row.case})
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        day = cache(connection.ops.adapt_datefield_value)  # a few thousand distinct dates
        null = bulk.null()  # NULL as insert_rows takes it on this database
        actor_id = null if member(actor) is None else actor.pk  # a system actor: no member
        batch_id = batch.pk
        # Free text sealed on PostgreSQL as saving a model would (core.fields); as is on SQLite.
        subject, summary = _sealer(Approach, "subject"), _sealer(Approach, "summary")
        answer_text = _sealer(Response, "text")
        no_answer = ResponseKind.NONE
        approaches, answers = [], []
        for row in rows:
            organisation = organisations[row.organisation_key]
            contact = contacts.get((row.organisation_key, row.contact))
            sent = row.date
            signature = (organisation, sent.value, row.channel, contact)
            if signature in logged:
                continue
            logged.add(signature)
            outcome = row.response_kind
            answered = outcome != no_answer
            approaches.append(
                (
                    organisation,
                    null if contact is None else contact,
                    day(sent.value),
                    1 if sent.day_known else 0,  # not a bool: see _insert
                    row.channel,
                    subject(row.subject or ""),
                    summary(row.comment or ""),
                    actor_id,
                    now,
                    batch_id,
                    cases.get(row.case, null),
                    outcome,
                    day(row.response_date.value) if answered and row.response_date else null,
                )
            )
            answers.append(row if answered else None)
        for done, chunk in enumerate(chunks(approaches, 1000), start=1):
            insert_rows(Approach, _APPROACH_COLUMNS, chunk)
            if progress is not None:
                progress(min(done * 1000, len(approaches)), len(approaches))
        # This batch's approaches in the order they were written: ids only grow, on SQLite
        # (AUTOINCREMENT) as on PostgreSQL (one sequence, one session).
        ids = list(Approach.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True))
        if len(ids) != len(approaches):
            raise RuntimeError("the import wrote a different number of approaches than planned")
        # In their approaches' order: the index on approach_id then grows at one end (less than
        # half the time of the file's order). Responses are only ever read per approach.
        responses = [
            (
                approach,
                row.response_kind,
                answer_text(row.response_text or ""),
                day(row.response_date.value) if row.response_date else null,
                actor_id,
                now,
            )
            for approach, row in zip(ids, answers, strict=True)
            if row is not None
        ]
        insert_rows(Response, _RESPONSE_COLUMNS, responses)
        already = len(rows) - len(approaches)
        batch.rows = len(approaches)
        batch.save(update_fields=["rows"])
        created = len(new_organisations)
        record(
            Event.OUTREACH_IMPORTED,
            actor=actor,
            obj=batch,
            data={
                "rows": batch.rows,
                "organisations_new": created,
                "already_logged": already,
                "rejected": len(plan.rejected),
            },
        )
    return ImportResult(batch, batch.rows, len(responses), created, already)


def _sealer(model, name: str):
    """text -> the value to write for a field sealed on PostgreSQL (core.fields)."""
    return model._meta.get_field(name).sealer(connection)


def _spaced(text: str) -> str:
    return " ".join((text or "").split())


# What an import writes, field by field: every other field of the model must be the primary
# key, which the database gives (see core.bulk.table_and_columns).
_APPROACH_COLUMNS = (
    "organisation",
    "contact",
    "date",
    "day_known",
    "channel",
    "subject",
    "summary",
    "created_by",
    "created_at",
    "batch",
    "case",
    "outcome",
    "answered_on",
)
_RESPONSE_COLUMNS = ("approach", "kind", "text", "date", "created_by", "created_at")
_ORGANISATION_COLUMNS = ("name", "kind", "country", "city", "website", "notes", "created_at")
_NAME_COLUMNS = ("organisation", "name", "key")
_CONTACT_COLUMNS = ("organisation", "name", "name_key", "role", "addresses")


def _organisations_for(rows) -> tuple[dict[str, int], set[int]]:
    """Every organisation the rows name, as key -> id: found by any known name, else created
    (with its name as a known name); and the ids of those created now."""
    first = {}
    for row in rows:
        first.setdefault(row.organisation_key, row)
    found = {}
    for chunk in chunks(sorted(first), 500):
        found.update(
            OrganisationName.objects.filter(key__in=chunk).values_list("key", "organisation_id")
        )
    new = {key: _spaced(row.organisation) for key, row in first.items() if key not in found}
    if not new:
        return found, set()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    notes = _sealer(Organisation, "notes")("")
    named = {}  # one organisation per name, so the name identifies what RETURNING gives back
    for key, name in new.items():
        row = first[key]
        named.setdefault(
            name,
            (name, _known_kind(row.kind), _known_country(row.country), row.city, "", notes, now),
        )
    ids = dict(
        insert_returning(Organisation, _ORGANISATION_COLUMNS, list(named.values()), ("name", "id"))
    )
    insert_rows(
        OrganisationName, _NAME_COLUMNS, [(ids[name], name, key) for key, name in new.items()]
    )
    found.update((key, ids[name]) for key, name in new.items())
    return found, set(ids.values())


def _contacts_for(rows, organisations, new_organisations) -> dict[tuple[str, str], int]:
    """(organisation key, contact as written) -> contact id for every contact the rows name,
    found by organisation and name, or created. Organisations created by this import have
    none yet to look for."""
    named = {(row.organisation_key, row.contact) for row in rows if row.contact}
    wanted = {(key, name): (organisations[key], _spaced(name)) for key, name in named}
    known = sorted({org for org, _name in wanted.values()} - new_organisations)
    contacts = _contacts_of(known)
    missing = sorted(set(wanted.values()) - contacts.keys())
    role, addresses = _sealer(Contact, "role")(""), _sealer(Contact, "addresses")("")
    named = _sealer(Contact, "name")
    insert_rows(
        Contact,
        _CONTACT_COLUMNS,
        [(org, named(name), contact_key(name), role, addresses) for org, name in missing],
    )
    # Read back by (organisation, name), which the database holds unique.
    contacts.update(_contacts_of(sorted({org for org, _name in missing})))
    return {written: contacts[contact] for written, contact in wanted.items()}


def _contacts_of(organisation_ids: list[int]) -> dict[tuple[int, str], int]:
    found = {}
    for chunk in chunks(organisation_ids, 500):
        for org, name, pk in Contact.objects.filter(organisation_id__in=chunk).values_list(
            "organisation_id", "name", "pk"
        ):
            found[org, name] = pk
    return found


def _logged_approaches(organisation_ids: set[int], rows) -> set[tuple]:
    """What is in the log already for these organisations and dates, to skip repeats (the
    same file imported twice)."""
    if not organisation_ids:
        return set()
    dates = [row.date.value for row in rows]
    logged = set()
    for chunk in chunks(sorted(organisation_ids), 500):
        logged.update(
            Approach.objects.filter(
                organisation_id__in=chunk, date__range=(min(dates), max(dates))
            ).values_list("organisation_id", "date", "channel", "contact_id")
        )
    return logged
