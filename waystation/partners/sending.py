"""Sending a case's content to a partner group: a referral (they help, we keep the case) or a
transfer (the case moves once they accept). Everything goes through the exit gate with the
recipient "partner: NAME" (way out ``partner_package``), so the consent of witnesses and of
the person, and screening's hold, decide what goes; an item or testimony asked for that may
not go refuses the whole package (audited, nothing written).

The package (``package.write_package``) holds::

    manifest             what is inside: the parts, each item's id, kind, name, size,
                         SHA-256, terms and chain of custody, the testimonies' ids, the message
    case.json            the care side, the legal side and the identity, as chosen
    testimonies.json     the chosen testimonies with their consent terms and corrections
    items/<id>           each item bit for bit, streamed from ``Release.open``

Memory stays flat: the items' bytes go chunk by chunk from the blob store into the package.
"""

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm, Side, check, member
from waystation.cases.export import case_export_data
from waystation.cases.services import CaseError, identity_reveal, require_side
from waystation.core.refusals import Refusal
from waystation.core.uploads import display_name
from waystation.evidence import gate
from waystation.evidence.models import ItemOrigin, Recipient
from waystation.evidence.selectors import custody_of, person_consent_of

from . import package
from .models import Answer, Kind, Outbound

WAY = "partner_package"
CARE_KEYS = ("summary", "family", "needs", "services", "notes")
LEGAL_KEYS = ("status", "status_since", "timeline", "risk_events", "documents", "tasks")


class SendError(Refusal):
    """A package that cannot be made as asked; nothing was written or sent."""


@dataclass(frozen=True)
class Choice:
    """What a member chose to send."""

    kind: str
    message: str = ""
    care: bool = False
    legal: bool = False
    identity_reason: str = ""  # a RevealReason code; empty: no identity
    item_ids: tuple = ()
    testimony_ids: tuple = ()


def addressee(partner_name: str) -> gate.Addressee:
    return gate.Addressee.of(Recipient.PARTNER, partner_name)


def preview(*, actor, case, partner_name: str) -> gate.Decision:
    """What of the case's evidence would go to this partner and what stays, with why."""
    check(actor, Perm.PARTNERS_SEND)
    return gate.preview(actor=actor, case=case, addressee=addressee(partner_name))


def _parts(choice: Choice, release: gate.Release) -> list[dict]:
    parts = [{"kind": side} for side in ("care", "legal") if getattr(choice, side)]
    if choice.identity_reason:
        parts.append({"kind": "identity"})
    parts += [{"kind": "item", "id": str(item.pk)} for item in release.items]
    parts += [{"kind": "testimony", "id": str(t.pk)} for t in release.testimonies]
    return parts


def _custody(actor, item) -> list[dict]:
    return [
        {
            "seq": e.seq,
            "action": e.action,
            "actor": e.actor_id,
            "at": e.at.isoformat(timespec="microseconds"),
            "details": e.details,
            "previous_hash": e.previous_hash,
            "entry_hash": e.entry_hash,
        }
        for e in custody_of(actor, item)
    ]


def _terms(item, person) -> dict:
    """The terms the item may go on, so the receiver keeps them: the consent of the person
    or the witness it came from, or the terms it was given on; open sources go anywhere."""
    if item.origin == ItemOrigin.OPEN:
        return {"open": True}
    if item.origin == ItemOrigin.PERSON and person is not None:
        terms = person.terms
    elif item.origin == ItemOrigin.WITNESS and item.origin_testimony is not None:
        terms = item.origin_testimony.terms
    else:
        terms = item.organisation_terms
    return {"scope": sorted(terms.kinds), "courts": list(terms.courts)}


def _item_entry(actor, item, person) -> dict:
    return {
        "id": str(item.pk),
        "kind": item.kind,
        "name": display_name(item.original_name),
        "size": item.size,
        "sha256": item.sha256,
        "media_type": item.media_type,
        "acquired_on": item.acquired_on.isoformat(),
        "acquired_how": item.acquired_how,
        "description": item.description,
        "origin": item.origin,
        "terms": _terms(item, person),
        "custody": _custody(actor, item),
    }


def _testimony(t) -> dict:
    return {
        "id": str(t.pk),
        "interviewed_on": t.interviewed_on.isoformat(),
        "language": t.language,
        "interpreter": t.interpreter,
        "statement": t.statement,
        "consent_scope": list(t.consent_scope),
        "consent_body": t.consent_body,
        "corrections": [
            {"number": a.number, "text": a.text, "reason": a.reason}
            for a in t.addenda.order_by("number")
        ],
    }


