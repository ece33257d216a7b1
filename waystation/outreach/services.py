"""Writes for the outreach log. Each function is one transaction; imports and merges write
their audit row in it."""

from dataclasses import dataclass
from datetime import date
from functools import cache

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from waystation.audit.events import Event
from waystation.audit.services import record

from .models import (
    Approach,
    Contact,
    ImportBatch,
    Organisation,
    OrganisationKind,
    OrganisationName,
    Response,
    ResponseKind,
)
from .spreadsheet.names import organisation_key


class OutreachError(Exception):
    """A refusal with a message for the user; nothing was written."""


def organisation_by_name(name: str) -> Organisation | None:
    """The organisation known by this name or any of its other names, in any case or spacing."""
    known = OrganisationName.objects.select_related("organisation").filter(
        key=organisation_key(name)
    )
    entry = known.first()
    return entry.organisation if entry else None


def organisation_create(
    *, actor, name: str, kind=OrganisationKind.OTHER, country="", city="", website="", notes=""
) -> Organisation:
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
    return organisation


def organisation_add_name(*, actor, organisation: Organisation, name: str) -> None:
    """Link another name ("German Embassy" for "Посольство Германии") to an organisation."""
    name = " ".join(name.split())
    other = organisation_by_name(name)
    if other is not None:
        raise OutreachError(
            _("That name belongs to “%(name)s” already; merge the two instead.") % {"name": other}
        )
    OrganisationName.objects.create(
        organisation=organisation, name=name, key=organisation_key(name)
    )


def organisations_merge(*, actor, keep: Organisation, merge: Organisation) -> None:
    """Move everything of ``merge`` to ``keep`` (approaches, contacts, names) and delete it."""
    if keep.pk == merge.pk:
        raise OutreachError(_("Choose two different organisations."))
    with transaction.atomic():
        for contact in merge.contacts.all():
            twin = keep.contacts.filter(name=contact.name).first()
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
    return organisation


def contact_save(
    *, actor, organisation: Organisation, name: str, role: str = "", addresses: str = ""
) -> Contact:
    name = " ".join(name.split())
    contact, _created = Contact.objects.update_or_create(
        organisation=organisation, name=name, defaults={"role": role, "addresses": addresses}
    )
    return contact


def _contact_for(organisation: Organisation, name: str) -> Contact | None:
    name = " ".join((name or "").split())
    if not name:
        return None
    contact, _created = Contact.objects.get_or_create(organisation=organisation, name=name)
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
    with transaction.atomic():
        return Approach.objects.create(
            organisation=organisation,
            contact=_contact_for(organisation, contact_name),
            date=date,
            day_known=day_known,
            channel=channel,
            subject=subject,
            summary=summary,
            created_by=actor,
            batch=batch,
            case=case,
        )


def response_record(
    *, actor, approach: Approach, kind: str, date: date | None, text: str = ""
) -> Response:
    """Record an answer (or, with kind "none", a note that none came) and keep the approach's
    outcome and first-answer date in step."""
    if date is not None and date < approach.date:
        raise OutreachError(_("The response cannot be older than the approach."))
    with transaction.atomic():
        response = Response.objects.create(
            approach=approach, kind=kind, date=date, text=text, created_by=actor
        )
        if kind != ResponseKind.NONE:
            approach.outcome = kind
            if date is not None and (approach.answered_on is None or date < approach.answered_on):
                approach.answered_on = date
            approach.save(update_fields=["outcome", "answered_on"])
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
    from .exporting import HEADERS, all_approaches, export_rows
    from .spreadsheet.writing import write_table

    rows = export_rows(all_approaches())
    record(Event.OUTREACH_EXPORTED, actor=actor, data={"format": fmt, "rows": len(rows)})
    return write_table(HEADERS, rows, fmt)


