"""Writes for cases. Each function is one transaction, checks that the actor holds the side of
the case it changes (views check first; this is the second lock), and audits what matters:
opening, assignment, status, risk events, every identity read or change, every export."""

import json
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.accounts.policy import Perm, Side, case_sides, check, member, visible
from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core import corrections
from waystation.core.refusals import NotVisible, Refusal

from . import codenames
from .models import (
    Case,
    Document,
    FamilyMember,
    Identity,
    IdentityVersion,
    Need,
    Note,
    RiskEvent,
    RiskKind,
    Service,
    Status,
    StatusChange,
    Tag,
    Task,
)


class CaseError(Refusal):
    """A refusal with a message for the user; nothing was written."""


class NothingChanged(CaseError):
    """The write would change nothing: nothing was written, nothing audited."""


class CaseAccessDenied(NotVisible):
    """The actor does not hold this side of this case. Views answer 404, as for a missing case."""


class RevealReason:
    """Why someone opens the identity vault. Codes, so the audit row holds no free text."""

    CONTACT = "contact"
    LEGAL = "legal"
    DOCUMENTS = "documents"
    SAFETY = "safety"
    RECORD = "record"

    # Lazy: a class body runs once, at import, in no reader's language.
    CHOICES = (
        (CONTACT, gettext_lazy("To contact or visit the person")),
        (LEGAL, gettext_lazy("For a court, lawyer or authority")),
        (DOCUMENTS, gettext_lazy("For a document or visa application")),
        (SAFETY, gettext_lazy("To check the person's safety")),
        (RECORD, gettext_lazy("To correct the identity record")),
    )
    CODES = frozenset(code for code, _label in CHOICES)


def require_side(actor, case: Case, side: Side) -> None:
    """Refuse unless ``actor`` holds ``side`` of ``case``: 403 for whoever may open no case at
    all, 404 (``CaseAccessDenied``) for a case the actor may not open, as for a missing one."""
    check(actor, Perm.CASES_VIEW)
    if side not in case_sides(actor, case):
        raise CaseAccessDenied(case.pk)


def _touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())


def _check_assignees(caseworker, lawyer) -> None:
    if caseworker is not None and (
        not caseworker.is_active or Role.CASEWORKER not in caseworker.roles
    ):
        raise CaseError(_("The caseworker must be an active member with the caseworker role."))
    if lawyer is not None and (not lawyer.is_active or Role.LAWYER not in lawyer.roles):
        raise CaseError(_("The lawyer must be an active member with the lawyer role."))


def _set_tags(case: Case, tag_names) -> None:
    names = sorted({" ".join(name.lower().split()) for name in tag_names if name.strip()})
    tags = [Tag.objects.get_or_create(name=name[:40])[0] for name in names]
    case.tags.set(tags)


def _unique_codename(requested: str | None) -> str:
    if requested:
        codename = codenames.normalise(requested)
        if not codenames.CODENAME.match(codename) or len(codename) > 40:
            raise CaseError(
                _(
                    "A codename is Latin letters in words joined by hyphens, usually ending in "
                    "a number, for example amber-falcon-27."
                )
            )
        if Case.objects.filter(codename=codename).exists():
            raise CaseError(_("This codename is taken. Choose another or leave it empty."))
        return codename
    for _attempt in range(50):
        codename = codenames.generate()
        if not Case.objects.filter(codename=codename).exists():
            return codename
    raise CaseError(_("No free codename was found. Try again."))


def case_create(
    *,
    actor,
    codename: str | None = None,
    status: str = Status.IN_TRANSIT,
    urgency: int | None = None,
    languages: str = "",
    city: str = "",
    summary: str = "",
    tags=(),
    caseworker=None,
    lawyer=None,
) -> Case:
    check(actor, Perm.CASES_MANAGE)
    _check_assignees(caseworker, lawyer)
    today = timezone.localdate()
    with transaction.atomic():
        fields = {"urgency": urgency} if urgency else {}
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    codename=_unique_codename(codename),
                    status=status,
                    status_since=today,
                    languages=languages.strip(),
                    city=city.strip(),
                    summary=summary.strip(),
                    caseworker=caseworker,
                    lawyer=lawyer,
                    **fields,
                )
        except IntegrityError:  # the same codename chosen at the same moment elsewhere
            raise CaseError(
                _("This codename is taken. Choose another or leave it empty.")
            ) from None
        _set_tags(case, tags)
        StatusChange.objects.create(
            case=case, status=status, on=today, recorded_by=member(actor)
        )
        Identity.objects.create(case=case)
        record(
            Event.CASE_CREATED,
            actor=actor,
            obj=case,
            data={
                "caseworker": getattr(caseworker, "pk", None),
                "lawyer": getattr(lawyer, "pk", None),
            },
        )
    return case


