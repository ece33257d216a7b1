"""The exit gate: the one place that decides what of a case may leave this instance, for
every way out — evidence packages (web ZIP, command-line directory, age-encrypted), dossiers
(PDF and ZIP), case exports (JSON, printable page) and any later one.

Three steps, in this order:

- ``preview``: per item and per testimony, whether it may go to this recipient and why
  ("witness consented to: court ICC OTP"); screening's hold on the whole case. Reads only.
  The export page and the command line show this list before anything is made.
- ``clear``: the same decision, or a refusal that is audited and writes nothing: screening
  holds the case, or something asked for by id may not go. Returns a ``Release``.
- ``record``: inside the caller's transaction, the custody entry of each item whose file
  leaves and the audit row (ids and kinds, never names), for the release.

Writers take a ``Release`` and nothing else: ``admit`` refuses one the gate did not make,
and an item's bytes for an export come only from ``Release.open``. So no way out can leave
the gate out (tests/test_gate_bypass.py checks both).

Who may ask: the caller's own permission is checked by the caller (evidence export, dossier,
case export); the gate itself reads only what the actor may see, and with no actor (the
command line) all of the case.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, visible
from waystation.audit import services as audit_log
from waystation.audit.events import Event as AuditEvent
from waystation.core import crypto
from waystation.core.blobstore import BlobDamaged, BlobMissing, blob_name, blob_store
from waystation.core.refusals import Forbidden
from waystation.core.uploads import display_name
from waystation.screening.selectors import export_clearance_problem

from . import custody
from .models import (
    CustodyAction,
    Item,
    ItemKind,
    ItemOrigin,
    PersonConsent,
    Recipient,
    Terms,
    Testimony,
    recipient_label,
)
from .services import EvidenceError

# Every way out, and the audit event its release is recorded as.
WAYS: dict[str, AuditEvent] = {
    "package_zip": AuditEvent.EVIDENCE_EXPORTED,
    "package_dir": AuditEvent.EVIDENCE_EXPORTED,
    "package_age": AuditEvent.EVIDENCE_EXPORTED,
    "dossier_pdf": AuditEvent.CASE_EXPORTED,
    "dossier_zip": AuditEvent.CASE_EXPORTED,
    "case_json": AuditEvent.CASE_EXPORTED,
    "case_html": AuditEvent.CASE_EXPORTED,
    "partner_package": AuditEvent.CASE_EXPORTED,  # to another Waystation group (partners)
}
NAMED = (Recipient.COURT, Recipient.PARTNER)  # kinds whose recipient has a name


class GateError(EvidenceError):
    """A request the gate cannot answer (unknown id, no recipient named); nothing written."""


class Refused(GateError, Forbidden):
    """The export may not be made: screening holds the case, or something asked for may not
    go to this recipient. Audited; nothing was written."""


class GateBypassed(RuntimeError):
    """A writer was handed something the gate did not release: a bug, never a user's doing."""


@dataclass(frozen=True)
class Addressee:
    """Who receives an export: a ``Recipient`` kind and, for a court or a partner, a name."""

    kind: str
    name: str = ""

    @classmethod
    def of(cls, kind, name: str = "") -> "Addressee":
        kind = str(kind)  # a Recipient member prints as its name in messages
        if kind not in Recipient.values:
            raise GateError(
                _("Unknown recipient %(kind)s: one of %(kinds)s.")
                % {"kind": repr(kind), "kinds": ", ".join(Recipient.values)}
            )
        name = _clean(name) if kind in NAMED else ""
        if kind == Recipient.COURT and not name:
            raise GateError(_("Name the court or investigative body that receives it."))
        return cls(kind, name)

    def __str__(self) -> str:
        return f"{self.kind}: {self.name}" if self.name else self.kind

    @property
    def label(self) -> str:
        """As people read it, in the active language: "court ICC OTP", "media"."""
        return recipient_label(self.kind, self.name)


def _clean(text: str) -> str:
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())


