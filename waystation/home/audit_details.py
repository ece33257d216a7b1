"""Audit rows in the reader's words: the object as "case amber-falcon-27" or "member Anna", and
the data as labelled values ("reason: for a court, lawyer or authority; fields: birth date,
phone") instead of "reason=legal fields=['birth_date', 'phone']".

The data of a row holds ids and codes only (audit/services.py). Here each key gets a label and
each code the label it has in its own app, looked up through the app registry when a page is
shown. Names of members and codenames of cases are read with one query per page, never one per
row. A code this table does not know is shown as it is, never dropped: the log hides nothing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from babel import Locale, UnknownLocaleError
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.accounts.roles import Role
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.cases.services import RevealReason
from waystation.core.dates import babel_locale, short_date
from waystation.evidence.models import Recipient


@dataclass(frozen=True)
class Detail:
    label: str
    value: str


@dataclass
class _Names:
    """Members and cases named on one page, read at once."""

    users: dict[int, str]
    cases: dict[int, str]


Render = Callable[[object, _Names], str]


# --- values ------------------------------------------------------------------------------------


def _plain(value, _names=None) -> str:
    if value is None:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_plain(item) for item in value) if value else _("none")
    return str(value)


def _choices(model_field: str) -> Render:
    """Codes of a model field's choices ("cases.Case.status"), one or a list."""

    def render(value, _names):
        app_label, model, field = model_field.split(".")
        labels = dict(apps.get_model(app_label, model)._meta.get_field(field).flatchoices)
        items = value if isinstance(value, list) else [value]
        if value is None or not items:
            return _("none")
        return ", ".join(str(labels.get(item, item)) for item in items)

    return render


def _table(labels: Callable[[], dict]) -> Render:
    """Codes with labels kept here or in a class that is not a model field's choices."""

    def render(value, _names):
        table = labels()
        items = value if isinstance(value, list) else [value]
        if value is None or not items:
            return _("none")
        return ", ".join(str(table.get(item, item)) for item in items)

    return render


def _fields(model_label: str) -> Render:
    """Field names of a model ("cases.Identity") as their verbose names."""

    def render(value, _names):
        app_label, model = model_label.split(".")
        meta = apps.get_model(app_label, model)._meta
        shown = []
        for name in value or []:
            try:
                shown.append(str(meta.get_field(name).verbose_name))
            except Exception:  # a field since removed: its name, as recorded
                shown.append(str(name))
        return ", ".join(shown) if shown else _("none")

    return render


def _user(value, names: _Names) -> str:
    if value is None:
        return _("nobody")
    return names.users.get(value, f"#{value}")


def _case(value, names: _Names) -> str:
    if value is None:
        return _("none")
    return names.cases.get(value, f"#{value}")


def _count(value, _names=None) -> str:
    if isinstance(value, list):
        return str(len(value))
    return _plain(value)


def _short_ids(value, _names=None) -> str:
    """Ids of files, testimonies or events: how many, and the start of each (as the pages show
    them)."""
    if not isinstance(value, list):
        return _plain(value)
    if not value:
        return "0"
    return f"{len(value)} ({', '.join(str(item)[:8] for item in value)})"


def _day(value, _names=None) -> str:
    try:
        return short_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return _plain(value)


def _language(value, _names=None) -> str:
    try:
        return Locale.parse(babel_locale()).languages.get(value, value)
    except (ValueError, UnknownLocaleError):
        return _plain(value)


def _reveal_reasons() -> dict:
    return dict(RevealReason.CHOICES)


def _reply_kinds() -> dict:
    return {
        "reply": _("a reply"),
        "question": _("a question"),
        "decline": _("a kind refusal"),
    }


def _formats() -> dict:
    return {
        "json": "JSON",
        "html": _("web page (HTML)"),
        "csv": "CSV",
        "tsv": "TSV",
        "txt": _("text file"),
        "other": _("other"),
        "xlsx": "Excel (XLSX)",
        "ods": "OpenDocument (ODS)",
        "zip": _("ZIP archive"),
        "folder": _("folder"),
        "bag": _("BagIt folder"),
        "age": _("encrypted package (age)"),
        "dossier": _("dossier"),
        "dossier_pdf": _("dossier (PDF)"),
        "dossier_zip": _("dossier (ZIP with files)"),
    }


