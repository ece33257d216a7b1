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

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waystation.core.dates import short_date

from .events import Event
from .models import AuditEvent


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
    from babel import Locale, UnknownLocaleError

    from waystation.core.dates import babel_locale

    try:
        return Locale.parse(babel_locale()).languages.get(value, value)
    except (ValueError, UnknownLocaleError):
        return _plain(value)


def _reveal_reasons() -> dict:
    from waystation.cases.services import RevealReason

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


def _screening_steps() -> dict:
    return {
        "referred": _("referred to a psychologist"),
        "result": _("result recorded"),
        "concerns_not_cleared": _("exclusion concerns not cleared"),
    }


def _recipients() -> dict:
    from waystation.evidence.models import Recipient

    return dict(Recipient.choices)


def _roles() -> dict:
    from waystation.accounts.roles import Role

    return dict(Role.choices)


def _intake_file(value, _names=None) -> str:
    return _("the original, kept as evidence") if value else _("the copy without metadata")


# --- keys --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    label: object  # a lazy translation
    render: Render = _plain


L = gettext_lazy

# Every key any service writes (a test reads the sources and checks that none is missing).
KEYS: dict[str, Key] = {
    "added": Key(L("roles added"), _table(_roles)),
    "removed": Key(L("roles removed"), _table(_roles)),
    "roles": Key(L("roles"), _table(_roles)),
    "already_logged": Key(L("rows already in the log"), _count),
    "approaches": Key(L("approaches"), _count),
    "case": Key(L("case"), _case),
    "cases": Key(L("cases"), _count),
    "caseworker": Key(L("caseworker"), _user),
    "lawyer": Key(L("lawyer"), _user),
    "changed": Key(L("settings changed"), _fields("knowledge.Page")),
    "codes_left": Key(L("recovery codes left"), _count),
    "concerns": Key(L("exclusion concerns"), _count),
    "criterion": Key(L("criterion"), _plain),
    "currency": Key(L("currency"), _plain),
    "decision": Key(L("decision"), _choices("pathways.Proposal.status")),
    "dossier": Key(L("dossier"), _short_ids),
    "download": Key(L("downloaded"), _plain),
    "event": Key(L("event"), _short_ids),
    "events": Key(L("events"), _short_ids),
    "fields": Key(L("fields"), _fields("cases.Case")),
    "file_kind": Key(L("file"), _table(_formats)),
    "files": Key(L("files"), _count),
    "first_case": Key(L("first case"), _case),
    "form": Key(L("form"), _table(_formats)),
    "format": Key(L("format"), _table(_formats)),
    "generated": Key(L("cases generated"), _count),
    "identities": Key(L("identities filled in"), _count),
    "identity": Key(L("with identity"), _plain),
    "invite": Key(L("invitation"), _plain),
    "item": Key(L("evidence item"), _short_ids),
    "items": Key(L("evidence items"), _short_ids),
    "kind": Key(L("kind"), _plain),
    "language": Key(L("language"), _language),
    "last_case": Key(L("last case"), _case),
    "left_out": Key(L("items left out"), _count),
    "merged": Key(L("merged into"), _plain),
    "notes": Key(L("notes"), _count),
    "number": Key(L("decision number"), _plain),
    "on": Key(L("on"), _day),
    "opened": Key(L("screening opened"), _plain),
    "organisations": Key(L("organisations"), _count),
    "organisations_new": Key(L("new organisations"), _count),
    "origin": Key(L("came from"), _choices("evidence.Item.origin")),
    "original": Key(L("file"), _intake_file),
    "outcome": Key(L("outcome"), _choices("screening.Decision.outcome")),
    "package": Key(L("package"), _short_ids),
    "pages": Key(L("pages"), _count),
    "pathway": Key(L("pathway"), _plain),
    "private": Key(L("members-only pages"), _count),
    "public": Key(L("public"), _plain),
    "public_only": Key(L("public pages only"), _plain),
    "reason": Key(L("reason"), _table(_reveal_reasons)),
    "rejected": Key(L("rows rejected"), _count),
    "recipient": Key(L("recipient"), _table(_recipients)),
    "revision": Key(L("revision"), _plain),
    "restored_revision": Key(L("earlier version restored"), _plain),
    "risk": Key(L("risk event"), _plain),
    "role": Key(L("witness's role"), _choices("evidence.TestimonyEvent.role")),
    "rows": Key(L("rows"), _count),
    "scope": Key(L("may be shared with"), _table(_recipients)),
    "screening": Key(L("screening"), _plain),
    "second_factor": Key(L("with the second factor"), _plain),
    "shows": Key(L("shows"), _choices("pathways.EvidenceMark.kind")),
    "state": Key(L("state"), _choices("ledger.Transaction.state")),
    "status": Key(L("status"), _choices("cases.Case.status")),
    "step": Key(L("step"), _table(_screening_steps)),
    "task": Key(L("task"), _plain),
    "testimonies": Key(L("testimonies"), _short_ids),
    "testimony": Key(L("testimony"), _short_ids),
    "text_changed": Key(L("text changed"), _plain),
    "topic": Key(L("topic"), _plain),
    "tx": Key(L("transaction"), _plain),
    "week": Key(L("week"), _plain),
    "withdrawn": Key(L("consent withdrawn"), _plain),
}