@dataclass(frozen=True)
class Line:
    """One row of the list: an item or a testimony, whether it goes, and why."""

    what: str  # "item" or "testimony"
    obj: Item | Testimony
    goes: bool
    reason: str
    explicit: bool = False  # asked for by id

    @property
    def id(self) -> str:
        return str(self.obj.pk)

    @property
    def label(self) -> str:
        if self.what == "item":
            item = self.obj
            name = display_name(item.original_name) or _("unnamed")
            kind = ItemKind(item.kind).label if item.kind in ItemKind.values else item.kind
            return f"{kind} · {name} · {filesizeformat(item.size)} · {item.sha256[:12]}…"
        testimony = self.obj
        return _("Testimony of %(date)s, %(codename)s, in %(language)s") % {
            "date": testimony.interviewed_on.isoformat(),
            "codename": testimony.case.codename,
            "language": testimony.language,
        }

    def text(self) -> str:
        """The line as the command line prints it and the page shows it."""
        verdict = _("goes") if self.goes else _("held back")
        return f"{verdict}: {self.what} {self.id} · {self.label} — {self.reason}"


@dataclass(frozen=True)
class Decision:
    case: object
    addressee: Addressee | None
    lines: tuple[Line, ...]
    screening: str | None  # why screening holds the case, or None

    @property
    def items(self) -> list[Item]:
        return [line.obj for line in self.lines if line.what == "item" and line.goes]

    @property
    def testimonies(self) -> list[Testimony]:
        return [line.obj for line in self.lines if line.what == "testimony" and line.goes]

    @property
    def going(self) -> list[Line]:
        return [line for line in self.lines if line.goes]

    @property
    def held(self) -> list[Line]:
        return [line for line in self.lines if not line.goes]

    def text(self) -> list[str]:
        recipient = self.addressee.label if self.addressee else _("not named")
        head = [_("Recipient: %(recipient)s") % {"recipient": recipient}]
        if self.screening:
            head.append(self.screening)
        return head + [line.text() for line in self.lines]


_TOKEN = object()  # only this module makes releases


@dataclass
class Release:
    """What the gate let go for one export. Made only by ``clear``."""

    decision: Decision
    way: str
    id: str
    token: object = field(repr=False)
    recorded: bool = False

    def __post_init__(self):
        if self.token is not _TOKEN:
            raise GateBypassed("a release is made by gate.clear, nowhere else")

    @property
    def case(self):
        return self.decision.case

    @property
    def addressee(self) -> Addressee | None:
        return self.decision.addressee

    @property
    def items(self) -> list[Item]:
        return self.decision.items

    @property
    def testimonies(self) -> list[Testimony]:
        return self.decision.testimonies

    @property
    def held(self) -> list[Line]:
        return self.decision.held

    def open(self, item: Item) -> Iterator[bytes]:
        """The item's bytes, for this release only. Not hashed again here: at the end the
        store checks that they hash to the blob's name, and the name is made from the
        SHA-256 taken at ingest, which is checked first."""
        admit(self)
        if item.pk not in {i.pk for i in self.items}:
            raise GateBypassed(f"item {item.pk} is not part of this release")
        return _chunks(item)


def _chunks(item: Item) -> Iterator[bytes]:
    verify_hint = "run `waystation evidence verify`"
    if not crypto.digests_equal(blob_name(item.sha256), item.blob):
        raise EvidenceError(
            f"item {item.pk}: its record does not match its stored file; {verify_hint}"
        )
    try:
        yield from blob_store().open(item.blob)
    except BlobMissing:
        raise EvidenceError(f"item {item.pk}: its stored file is missing; {verify_hint}") from None
    except BlobDamaged:
        raise EvidenceError(f"item {item.pk}: its stored file is damaged; {verify_hint}") from None


def admit(release, *, recorded: bool = False) -> "Release":
    """``release`` if the gate made it (and, with ``recorded``, recorded it); else
    ``GateBypassed``. Every writer of an export calls this first."""
    if not isinstance(release, Release) or release.token is not _TOKEN:
        raise GateBypassed("an export was asked to write something the gate did not release")
    if recorded and not release.recorded:
        raise GateBypassed("an export was about to leave before its release was recorded")
    return release