def _ways_out() -> dict:
    return {
        "package_zip": _("evidence package (ZIP download)"),
        "package_dir": _("evidence package (folder)"),
        "package_age": _("evidence package (encrypted with age)"),
        "dossier_pdf": _("dossier (PDF)"),
        "dossier_zip": _("dossier (ZIP with files)"),
        "case_json": _("case export (JSON)"),
        "case_html": _("case export (printable page)"),
    }


def _screening_steps() -> dict:
    return {
        "referred": _("referred to a psychologist"),
        "result": _("result recorded"),
        "concerns_not_cleared": _("exclusion concerns not cleared"),
    }


def _recipients() -> dict:
    return dict(Recipient.choices)


def _roles() -> dict:
    return dict(Role.choices)


def _intake_file(value, _names=None) -> str:
    return _("the original, kept as evidence") if value else _("the copy without metadata")


def _intake_copy(value, _names=None) -> str:
    """evidence.from_intake names the copy it took: "original" or "cleaned"."""
    return _intake_file(value == "original")


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    label: object  # a lazy translation
    render: Render = _plain


# Every key any service writes (a test reads the sources and checks that none is missing).
KEYS: dict[str, Key] = {
    "added": Key(gettext_lazy("roles added"), _table(_roles)),
    "removed": Key(gettext_lazy("roles removed"), _table(_roles)),
    "roles": Key(gettext_lazy("roles"), _table(_roles)),
    "already_logged": Key(gettext_lazy("rows already in the log"), _count),
    "approaches": Key(gettext_lazy("approaches"), _count),
    "case": Key(gettext_lazy("case"), _case),
    "cases": Key(gettext_lazy("cases"), _count),
    "caseworker": Key(gettext_lazy("caseworker"), _user),
    "lawyer": Key(gettext_lazy("lawyer"), _user),
    "changed": Key(gettext_lazy("settings changed"), _fields("knowledge.Page")),
    "codes_left": Key(gettext_lazy("recovery codes left"), _count),
    "concerns": Key(gettext_lazy("exclusion concerns"), _count),
    "criterion": Key(gettext_lazy("criterion"), _plain),
    "currency": Key(gettext_lazy("currency"), _plain),
    "decision": Key(gettext_lazy("decision"), _choices("pathways.Proposal.status")),
    "dossier": Key(gettext_lazy("dossier"), _short_ids),
    "addendum": Key(gettext_lazy("correction number"), _plain),
    "age": Key(gettext_lazy("encrypted to the recipient's age key"), _plain),
    "download": Key(gettext_lazy("downloaded"), _plain),
    "event": Key(gettext_lazy("event"), _short_ids),
    "events": Key(gettext_lazy("events"), _short_ids),
    "fields": Key(gettext_lazy("fields"), _fields("cases.Case")),
    "file_kind": Key(gettext_lazy("file"), _table(_formats)),
    "files": Key(gettext_lazy("files"), _count),
    "first_case": Key(gettext_lazy("first case"), _case),
    "form": Key(gettext_lazy("form"), _table(_formats)),
    "format": Key(gettext_lazy("format"), _table(_formats)),
    "generated": Key(gettext_lazy("cases generated"), _count),
    "identities": Key(gettext_lazy("identities filled in"), _count),
    "identity": Key(gettext_lazy("with identity"), _plain),
    "invite": Key(gettext_lazy("invitation"), _plain),
    "item": Key(gettext_lazy("evidence item"), _short_ids),
    "items": Key(gettext_lazy("evidence items"), _short_ids),
    "kind": Key(gettext_lazy("kind"), _plain),
    "held": Key(gettext_lazy("held back"), _count),
    "handover": Key(gettext_lazy("hand-over"), _short_ids),
    "language": Key(gettext_lazy("language"), _language),
    "last_case": Key(gettext_lazy("last case"), _case),
    "left_out": Key(gettext_lazy("items left out"), _count),
    "merged": Key(gettext_lazy("merged into"), _plain),
    "name": Key(gettext_lazy("other name added"), _plain),
    "organisation": Key(gettext_lazy("organisation"), _plain),
    "contact": Key(gettext_lazy("contact person"), _plain),
    "response": Key(gettext_lazy("response"), _plain),
    "system": Key(gettext_lazy("run by"), _plain),  # a command's or task's actor, no member
    "notes": Key(gettext_lazy("notes"), _count),
    "number": Key(gettext_lazy("decision number"), _plain),
    "on": Key(gettext_lazy("on"), _day),
    "opened": Key(gettext_lazy("screening opened"), _plain),
    "organisations": Key(gettext_lazy("organisations"), _count),
    "organisations_new": Key(gettext_lazy("new organisations"), _count),
    "origin": Key(gettext_lazy("came from"), _choices("evidence.Item.origin")),
    "original": Key(gettext_lazy("file"), _intake_file),
    "copy": Key(gettext_lazy("file"), _intake_copy),
    "from_intake": Key(gettext_lazy("requester's file"), _short_ids),
    "outcome": Key(gettext_lazy("outcome"), _choices("screening.Decision.outcome")),
    "package": Key(gettext_lazy("package"), _short_ids),
    "pages": Key(gettext_lazy("pages"), _count),
    "pathway": Key(gettext_lazy("pathway"), _plain),
    "private": Key(gettext_lazy("members-only pages"), _count),
    "public": Key(gettext_lazy("public"), _plain),
    "public_only": Key(gettext_lazy("public pages only"), _plain),
    "reason": Key(gettext_lazy("reason"), _table(_reveal_reasons)),
    "release": Key(gettext_lazy("release"), _short_ids),
    "rejected": Key(gettext_lazy("rows rejected"), _count),
    "recipient": Key(gettext_lazy("recipient"), _table(_recipients)),
    "revision": Key(gettext_lazy("revision"), _plain),
    "restored_revision": Key(gettext_lazy("earlier version restored"), _plain),
    "risk": Key(gettext_lazy("risk event"), _plain),
    "note": Key(gettext_lazy("note"), _plain),
    "status_step": Key(gettext_lazy("status step"), _plain),
    "version": Key(gettext_lazy("version kept"), _plain),
    "was": Key(gettext_lazy("state"), _plain),
    "role": Key(gettext_lazy("witness's role"), _choices("evidence.TestimonyEvent.role")),
    "rows": Key(gettext_lazy("rows"), _count),
    "scope": Key(gettext_lazy("may be shared with"), _table(_recipients)),
    "screening": Key(gettext_lazy("screening"), _plain),
    "second_factor": Key(gettext_lazy("with the second factor"), _plain),
    "shows": Key(gettext_lazy("shows"), _choices("pathways.EvidenceMark.kind")),
    "state": Key(gettext_lazy("state"), _choices("ledger.Transaction.state")),
    "status": Key(gettext_lazy("status"), _choices("cases.Case.status")),
    "step": Key(gettext_lazy("step"), _table(_screening_steps)),
    "task": Key(gettext_lazy("task"), _plain),
    "testimonies": Key(gettext_lazy("testimonies"), _short_ids),
    "testimony": Key(gettext_lazy("testimony"), _short_ids),
    "text_changed": Key(gettext_lazy("text changed"), _plain),
    "topic": Key(gettext_lazy("topic"), _plain),
    "tx": Key(gettext_lazy("transaction"), _plain),
    "way": Key(gettext_lazy("way out"), _table(_ways_out)),
    "week": Key(gettext_lazy("week"), _plain),
    "withdrawn": Key(gettext_lazy("consent withdrawn"), _plain),
    "anchor": Key(gettext_lazy("checked against an anchor file"), _plain),
    "answer": Key(gettext_lazy("partner's answer"), _choices("partners.Outbound.answer")),
    "days": Key(gettext_lazy("valid for days"), _count),
    "fingerprint": Key(gettext_lazy("key fingerprint"), _plain),
    "member": Key(gettext_lazy("member"), _user),
    "partner": Key(gettext_lazy("partner group"), _plain),
    "scopes": Key(gettext_lazy("token scopes"), _plain),
    "token": Key(gettext_lazy("access token"), _plain),
}