def case_update(
    *, actor, case: Case, urgency: int, languages: str, city: str, summary: str, tags=()
) -> Case:
    check(actor, Perm.CASES_MANAGE)
    require_side(actor, case, Side.MANAGE)
    with transaction.atomic():
        before = {
            "urgency": case.urgency,
            "languages": case.languages,
            "city": case.city,
            "summary": case.summary,
        }
        # The details as they were, kept (encrypted) for a coordinator: core.corrections.
        new = {"urgency": urgency, "languages": languages.strip(), "city": city.strip()}
        new["summary"] = summary.strip()
        kept = corrections.keep(case, by=actor) if corrections.changes(case, new) else None
        case.urgency = urgency
        case.languages = languages.strip()
        case.city = city.strip()
        case.summary = summary.strip()
        case.updated_at = timezone.now()
        case.save()
        _set_tags(case, tags)
        changed = sorted(name for name, value in before.items() if getattr(case, name) != value)
        data = {"fields": changed, **({"version": kept.number} if kept else {})}
        record(Event.CASE_UPDATED, actor=actor, obj=case, data=data)
    return case


def case_assign(*, actor, case: Case, caseworker, lawyer) -> Case:
    check(actor, Perm.CASES_MANAGE)
    require_side(actor, case, Side.MANAGE)
    _check_assignees(caseworker, lawyer)
    if (case.caseworker_id, case.lawyer_id) == (
        getattr(caseworker, "pk", None),
        getattr(lawyer, "pk", None),
    ):
        raise NothingChanged(_("Nothing was changed: the case is assigned as it was."))
    with transaction.atomic():
        case.caseworker, case.lawyer = caseworker, lawyer
        case.updated_at = timezone.now()
        case.save(update_fields=["caseworker", "lawyer", "updated_at"])
        record(
            Event.CASE_ASSIGNED,
            actor=actor,
            obj=case,
            data={
                "caseworker": getattr(caseworker, "pk", None),
                "lawyer": getattr(lawyer, "pk", None),
            },
        )
    return case