# -- deciding ---------------------------------------------------------------------------------


def _ids(values, what: str) -> list[str]:
    ids = []
    for value in values:
        try:
            ids.append(str(uuid.UUID(str(value).strip())))
        except ValueError:
            raise GateError(f"{value!r} is not a valid {what} id") from None
    return sorted(set(ids))


def _rows(actor, queryset, ids, case, what: str) -> tuple[list, bool]:
    """The rows of the case the actor may see: all of them, or exactly those of ``ids``."""
    if actor is not None:  # the command line (no actor) reads the whole case
        queryset = visible(actor, queryset, Perm.EVIDENCE_VIEW)
    if ids is None:
        return list(queryset), False
    wanted = _ids(ids, what)
    rows = list(queryset.filter(pk__in=wanted))
    missing = set(wanted) - {str(row.pk) for row in rows}
    if missing:
        raise GateError(
            f"no {what} of case {case.codename} has the id {', '.join(sorted(missing))}"
        )
    return rows, True


def _consent_reason(terms: Terms, addressee: Addressee, who: str) -> tuple[bool, str]:
    """``who`` is "witness" or "person": the two read differently."""
    if terms.withdrawn_on is not None:
        date = terms.withdrawn_on.isoformat()
        if who == "person":
            return False, _("the person of the case withdrew his consent on %(date)s") % {
                "date": date
            }
        return False, _("the witness withdrew consent on %(date)s") % {"date": date}
    if not terms.kinds:
        if who == "person":
            return False, _("the person of the case has not given consent for his items")
        return False, _("the witness has not consented yet")
    described = terms.describe()
    if who == "person":
        reason = _("the person of the case consented to: %(terms)s") % {"terms": described}
    else:
        reason = _("witness consented to: %(terms)s") % {"terms": described}
    return terms.allows(addressee.kind, addressee.name), reason


def _item_line(item: Item, addressee: Addressee, person: PersonConsent | None) -> tuple:
    if item.origin == ItemOrigin.OPEN:
        return True, _("open source: may go anywhere")
    if item.origin == ItemOrigin.PERSON:
        if person is None:
            return False, _("the person of the case has not given consent for his items")
        return _consent_reason(person.terms, addressee, "person")
    if item.origin == ItemOrigin.WITNESS and item.origin_testimony is not None:
        return _consent_reason(item.origin_testimony.terms, addressee, "witness")
    if item.origin == ItemOrigin.ORGANISATION:
        terms = item.organisation_terms
        return terms.allows(addressee.kind, addressee.name), _(
            "the terms it was given on allow: %(terms)s"
        ) % {"terms": terms.describe()}
    return False, _(
        "where it came from is not recorded: record its source and terms on the item's page"
    )


def preview(
    *, actor, case, addressee: Addressee | None, item_ids=None, testimony_ids=None
) -> Decision:
    """What would go and what would be held back, and why. Reads only. ``item_ids`` and
    ``testimony_ids``: None for all of the case the actor may see, else exactly those."""
    items, items_explicit = _rows(
        actor,
        Item.objects.filter(case=case)
        .select_related("origin_testimony__case", "verified_by")
        .prefetch_related("events")
        .order_by("ingested_at", "pk"),
        item_ids,
        case,
        "item",
    )
    testimonies, testimonies_explicit = _rows(
        actor,
        Testimony.objects.filter(case=case)
        .select_related("case", "interviewer")
        .prefetch_related("event_links")
        .order_by("interviewed_on", "recorded_at", "pk"),
        testimony_ids,
        case,
        "testimony",
    )
    screening = export_clearance_problem(case)
    person = PersonConsent.objects.filter(case=case).first()
    lines = []
    for what, rows, explicit in (
        ("item", items, items_explicit),
        ("testimony", testimonies, testimonies_explicit),
    ):
        for row in rows:
            if addressee is None:
                goes, reason = False, _("no recipient is named")
            elif what == "item":
                goes, reason = _item_line(row, addressee, person)
            else:
                goes, reason = _consent_reason(row.terms, addressee, "witness")
            if screening and goes:
                goes = False
                reason = _("held until a coordinator confirms the export (screening)")
            lines.append(Line(what, row, goes, reason, explicit))
    return Decision(case, addressee, tuple(lines), screening)