# Where a key means something else for one event.
BY_EVENT: dict[tuple[str, str], Key] = {
    (Event.IDENTITY_CHANGED, "fields"): Key(gettext_lazy("fields"), _fields("cases.Identity")),
    (Event.SCREENING_RECORDED, "fields"): Key(
        gettext_lazy("fields"), _fields("screening.Screening")
    ),
    (Event.RISK_RECORDED, "kind"): Key(gettext_lazy("kind"), _choices("cases.RiskEvent.kind")),
    (Event.RISK_OUTCOME_RECORDED, "kind"): Key(
        gettext_lazy("kind"), _choices("cases.RiskEvent.kind")
    ),
    (Event.RISK_OUTCOME_RECORDED, "fields"): Key(
        gettext_lazy("fields"), _fields("cases.RiskEvent")
    ),
    (Event.ORGANISATION_CHANGED, "fields"): Key(
        gettext_lazy("fields"), _fields("outreach.Organisation")
    ),
    (Event.RESPONSE_RECORDED, "kind"): Key(
        gettext_lazy("kind"), _choices("outreach.Response.kind")
    ),
    (Event.NOTE_CORRECTED, "fields"): Key(gettext_lazy("fields"), _fields("cases.Note")),
    (Event.RISK_CORRECTED, "fields"): Key(gettext_lazy("fields"), _fields("cases.RiskEvent")),
    (Event.STATUS_CORRECTED, "fields"): Key(gettext_lazy("fields"), _fields("cases.StatusChange")),
    (Event.EVIDENCE_EVENT_CORRECTED, "fields"): Key(
        gettext_lazy("fields"), _fields("evidence.Event")
    ),
    (Event.INTAKE_REPLIED, "kind"): Key(gettext_lazy("kind"), _table(_reply_kinds)),
    (Event.LEDGER_RECORDED, "kind"): Key(gettext_lazy("kind"), _choices("ledger.Transaction.kind")),
    (Event.LEDGER_REVERSED, "kind"): Key(gettext_lazy("kind"), _choices("ledger.Transaction.kind")),
    (Event.SCREENING_DECISION, "kind"): Key(
        gettext_lazy("kind"), _choices("screening.Decision.kind")
    ),
    (Event.SCREENING_DECISION, "screening"): Key(gettext_lazy("screening"), _short_ids),
    (Event.EVIDENCE_VERIFICATION, "status"): Key(
        gettext_lazy("verification"), _choices("evidence.Item.verification")
    ),
    (Event.EVIDENCE_EXPORT_REFUSED, "screening"): Key(
        gettext_lazy("screening"), _table(_screening_steps)
    ),
    (Event.OUTREACH_IMPORT_CANCELLED, "was"): Key(
        gettext_lazy("state"), _choices("outreach.ImportJob.status")
    ),
    (Event.CASE_EXPORTED, "items"): Key(gettext_lazy("evidence items"), _short_ids),
    (Event.EVIDENCE_EXPORTED, "items"): Key(gettext_lazy("evidence items"), _count),
    (Event.EVIDENCE_EXPORT_REFUSED, "testimonies"): Key(gettext_lazy("testimonies"), _short_ids),
}