def status_record(*, actor, case: Case, status: str, on: date, note: str = "") -> StatusChange:
    """Add a step to the timeline. The case's current status is the newest step by date, so a
    step recorded late for an earlier day lands in its place without changing the present."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.LEGAL)
    if on > timezone.localdate():
        raise CaseError(_("A status change cannot be in the future. Record it when it happens."))
    with transaction.atomic():
        return _add_status_step(actor=actor, case=case, status=status, on=on, note=note)


def _add_status_step(*, actor, case: Case, status: str, on: date, note: str = "") -> StatusChange:
    change = StatusChange.objects.create(
        case=case, status=status, on=on, note=note.strip(), recorded_by=member(actor)
    )
    case.status, case.status_since = _current_status(case)
    case.updated_at = timezone.now()
    case.save(update_fields=["status", "status_since", "updated_at"])
    record(Event.CASE_STATUS_CHANGED, actor=actor, obj=case, data={"status": status})
    return change


def _current_status(case: Case) -> tuple[str, date]:
    """The newest step's status, since the first of the steps in a row that share it; for a
    detention, since the detention began when its risk event says so: the status "detained"
    set on 6 December for a detention recorded on 2 December reads "since 2 December"."""
    steps = case.status_changes.order_by("-on", "-pk").values_list("status", "on")
    status, since = None, None
    for step_status, on in steps.iterator():
        if status is None:
            status = step_status
        elif step_status != status:
            break
        since = on
    began = _began(case, status)
    if began is not None and began < since:
        since = began
    return status, since


# The risk events behind a status: the timeline follows them (``_follow_risk_event``).
_STATUS_OF_RISK = {
    RiskKind.DETENTION.value: Status.DETAINED,
    RiskKind.RELEASE.value: Status.RELEASED,
}  # keyed by the plain codes: an enum member hashes by its name, not its value
_RISK_OF_STATUS = {status: kind for kind, status in _STATUS_OF_RISK.items()}


def _began(case: Case, status: str) -> date | None:
    """For "detained" or "released": the day of the latest such risk event, if nothing of the
    other kind came after it."""
    kind = _RISK_OF_STATUS.get(status)
    if kind is None:
        return None
    other = RiskKind.RELEASE if kind == RiskKind.DETENTION else RiskKind.DETENTION
    latest = (
        case.risk_events.filter(kind=kind, on__lte=timezone.localdate())
        .order_by("-on")
        .values_list("on", flat=True)
        .first()
    )
    ended = latest is not None and (
        case.risk_events.filter(kind=other, on__gte=latest).exists()
        if kind == RiskKind.DETENTION
        else case.risk_events.filter(kind=other, on__gt=latest).exists()
    )
    return None if latest is None or ended else latest


# Statuses that end a detention: a detention recorded before one of them is history.
_AFTER_DETENTION = (Status.RELEASED, Status.RELOCATED, Status.EXTRADITED, Status.CLOSED)
# ...and those that come after a release.
_AFTER_RELEASE = (Status.RELOCATED, Status.EXTRADITED, Status.CLOSED)


def _superseded(case: Case, kind: str, on: date) -> bool:
    """Whether something recorded after a detention or a release on ``on`` already says where
    the person is now."""
    if kind == RiskKind.DETENTION:
        return (
            case.status_changes.filter(on__gt=on, status__in=_AFTER_DETENTION).exists()
            or case.risk_events.filter(kind=RiskKind.RELEASE, on__gte=on).exists()
        )
    return (
        case.status_changes.filter(on__gt=on, status__in=_AFTER_RELEASE).exists()
        or case.risk_events.filter(kind=RiskKind.DETENTION, on__gt=on).exists()
    )


def _follow_risk_event(*, actor, case: Case, kind: str, on: date) -> None:
    """Put a detention or a release on the status timeline. One that nothing recorded after it
    supersedes becomes the current status, even when the case was opened or its status last
    set after it ("in transit" on the day the case was opened): its step then stands on that
    newest day, and the status reads "since" the event's own day (``_current_status``). One
    already superseded is a step on its own day, history."""
    status = _STATUS_OF_RISK.get(str(kind))
    if status is None or on > timezone.localdate():
        return
    if _superseded(case, kind, on):
        if not case.status_changes.filter(status=status, on=on).exists():
            _add_status_step(actor=actor, case=case, status=status, on=on)
        return
    if case.status == status:
        case.status, case.status_since = _current_status(case)
        case.save(update_fields=["status", "status_since"])
        return
    newest = case.status_changes.order_by("-on").values_list("on", flat=True).first()
    _add_status_step(actor=actor, case=case, status=status, on=max(on, newest) if newest else on)


def risk_record(
    *, actor, case: Case, kind: str, on: date, place: str = "", visits: str = "", outcome: str = ""
) -> RiskEvent:
    """A dated risk event. A detention or a release also changes the status timeline
    (``_follow_risk_event``): the dashboard and the case read "detained since" the detention,
    not since the day it was typed in."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.LEGAL)
    with transaction.atomic():
        event = RiskEvent.objects.create(
            case=case,
            kind=kind,
            on=on,
            place=place.strip(),
            visits=visits.strip(),
            outcome=outcome.strip(),
            recorded_by=member(actor),
        )
        _touch(case)
        record(Event.RISK_RECORDED, actor=actor, obj=case, data={"kind": kind, "risk": event.pk})
        _follow_risk_event(actor=actor, case=case, kind=kind, on=on)
    return event


def risk_update_outcome(*, actor, event: RiskEvent, outcome: str, visits: str) -> RiskEvent:
    """A hearing's outcome, or what is known of visits to a detention, added later: audited
    (which fields, never their text)."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, event.case, Side.LEGAL)
    with transaction.atomic():
        before = (event.outcome, event.visits)
        event.outcome, event.visits = outcome.strip(), visits.strip()
        event.save(update_fields=["outcome", "visits"])
        _touch(event.case)
        after = (event.outcome, event.visits)
        fields = ("outcome", "visits")
        changed = [name for name, b, a in zip(fields, before, after, strict=True) if b != a]
        record(
            Event.RISK_OUTCOME_RECORDED,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "kind": event.kind, "fields": changed},
        )
    return event


def family_add(
    *, actor, case: Case, relation: str, age=None, with_them=True, note=""
) -> FamilyMember:
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.CARE)
    with transaction.atomic():
        member = FamilyMember.objects.create(
            case=case, relation=relation.strip(), age=age, with_them=with_them, note=note.strip()
        )
        _touch(case)
    return member


def document_record(*, actor, case: Case, kind: str, state: str, note: str = "") -> Document:
    """One row per kind of document: recording a kind again updates its state."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.LEGAL)
    with transaction.atomic():
        document, _created = Document.objects.update_or_create(
            case=case, kind=kind, defaults={"state": state, "note": note.strip()}
        )
        _touch(case)
    return document


