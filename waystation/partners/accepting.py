"""Receiving a package from a partner: what a coordinator sees before deciding, and the
decision. Accepting makes a new case (the sender's codename when it is free here, else a
new one), puts the identity into the vault, records the testimonies with their consent
terms and takes the items, each streamed into the blob store through evidence's ingest
(its SHA-256 must equal the manifest's) and its chain of custody continued by a "received
from partner" entry. Every record says where it came from. Declining keeps nothing of the
package but the decision. Either way a signed receipt answers the sender.

All or nothing: a single mismatch or refusal and no case, no record stays (files already
streamed into the blob store are encrypted and unreferenced)."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, check, member
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record
from waystation.cases.services import CaseError, case_create, identity_save, note_add
from waystation.core.refusals import Refusal
from waystation.evidence import custody
from waystation.evidence.models import (
    AcquiredHow,
    CustodyAction,
    CustodyEntry,
    ItemKind,
    ItemOrigin,
    Recipient,
)
from waystation.evidence.services import (
    EvidenceError,
    item_ingest_stream,
    item_note_from_partner,
    testimony_record,
)

from . import package
from .inbox import open_inbound
from .models import Answer, Decision, InboundStatus, Kind, ReceivedItem, ReceivedTestimony

RECEIPT = "receipt"


class AcceptError(Refusal):
    """The package cannot be taken as it is; nothing was kept."""


@dataclass(frozen=True)
class Contents:
    """What a coordinator sees before deciding, from the manifest kept with the package."""

    kind: str
    message: str
    codename: str
    parts: list[str]  # "care", "legal", "identity"
    items: list[dict]  # id, name, kind, size, sha256, custody
    testimonies: int


def contents_of(inbound) -> Contents:
    manifest = inbound.manifest
    return Contents(
        kind=inbound.kind,
        message=manifest.get("message", ""),
        codename=manifest.get("case", ""),
        parts=[p["kind"] for p in manifest.get("parts", []) if "id" not in p],
        items=[_labelled(item) for item in manifest.get("items", [])],
        testimonies=len(manifest.get("testimonies", [])),
    )


def _labelled(item: dict) -> dict:
    """The item as the page shows it: its kind and custody actions in the reader's words."""
    kinds, actions = dict(ItemKind.choices), dict(CustodyAction.choices)
    return {
        **item,
        "kind_label": kinds.get(item.get("kind"), item.get("kind", "")),
        "custody": [
            {**entry, "action_label": actions.get(entry.get("action"), entry.get("action"))}
            for entry in item.get("custody", [])
        ],
    }


def _read_json(opened, name: str):
    if name not in opened.names():
        return None
    return json.loads(b"".join(opened.open(name)))


def _sender_name(opened) -> str:
    return getattr(opened.sender, "name", None) or str(opened.sender)