# The object column: a label per model (most models name no verbose_name of their own).
OBJECTS: dict[str, object] = {
    "accounts.user": gettext_lazy("member"),
    "accounts.invite": gettext_lazy("invitation"),
    "cases.case": gettext_lazy("case"),
    "cases.riskevent": gettext_lazy("risk event"),
    "cases.task": gettext_lazy("task"),
    "cases.note": gettext_lazy("note"),
    "evidence.item": gettext_lazy("evidence item"),
    "evidence.testimony": gettext_lazy("testimony"),
    "evidence.event": gettext_lazy("event"),
    "evidence.testimonyevent": gettext_lazy("testimony and event"),
    "intake.intakerequest": gettext_lazy("intake request"),
    "intake.attachment": gettext_lazy("intake attachment"),
    "knowledge.page": gettext_lazy("safety page"),
    "ledger.fund": gettext_lazy("fund"),
    "ledger.account": gettext_lazy("account"),
    "ledger.pledge": gettext_lazy("pledge"),
    "ledger.rate": gettext_lazy("exchange rate"),
    "ledger.transaction": gettext_lazy("transaction"),
    "ledger.receipt": gettext_lazy("receipt"),
    "outreach.organisation": gettext_lazy("organisation"),
    "outreach.importbatch": gettext_lazy("import"),
    "outreach.importjob": gettext_lazy("import"),
    "outreach.outreachdigest": gettext_lazy("weekly digest"),
    "pathways.proposal": gettext_lazy("proposed correction"),
    "pathways.casepathway": gettext_lazy("case pathway"),
    "pathways.gaptask": gettext_lazy("task from a gap"),
    "screening.screening": gettext_lazy("screening"),
    "screening.concern": gettext_lazy("exclusion concern"),
    "screening.corroboration": gettext_lazy("corroboration"),
    "screening.decision": gettext_lazy("screening decision"),
    "screening.exportclearance": gettext_lazy("export clearance"),
}