# Where a key means something else for one event.
BY_EVENT: dict[tuple[str, str], Key] = {
    (Event.IDENTITY_CHANGED, "fields"): Key(L("fields"), _fields("cases.Identity")),
    (Event.SCREENING_RECORDED, "fields"): Key(L("fields"), _fields("screening.Screening")),
    (Event.RISK_RECORDED, "kind"): Key(L("kind"), _choices("cases.RiskEvent.kind")),
    (Event.INTAKE_REPLIED, "kind"): Key(L("kind"), _table(_reply_kinds)),
    (Event.LEDGER_RECORDED, "kind"): Key(L("kind"), _choices("ledger.Transaction.kind")),
    (Event.SCREENING_DECISION, "kind"): Key(L("kind"), _choices("screening.Decision.kind")),
    (Event.SCREENING_DECISION, "screening"): Key(L("screening"), _short_ids),
    (Event.EVIDENCE_VERIFICATION, "status"): Key(
        L("verification"), _choices("evidence.Item.verification")
    ),
    (Event.EVIDENCE_EXPORT_REFUSED, "screening"): Key(L("screening"), _table(_screening_steps)),
    (Event.CASE_EXPORTED, "items"): Key(L("evidence items"), _short_ids),
    (Event.EVIDENCE_EXPORTED, "items"): Key(L("evidence items"), _count),
    (Event.EVIDENCE_EXPORT_REFUSED, "testimonies"): Key(L("testimonies"), _short_ids),
}

# The object column: a label per model (most models name no verbose_name of their own).
OBJECTS: dict[str, object] = {
    "accounts.user": L("member"),
    "accounts.invite": L("invitation"),
    "cases.case": L("case"),
    "cases.riskevent": L("risk event"),
    "cases.task": L("task"),
    "cases.note": L("note"),
    "evidence.item": L("evidence item"),
    "evidence.testimony": L("testimony"),
    "evidence.event": L("event"),
    "evidence.testimonyevent": L("testimony and event"),
    "intake.intakerequest": L("intake request"),
    "intake.attachment": L("intake attachment"),
    "knowledge.page": L("safety page"),
    "ledger.fund": L("fund"),
    "ledger.account": L("account"),
    "ledger.pledge": L("pledge"),
    "ledger.rate": L("exchange rate"),
    "ledger.transaction": L("transaction"),
    "ledger.receipt": L("receipt"),
    "outreach.organisation": L("organisation"),
    "outreach.importbatch": L("import"),
    "outreach.importjob": L("import"),
    "outreach.outreachdigest": L("weekly digest"),
    "pathways.proposal": L("proposed correction"),
    "pathways.casepathway": L("case pathway"),
    "pathways.gaptask": L("task from a gap"),
    "screening.screening": L("screening"),
    "screening.concern": L("exclusion concern"),
    "screening.corroboration": L("corroboration"),
    "screening.decision": L("screening decision"),
    "screening.exportclearance": L("export clearance"),
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