def clear(
    *,
    actor,
    case,
    addressee: Addressee | None,
    way: str,
    item_ids=None,
    testimony_ids=None,
    allow_empty: bool = False,
) -> Release:
    """The release for one export, or ``Refused`` (audited, nothing written) when screening
    holds the case or something asked for by id may not go. ``allow_empty``: the export
    says something without any item or testimony (a dossier, a case export). Call it outside
    the caller's transaction, so that a refusal's audit row stays."""
    if way not in WAYS:
        raise ValueError(f"unknown way out {way!r}")
    decision = preview(
        actor=actor,
        case=case,
        addressee=addressee,
        item_ids=item_ids,
        testimony_ids=testimony_ids,
    )
    kind = addressee.kind if addressee else None
    if decision.screening:
        with transaction.atomic():  # the refusal's own: it stays whatever the caller does
            audit_log.record(
                AuditEvent.EVIDENCE_EXPORT_REFUSED,
                actor=actor,
                obj=case,
                data={
                    "case": case.pk,
                    "way": way,
                    "recipient": kind,
                    "screening": "concerns_not_cleared",
                },
            )
        raise Refused(decision.screening)
    refused = [line for line in decision.held if line.explicit]
    if refused:
        with transaction.atomic():
            audit_log.record(
                AuditEvent.EVIDENCE_EXPORT_REFUSED,
                actor=actor,
                obj=case,
                data={
                    "case": case.pk,
                    "way": way,
                    "recipient": kind,
                    "items": sorted(line.id for line in refused if line.what == "item"),
                    "testimonies": sorted(
                        line.id for line in refused if line.what == "testimony"
                    ),
                },
            )
        raise Refused(
            _("Refused, nothing was exported. Not for this recipient: %(lines)s")
            % {"lines": "; ".join(f"{line.label}: {line.reason}" for line in refused)}
        )
    if not decision.going and not allow_empty:
        raise GateError(
            _(
                "Nothing to export: no item and no testimony of %(codename)s may go to this "
                "recipient."
            )
            % {"codename": case.codename}
        )
    return Release(decision, way, str(uuid.uuid4()), _TOKEN)


def record(release: Release, *, actor, files: bool, extra: dict | None = None) -> None:
    """The release in the audit log and, when ``files`` (the items' bytes leave), in each
    item's chain of custody: ids and kinds, never a name. Inside the caller's transaction,
    before the first byte leaves: a download broken off half-way has still handed over part
    of the evidence."""
    admit(release)
    if not connection.in_atomic_block:
        raise RuntimeError("gate.record belongs inside the transaction of the export")
    if release.recorded:
        raise RuntimeError("this release is recorded already")
    kind = release.addressee.kind if release.addressee else None
    if files:
        details = {"release": release.id, "recipient": kind, "way": release.way}
        action = CustodyAction.EXPORTED
        if release.way == "partner_package":  # a group's name, never a person's
            action = CustodyAction.SENT_TO_PARTNER
            details["partner"] = release.addressee.name
        for item in release.items:
            custody.append(item=item, action=action, actor=actor, details=dict(details))
    audit_log.record(
        WAYS[release.way],
        actor=actor,
        obj=release.case,
        data={
            "case": release.case.pk,
            "release": release.id,
            "way": release.way,
            "recipient": kind,
            "items": sorted(str(item.pk) for item in release.items),
            "testimonies": sorted(str(t.pk) for t in release.testimonies),
            "held": len(release.held),
            **(extra or {}),
        },
    )
    release.recorded = True