_USER_KEYS = ("caseworker", "lawyer")
_CASE_KEYS = ("case", "first_case", "last_case")


def key_for(event: str, key: str) -> Key:
    return BY_EVENT.get((event, key)) or KEYS.get(key) or Key(key, _plain)


def _names_for(rows: Iterable[AuditEvent]) -> _Names:
    user_ids, case_ids = set(), set()
    for row in rows:
        if row.object_type == "accounts.user" and row.object_id.isdigit():
            user_ids.add(int(row.object_id))
        if row.object_type == "cases.case" and row.object_id.isdigit():
            case_ids.add(int(row.object_id))
        data = row.data if isinstance(row.data, dict) else {}
        for key in _USER_KEYS:
            if isinstance(data.get(key), int):
                user_ids.add(data[key])
        for key in _CASE_KEYS:
            if isinstance(data.get(key), int):
                case_ids.add(data[key])
    users = (
        {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)} if user_ids else {}
    )
    cases = (
        dict(
            apps.get_model("cases", "Case")
            .objects.filter(pk__in=case_ids)
            .values_list("pk", "codename")
        )
        if case_ids
        else {}
    )
    return _Names(users, cases)


def _object(row: AuditEvent, names: _Names) -> str:
    if not row.object_type:
        return ""
    label = str(OBJECTS.get(row.object_type, row.object_type))
    reference = row.object_id
    if row.object_id.isdigit():
        number = int(row.object_id)
        if row.object_type == "accounts.user":
            reference = names.users.get(number, reference)
        elif row.object_type == "cases.case":
            reference = names.cases.get(number, reference)
    elif len(reference) > 12:  # a UUID: its start, as the pages show it
        reference = reference[:8]
    return f"{label} {reference}"


def describe(rows: list[AuditEvent]) -> list[AuditEvent]:
    """Give each row ``object_label`` and ``details`` (a list of ``Detail``) for the page."""
    names = _names_for(rows)
    for row in rows:
        data = row.data if isinstance(row.data, dict) else {}
        row.object_label = _object(row, names)
        row.details = [
            Detail(str(key_for(row.event, key).label), _render(row.event, key, value, names))
            for key, value in data.items()
        ]
    return rows


def _render(event: str, key: str, value, names: _Names) -> str:
    try:
        return key_for(event, key).render(value, names)
    except (LookupError, TypeError, ValueError):
        return _plain(value)