class _Stream:
    """A read()-able file over the package's chunks for one item (evidence's ingest reads
    files)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._rest) < size:
            piece = next(self._chunks, None)
            if piece is None:
                break
            self._rest += piece
            if size < 0:
                continue
        if size < 0:
            data, self._rest = self._rest, b""
        else:
            data, self._rest = self._rest[:size], self._rest[size:]
        return data


def chain_problems(entries: list[dict], item_id: str) -> list[str]:
    """Recompute the sender's chain from the manifest: each link's hash over the one
    before (the sender's MAC cannot be checked here: its key stays over there)."""
    problems, previous = [], custody.GENESIS
    for raw in entries:
        entry = CustodyEntry(
            item_id=item_id,
            seq=raw["seq"],
            action=raw["action"],
            actor_id=raw["actor"],
            at=_at(raw["at"]),
            details=raw["details"],
        )
        if raw["previous_hash"] != previous:
            problems.append(f"entry {raw['seq']}: does not follow the entry before")
        if custody.link_hash(raw["previous_hash"], entry) != raw["entry_hash"]:
            problems.append(f"entry {raw['seq']}: content changed after it was written")
        previous = raw["entry_hash"]
    if not entries:
        problems.append("no custody entries")
    return problems


def _at(text: str):
    return datetime.fromisoformat(text)


def _waiting(inbound) -> None:
    if inbound.kind not in Kind.values:
        raise AcceptError(_("This package is not a referral or a transfer."))
    if (
        inbound.status != InboundStatus.QUEUED
        or Decision.objects.filter(package_id=inbound.package_id).exists()
    ):
        raise AcceptError(_("This package has been answered already."))


def _close(inbound, actor, status: str, message: str) -> None:
    inbound.status = status
    inbound.decided_at = timezone.now()
    inbound.decided_by = member(actor)
    inbound.decision_message = message
    inbound.save(update_fields=["status", "decided_at", "decided_by", "decision_message"])


def _render(part: dict) -> str:
    lines = []
    for key, value in part.items():
        if isinstance(value, list):
            lines.append(f"{key}:")
            for row in value:
                if isinstance(row, dict):
                    row = "; ".join(f"{k}: {v}" for k, v in row.items() if v not in (None, ""))
                lines.append(f"  - {row}")
        elif value not in (None, ""):
            lines.append(f"{key}: {value}")
    return "\n".join(lines)


def package_accept(*, actor, inbound, out: Path) -> Decision:
    """Take the queued package into a new case and write the receipt to ``out``."""
    check(actor, Perm.PARTNERS_MANAGE)
    check(actor, Perm.CASES_MANAGE)
    check(actor, Perm.EVIDENCE_EDIT)
    out = Path(out)
    if out.exists():
        raise AcceptError(_("%(path)s exists already; choose a new name.") % {"path": out})
    _waiting(inbound)
    opened = open_inbound(inbound)
    if opened.package_id != inbound.package_id:
        raise AcceptError(_("The stored package is not the one queued; import it again."))
    manifest = opened.manifest
    sender = _sender_name(opened)
    provenance = _("received from partner %(partner)s, package %(package)s") % {
        "partner": sender,
        "package": opened.package_id,
    }
    records = _read_json(opened, "case.json") or {}
    testimonies = _read_json(opened, "testimonies.json") or []
    for entry in manifest.get("items", []):
        problems = chain_problems(entry.get("custody", []), entry["id"])
        if problems:
            raise AcceptError(
                _("The custody chain of item %(id)s does not verify: %(problems)s")
                % {"id": entry["id"], "problems": "; ".join(problems)}
            )
    requested = manifest.get("case", "")
    with transaction.atomic():
        case = _new_case(actor, requested, records)
        decision = Decision.objects.create(
            package_id=opened.package_id,
            sender=sender,
            kind=opened.kind,
            answer=Answer.ACCEPTED,
            case=case,
            decided_by=member(actor),
            decided_at=timezone.now(),
        )
        note_add(
            actor=actor,
            case=case,
            text=_("Case %(provenance)s (%(kind)s). Their message: %(message)s")
            % {
                "provenance": provenance,
                "kind": Kind(opened.kind).label,
                "message": manifest.get("message", "") or "—",
            },
        )
        for side, legal in (("care", False), ("legal", True)):
            if records.get(side):
                note_add(
                    actor=actor,
                    case=case,
                    legal=legal,
                    text=f"{provenance}\n{_render(records[side])}",
                )
        identity = {k: v for k, v in (records.get("identity") or {}).items() if v}
        if identity:
            identity_save(actor=actor, case=case, **identity)
        for t in testimonies:
            testimony = testimony_record(
                actor=actor,
                case=case,
                statement=_with_corrections(t),
                language=t["language"],
                interviewed_on=date.fromisoformat(t["interviewed_on"]),
                interpreter=t.get("interpreter", ""),
                consent_scope=t.get("consent_scope", []),
                consent_body=t.get("consent_body", ""),
            )
            ReceivedTestimony.objects.create(
                decision=decision, testimony=testimony, sender_testimony=t["id"]
            )
        for entry in manifest.get("items", []):
            _take_item(actor, opened, case, decision, entry, sender, provenance)
        record(
            AuditEvent.PARTNER_PACKAGE_ACCEPTED,
            actor=actor,
            obj=case,
            data={
                "package": opened.package_id,
                "kind": opened.kind,
                "items": len(manifest.get("items", [])),
                "testimonies": len(testimonies),
            },
        )
        _close(inbound, actor, InboundStatus.ACCEPTED, "")
        _receipt(opened, out, Answer.ACCEPTED, "", case.codename)
    return decision


def _new_case(actor, requested: str, records: dict):
    """The sender's codename when it is free here (and well-formed), else a new one."""
    details = {
        "languages": records.get("languages", ""),
        "city": records.get("city", ""),
        "summary": (records.get("care") or {}).get("summary", "") or "",
    }
    if requested:
        try:
            return case_create(actor=actor, codename=requested, **details)
        except CaseError:
            pass  # taken here, or not a codename this instance accepts: a new one
    return case_create(actor=actor, **details)


def _with_corrections(t: dict) -> str:
    text = t["statement"]
    for c in t.get("corrections", []):
        text += "\n\n" + _("Correction %(number)s (%(reason)s): %(text)s") % c
    return text


def _take_item(actor, opened, case, decision, entry, sender, provenance) -> None:
    terms = entry.get("terms") or {}
    origin = {"origin": ItemOrigin.OPEN} if terms.get("open") else {
        "origin": ItemOrigin.ORGANISATION,
        "origin_organisation": sender,
        "terms_scope": [k for k in terms.get("scope", []) if k in Recipient.values],
        "terms_courts": terms.get("courts", []),
    }
    try:
        item = item_ingest_stream(
            actor=actor,
            case=case,
            source=_Stream(opened.open(f"items/{entry['id']}")),
            original_name=entry.get("name", ""),
            kind=entry.get("kind", ""),
            acquired_how=AcquiredHow.OTHER,
            acquired_from=provenance,
            description=entry.get("description", ""),
            **origin,
        )
    except EvidenceError as error:
        raise AcceptError(str(error)) from None
    if item.sha256 != entry["sha256"] or item.size != entry["size"]:
        raise AcceptError(
            _("Item %(id)s does not match the manifest (SHA-256 or size): nothing was kept.")
            % {"id": entry["id"]}
        )
    chain = entry.get("custody", [])
    item_note_from_partner(
        actor=actor,
        item=item,
        partner=sender,
        package=opened.package_id,
        sender_item=entry["id"],
        sender_chain_head=chain[-1]["entry_hash"] if chain else custody.GENESIS,
    )
    ReceivedItem.objects.create(
        decision=decision, item=item, sender_item=entry["id"], sender_chain=chain
    )


def package_decline(*, actor, inbound, reason: str, out: Path) -> Decision:
    """Decline with a reason; only the decision stays, and the receipt answers the sender."""
    check(actor, Perm.PARTNERS_MANAGE)
    out = Path(out)
    if not reason.strip():
        raise AcceptError(_("Say why you decline: the sender reads it."))
    if out.exists():
        raise AcceptError(_("%(path)s exists already; choose a new name.") % {"path": out})
    _waiting(inbound)
    opened = open_inbound(inbound)
    if opened.package_id != inbound.package_id:
        raise AcceptError(_("The stored package is not the one queued; import it again."))
    with transaction.atomic():
        decision = Decision.objects.create(
            package_id=opened.package_id,
            sender=_sender_name(opened),
            kind=opened.kind if opened.kind in Kind.values else Kind.REFERRAL,
            answer=Answer.DECLINED,
            message=reason.strip(),
            decided_by=member(actor),
            decided_at=timezone.now(),
        )
        record(
            AuditEvent.PARTNER_PACKAGE_DECLINED,
            actor=actor,
            obj=decision,
            data={"package": opened.package_id, "kind": opened.kind},
        )
        _close(inbound, actor, InboundStatus.DECLINED, reason.strip())
        _receipt(opened, out, Answer.DECLINED, reason.strip(), "")
    return decision


def _receipt(opened, out: Path, answer: str, message: str, codename: str) -> None:
    """The signed answer for the sender, written in the decision's transaction: if it
    cannot be written, the decision is not kept either."""
    package.write_package(
        out,
        partner=opened.sender,
        kind=RECEIPT,
        manifest={
            "answers": opened.package_id,
            "decision": answer,
            "message": message,
            "new_codename": codename,
        },
        files=[],
    )