def need_add(*, actor, case: Case, kind: str, note: str = "", noted_on: date | None = None) -> Need:
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.CARE)
    with transaction.atomic():
        need = Need.objects.create(
            case=case, kind=kind, note=note.strip(), noted_on=noted_on or timezone.localdate()
        )
        _touch(case)
    return need


def need_mark_met(*, actor, need: Need) -> Need:
    check(actor, Perm.CASES_VIEW)
    require_side(actor, need.case, Side.CARE)
    with transaction.atomic():
        need.met_on = timezone.localdate()
        need.save(update_fields=["met_on"])
        _touch(need.case)
    return need


def service_record(
    *, actor, case: Case, kind: str, delivered_on: date, delivered_by=None, note: str = ""
) -> Service:
    """Help given. It also meets the open need of the same kind, if there is one."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.CARE)
    if delivered_on > timezone.localdate():
        raise CaseError(_("Help not given yet is a task, not a service. Add a task instead."))
    with transaction.atomic():
        service = Service.objects.create(
            case=case,
            kind=kind,
            delivered_on=delivered_on,
            delivered_by=delivered_by or actor,
            note=note.strip(),
        )
        case.needs.filter(kind=kind, met_on__isnull=True).update(met_on=delivered_on)
        _touch(case)
    return service


def task_add(*, actor, case: Case, title: str, due_on: date | None = None, assignee=None) -> Task:
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.LEGAL)
    if assignee is not None and not case_sides(assignee, case):
        raise CaseError(
            _("%(name)s cannot open this case. Assign the task to someone who works on it.")
            % {"name": assignee}
        )
    with transaction.atomic():
        task = Task.objects.create(
            case=case, title=title.strip(), due_on=due_on, assignee=assignee, created_by=actor
        )
        _touch(case)
    return task


def task_mark_done(*, actor, task: Task) -> Task:
    check(actor, Perm.CASES_VIEW)
    require_side(actor, task.case, Side.LEGAL)
    with transaction.atomic():
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        _touch(task.case)
    return task


def note_add(*, actor, case: Case, text: str, legal: bool = False) -> Note:
    """Care-side members write any note; a lawyer's notes are always on the legal side."""
    check(actor, Perm.CASES_VIEW)
    sides = case_sides(actor, case)
    if Side.CARE not in sides:
        require_side(actor, case, Side.LEGAL)
        legal = True
    with transaction.atomic():
        note = Note.objects.create(case=case, text=text.strip(), legal=legal, author=actor)
        _touch(case)
    return note