def _case_records(actor, case, choice: Choice, identity) -> dict:
    data = case_export_data(actor=actor, case=case) if (choice.care or choice.legal) else {}
    records = {"codename": case.codename, "languages": case.languages, "city": case.city}
    if choice.care:
        records["care"] = {key: data[key] for key in CARE_KEYS if key in data}
    if choice.legal:
        records["legal"] = {key: data[key] for key in LEGAL_KEYS if key in data}
    if identity is not None:
        records["identity"] = identity.values()
    return records


def _json(value) -> Iterator[bytes]:
    yield json.dumps(value, ensure_ascii=False, sort_keys=True).encode()


def case_send(*, actor, case, partner, choice: Choice, out: Path) -> Outbound:
    """Write the package for ``partner`` (a known, not revoked one) to ``out`` (which must not
    exist) and record what went. The identity goes only from a coordinator, with a reason,
    read through the vault's audited reveal."""
    check(actor, Perm.PARTNERS_SEND)
    require_side(actor, case, Side.MANAGE)
    if choice.kind not in Kind.values:
        raise SendError(_("Choose a referral or a transfer."))
    if choice.care:
        require_side(actor, case, Side.CARE)
    if choice.legal:
        require_side(actor, case, Side.LEGAL)
    if choice.identity_reason:
        check(actor, Perm.CASES_MANAGE)  # a coordinator's decision, like a reveal
    moved = _transferred(case)
    if moved is not None:
        raise SendError(
            _("This case was transferred to %(partner)s: it is closed here.")
            % {"partner": moved.partner}
        )
    if choice.kind == Kind.TRANSFER and _transfer_open(case):
        raise SendError(_("This case is already being transferred; wait for the answer."))
    out = Path(out)
    if out.exists() or out.is_symlink():
        raise SendError(_("%(path)s exists already; choose a new name.") % {"path": out})
    if not out.parent.is_dir():
        raise SendError(_("%(path)s is not a folder.") % {"path": out.parent})
    release = gate.clear(
        actor=actor,
        case=case,
        addressee=addressee(partner.name),
        way=WAY,
        item_ids=list(choice.item_ids),
        testimony_ids=list(choice.testimony_ids),
        allow_empty=True,
    )
    parts = _parts(choice, release)
    if not parts:
        raise SendError(_("Choose at least one part of the case to send."))
    identity = None
    if choice.identity_reason:
        try:
            identity = identity_reveal(actor=actor, case=case, reason=choice.identity_reason)
        except CaseError as error:
            raise SendError(str(error)) from None
    person = person_consent_of(case)
    manifest = {
        "case": case.codename,
        "kind": choice.kind,
        "message": choice.message.strip(),
        "parts": parts,
        "items": [_item_entry(actor, item, person) for item in release.items],
        "testimonies": [str(t.pk) for t in release.testimonies],
    }
    files = [
        ("case.json", _json(_case_records(actor, case, choice, identity))),
        ("testimonies.json", _json([_testimony(t) for t in release.testimonies])),
    ]
    files += [(f"items/{item.pk}", release.open(item)) for item in release.items]
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.partial-")
    os.close(fd)
    partial = Path(name)
    partial.unlink()
    try:
        info = package.write_package(
            partial, partner=partner, kind=choice.kind, manifest=manifest, files=files
        )
        with transaction.atomic():
            gate.record(
                release,
                actor=actor,
                files=True,
                extra={
                    "partner_package": info.package_id,
                    "kind": choice.kind,
                    "parts": sorted({part["kind"] for part in parts}),
                },
            )
            outbound = Outbound.objects.create(
                case=case,
                partner=partner.name,
                kind=choice.kind,
                package_id=info.package_id,
                parts=parts,
                message=choice.message.strip(),
                sent_at=timezone.now(),
                sent_by=member(actor),
            )
            if out.exists():
                raise SendError(_("%(path)s appeared meanwhile; try again.") % {"path": out})
            gate.admit(release, recorded=True)
            os.rename(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return outbound


def _transferred(case) -> Outbound | None:
    return Outbound.objects.filter(case=case, kind=Kind.TRANSFER, answer=Answer.ACCEPTED).first()


def _transfer_open(case) -> bool:
    return Outbound.objects.filter(
        case=case, kind=Kind.TRANSFER, answer__in=(Answer.PENDING, Answer.ACCEPTED)
    ).exists()