def outreach_import(*, actor, plan, filename: str, progress=None) -> ImportResult:
    """Write a checked import plan, all or nothing. A plan with any rejected row is refused
    whole: the user fixes the file and imports it again, so nothing is half in.

    Built for 100,000 rows: the names, contacts and already-logged approaches that matter are
    read once up front, and approaches and responses are written in bulk.

    ``progress(done, total)``, if given, is called as rows are written (for a background
    import's progress page); it runs inside the transaction, so it must not write to this
    database connection."""
    if plan.rejected:
        raise OutreachError(
            ngettext(
                "%(count)d row cannot be imported; fix it in the file and try again.",
                "%(count)d rows cannot be imported; fix them in the file and try again.",
                len(plan.rejected),
            )
            % {"count": len(plan.rejected)}
        )
    if not plan.rows:
        raise OutreachError(_("The file has no rows to import."))
    with transaction.atomic():
        batch = ImportBatch.objects.create(filename=filename[:255], imported_by=actor)
        organisations, created = _organisations_for(plan.rows)
        contacts = _contacts_for(plan.rows, organisations)
        logged = _logged_approaches(organisations.values(), plan.rows)
        cases = _cases_named({row.case for row in plan.rows if row.case})
        approaches, answers = [], []
        for row in plan.rows:
            organisation = organisations[row.organisation_key]
            contact = contacts.get((organisation.pk, _spaced(row.contact)))
            signature = (
                organisation.pk,
                row.date.value,
                row.channel,
                contact.pk if contact else None,
            )
            if signature in logged:
                continue
            logged.add(signature)
            answered = row.response_kind != ResponseKind.NONE
            approaches.append(
                Approach(
                    organisation=organisation,
                    contact=contact,
                    date=row.date.value,
                    day_known=row.date.day_known,
                    channel=row.channel,
                    subject=row.subject,
                    summary=row.comment,
                    created_by=actor,
                    batch=batch,
                    case_id=cases.get(row.case),
                    outcome=row.response_kind,
                    answered_on=row.response_date.value if answered and row.response_date else None,
                )
            )
            answers.append(row if answered else None)
        for done, chunk in enumerate(_chunks(approaches, 1000), start=1):
            Approach.objects.bulk_create(chunk)
            if progress is not None:
                progress(min(done * 1000, len(approaches)), len(approaches))
        responses = [
            Response(
                approach=approach,
                kind=row.response_kind,
                text=row.response_text,
                date=row.response_date.value if row.response_date else None,
                created_by=actor,
            )
            for approach, row in zip(approaches, answers, strict=True)
            if row is not None
        ]
        Response.objects.bulk_create(responses, batch_size=1000)
        already = len(plan.rows) - len(approaches)
        batch.rows = len(approaches)
        batch.save(update_fields=["rows"])
        record(
            Event.OUTREACH_IMPORTED,
            actor=actor,
            obj=batch,
            data={"rows": batch.rows, "organisations_new": created, "already_logged": already},
        )
    return ImportResult(batch, batch.rows, len(responses), created, already)


def _cases_named(codenames: set[str]) -> dict[str, int]:
    from waystation.cases.models import Case

    found: dict[str, int] = {}
    for chunk in _chunks(sorted(codenames), 500):
        found.update(Case.objects.filter(codename__in=chunk).values_list("codename", "id"))
    return found


def plan_check_cases(plan):
    """Rows naming a case by a codename this instance does not know are rejected, with their
    line, before anything is written (the dry run shows them)."""
    from .spreadsheet.rows import RejectedRow

    named = {row.case for row in plan.rows if row.case}
    if not named:
        return plan
    known = _cases_named(named)
    unknown = [row for row in plan.rows if row.case and row.case not in known]
    if unknown:
        plan.rows = [row for row in plan.rows if not (row.case and row.case not in known)]
        plan.rejected.extend(
            RejectedRow(
                row.line,
                _("no case has the codename “%(codename)s”") % {"codename": row.case[:40]},
            )
            for row in unknown
        )
        plan.rejected.sort(key=lambda rejected: rejected.line)
    return plan


def _spaced(text: str) -> str:
    return " ".join((text or "").split())


def _organisations_for(rows) -> tuple[dict[str, Organisation], int]:
    """Every organisation the rows name, by key: found by any known name, else created."""
    keys = {row.organisation_key for row in rows}
    found = {}
    for chunk in _chunks(sorted(keys), 500):
        for entry in OrganisationName.objects.select_related("organisation").filter(key__in=chunk):
            found[entry.key] = entry.organisation
    new = {}
    for row in rows:
        if row.organisation_key not in found:
            new.setdefault(row.organisation_key, row)
    created = Organisation.objects.bulk_create(
        [
            Organisation(
                name=_spaced(row.organisation),
                kind=_known_kind(row.kind),
                country=_known_country(row.country),
                city=row.city,
            )
            for row in new.values()
        ],
        batch_size=1000,
    )
    OrganisationName.objects.bulk_create(
        [
            OrganisationName(organisation=o, name=o.name, key=key)
            for key, o in zip(new, created, strict=True)
        ],
        batch_size=1000,
    )
    found.update(zip(new, created, strict=True))
    return found, len(created)


def _contacts_for(rows, organisations) -> dict[tuple[int, str], Contact]:
    wanted = {(organisations[r.organisation_key].pk, _spaced(r.contact)) for r in rows if r.contact}
    org_ids = sorted({org_id for org_id, _name in wanted})
    contacts = {}
    for chunk in _chunks(org_ids, 500):
        for contact in Contact.objects.filter(organisation_id__in=chunk):
            contacts[(contact.organisation_id, contact.name)] = contact
    missing = [Contact(organisation_id=o, name=n) for o, n in sorted(wanted - contacts.keys())]
    for contact in Contact.objects.bulk_create(missing, batch_size=1000):
        contacts[(contact.organisation_id, contact.name)] = contact
    return contacts


def _logged_approaches(organisations, rows) -> set[tuple]:
    """What is in the log already for these organisations and dates, to skip repeats (the
    same file imported twice)."""
    dates = [row.date.value for row in rows]
    org_ids = sorted({organisation.pk for organisation in organisations})
    logged = set()
    for chunk in _chunks(org_ids, 500):
        logged.update(
            Approach.objects.filter(
                organisation_id__in=chunk, date__range=(min(dates), max(dates))
            ).values_list("organisation_id", "date", "channel", "contact_id")
        )
    return logged


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