def identity_reveal(*, actor, case: Case, reason: str) -> Identity:
    """Open the vault for one reading. The audit row, with the reason, is written before a
    single field is decrypted."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.IDENTITY)
    if reason not in RevealReason.CODES:
        raise CaseError(_("Choose why you need to see the identity."))
    with transaction.atomic():
        record(Event.IDENTITY_REVEALED, actor=actor, obj=case, data={"reason": reason})
        identity, _created = Identity.objects.get_or_create(case=case)
    return identity


def identity_save(*, actor, case: Case, erase_all: bool = False, **values) -> Identity:
    """Change the identity; the fields not given stay as they are. The state it replaces is
    kept as a numbered, encrypted version (``identity_restore`` brings it back). Refused when
    it changes nothing, and when it would leave a filled identity empty unless ``erase_all``
    says that is meant."""
    check(actor, Perm.CASES_VIEW)
    require_side(actor, case, Side.IDENTITY)
    unknown = set(values) - set(Identity.FIELDS)
    if unknown:
        raise ValueError(f"not identity fields: {sorted(unknown)}")
    with transaction.atomic():
        identity, _created = Identity.objects.select_for_update().get_or_create(case=case)
        current = identity.values()
        after = {name: values.get(name, current[name]).strip() for name in Identity.FIELDS}
        changed = sorted(name for name in Identity.FIELDS if getattr(identity, name) != after[name])
        if not changed:
            raise NothingChanged(_("Nothing was changed: the identity is as it was."))
        if not identity.is_empty and not any(after.values()) and not erase_all:
            raise CaseError(
                _(
                    "This would erase the whole identity. Nothing was changed. To erase it on "
                    "purpose, tick “Erase the whole identity” and save again."
                )
            )
        kept = _identity_keep(identity, actor)
        for name in changed:
            setattr(identity, name, after[name])
        identity.updated_at = timezone.now()
        identity.save()
        record(
            Event.IDENTITY_CHANGED,
            actor=actor,
            obj=case,
            data={"fields": changed, "revision": kept.number},
        )
    return identity


def _identity_keep(identity: Identity, actor) -> IdentityVersion:
    last = identity.case.identity_versions.order_by("-number").values_list("number", flat=True)
    version = IdentityVersion(
        case=identity.case,
        number=(last.first() or 0) + 1,
        contents=json.dumps(identity.values(), ensure_ascii=False),
        replaced_by=actor,
    )
    version.save()
    return version


def identity_restore(*, actor, case: Case, number: int) -> Identity:
    """Bring back kept version ``number`` (a coordinator's undo). What it replaces is kept as a
    version in turn, so a restore can be undone too."""
    check(actor, Perm.CASES_MANAGE)
    require_side(actor, case, Side.MANAGE)
    with transaction.atomic():
        identity, _created = Identity.objects.select_for_update().get_or_create(case=case)
        version = case.identity_versions.filter(number=number).first()
        if version is None:
            raise CaseError(_("There is no such earlier version of this identity."))
        earlier = json.loads(version.contents)
        after = {name: earlier.get(name, "") for name in Identity.FIELDS}
        changed = sorted(name for name in Identity.FIELDS if getattr(identity, name) != after[name])
        if not changed:
            raise NothingChanged(_("The identity is already as in that version."))
        kept = _identity_keep(identity, actor)
        for name in changed:
            setattr(identity, name, after[name])
        identity.updated_at = timezone.now()
        identity.save()
        record(
            Event.IDENTITY_CHANGED,
            actor=actor,
            obj=case,
            data={"fields": changed, "revision": kept.number, "restored_revision": number},
        )
    return identity


# --- Corrections: a wrong note, risk event or status step is corrected or withdrawn, its
# earlier version kept (``core.corrections``). Each is one transaction with its audit row,
# which names the record, the version and the fields, never the values or the reason.


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise CaseError(_("Say why: the reason is kept with the history."))
    return reason.strip()


def _standing(actor, model, record_):
    """The record as it is now, read again through the object rule (the same 404 for a
    missing one and one the actor may not read); refused once withdrawn."""
    found = (
        visible(actor, model.all_objects.select_related("case"), Perm.CASES_VIEW)
        .filter(pk=record_.pk)
        .first()
    )
    if found is None:
        raise CaseAccessDenied(record_.pk)
    if found.withdrawn_at is not None:
        raise CaseError(_("This entry was withdrawn: it can no longer be changed."))
    return found


def _note_to_change(actor, note: Note) -> Note:
    """A note is corrected or withdrawn by its author, or by a coordinator of its case."""
    note = _standing(actor, Note, note)
    if note.author_id != actor.pk and Side.MANAGE not in case_sides(actor, note.case):
        raise CaseError(_("Only the note's author or a coordinator can correct or withdraw it."))
    return note


def note_correct(*, actor, note: Note, text: str, legal: bool, reason: str) -> Note:
    """Correct a note's text or whether the lawyer reads it; the earlier note is kept,
    encrypted. A member without the care side keeps it marked for the lawyer."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        note = _note_to_change(actor, note)
        if Side.CARE not in case_sides(actor, note.case):
            legal = True
        new = {"text": text.strip(), "legal": bool(legal)}
        if not new["text"]:
            raise CaseError(_("A note cannot be empty. To take it back, withdraw it."))
        if not corrections.changes(note, new):
            raise NothingChanged(_("Nothing was changed: the note is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(note, new, reason=why, by=actor)
        _touch(note.case)
        record(
            Event.NOTE_CORRECTED,
            actor=actor,
            obj=note.case,
            data={"note": note.pk, "version": version.number, "fields": changed},
        )
    return note


def note_withdraw(*, actor, note: Note, reason: str) -> Note:
    """Take back a note (written on the wrong case, or wrong altogether): it leaves the case
    page, the search, counts and exports; its text stays, encrypted, in its history. A note
    meant for another case is written there again by the member: it is never moved."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        note = _note_to_change(actor, note)
        why = _reason(reason)
        version = corrections.withdraw(note, reason=why, by=actor)
        _touch(note.case)
        record(
            Event.NOTE_WITHDRAWN,
            actor=actor,
            obj=note.case,
            data={"note": note.pk, "version": version.number},
        )
    return note


def _restate(case: Case) -> None:
    """The case's current status and its "since" read again from the steps and risk events
    that stand (after one was corrected or withdrawn)."""
    case.status, case.status_since = _current_status(case)
    case.updated_at = timezone.now()
    case.save(update_fields=["status", "status_since", "updated_at"])


def risk_correct(
    *,
    actor,
    event: RiskEvent,
    kind: str,
    on: date,
    place: str = "",
    visits: str = "",
    outcome: str = "",
    reason: str,
) -> RiskEvent:
    """Correct a risk event (a wrong date, kind or place); the earlier version is kept. The
    status follows a corrected detention or release as it follows a recorded one."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        event = _standing(actor, RiskEvent, event)
        require_side(actor, event.case, Side.LEGAL)
        new = {
            "kind": kind,
            "on": on,
            "place": place.strip(),
            "visits": visits.strip(),
            "outcome": outcome.strip(),
        }
        if not corrections.changes(event, new):
            raise NothingChanged(_("Nothing was changed: the risk event is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(event, new, reason=why, by=actor)
        record(
            Event.RISK_CORRECTED,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "version": version.number, "fields": changed},
        )
        _restate(event.case)
        _follow_risk_event(actor=actor, case=event.case, kind=event.kind, on=event.on)
    return event


def risk_withdraw(*, actor, event: RiskEvent, reason: str) -> RiskEvent:
    """Withdraw a risk event recorded by mistake: it leaves the case page, the dashboard, the
    case list's filters and exports, and stays in its history. The status's "since" is read
    again; a status step the event set stays until it is withdrawn in its turn."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        event = _standing(actor, RiskEvent, event)
        require_side(actor, event.case, Side.LEGAL)
        why = _reason(reason)
        version = corrections.withdraw(event, reason=why, by=actor)
        record(
            Event.RISK_WITHDRAWN,
            actor=actor,
            obj=event.case,
            data={"risk": event.pk, "version": version.number},
        )
        _restate(event.case)
    return event


def status_correct(
    *, actor, change: StatusChange, status: str, on: date, note: str = "", reason: str
) -> StatusChange:
    """Correct a step of the status timeline (a wrong status or day); the earlier version is
    kept and the case's current status read again from the steps."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        change = _standing(actor, StatusChange, change)
        require_side(actor, change.case, Side.LEGAL)
        if on > timezone.localdate():
            raise CaseError(
                _("A status change cannot be in the future. Record it when it happens.")
            )
        new = {"status": status, "on": on, "note": note.strip()}
        if not corrections.changes(change, new):
            raise NothingChanged(_("Nothing was changed: the status step is as it was."))
        why = _reason(reason)
        version, changed = corrections.correct(change, new, reason=why, by=actor)
        _restate(change.case)
        record(
            Event.STATUS_CORRECTED,
            actor=actor,
            obj=change.case,
            data={
                "status_step": change.pk,
                "version": version.number,
                "fields": changed,
                "status": change.case.status,
            },
        )
    return change


def status_withdraw(*, actor, change: StatusChange, reason: str) -> StatusChange:
    """Withdraw a status set by mistake: the case's current status comes back from the steps
    that remain. The only remaining step cannot go (correct it instead)."""
    check(actor, Perm.CASES_VIEW)
    with transaction.atomic():
        change = _standing(actor, StatusChange, change)
        case = Case.objects.select_for_update().get(pk=change.case_id)
        require_side(actor, case, Side.LEGAL)
        if not case.status_changes.exclude(pk=change.pk).exists():
            raise CaseError(
                _("This is the only step of the timeline: correct it instead of withdrawing it.")
            )
        why = _reason(reason)
        version = corrections.withdraw(change, reason=why, by=actor)
        _restate(case)
        record(
            Event.STATUS_WITHDRAWN,
            actor=actor,
            obj=case,
            data={"status_step": change.pk, "version": version.number, "status": case.status},
        )
    return change
