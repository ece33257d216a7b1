"""Signing keys the group has checked belong to someone (a witness's phone running
ProofMode), recorded for a case or for the whole group: a proof bundle signed with one is
shown as signed by a known key, and one signed with another key than the key recorded for
its case is flagged (proofmode.py)."""

from django.db import transaction

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event as AuditEvent
from waystation.audit.services import record

from .. import custody, proofmode
from ..models import KnownKey
from ..rules import EvidenceError


def known_key_record(*, actor, armored: str, label: str, case=None) -> KnownKey:
    """Record the OpenPGP public key ``armored`` as known: for ``case``, or for the whole
    group when none. ``label`` says whose it is ("the witness's phone"). Audited with the
    fingerprint, never the label."""
    policy.check(actor, Perm.EVIDENCE_EDIT)
    if not label.strip():
        raise EvidenceError("say whose key it is")
    try:
        fingerprint = proofmode.fingerprint_of(armored)
    except ValueError as error:
        raise EvidenceError(f"this is not an OpenPGP public key ({error})") from error
    with transaction.atomic():
        known = KnownKey.objects.create(
            case=case,
            fingerprint=fingerprint,
            label=label.strip(),
            armored=armored,
            recorded_by=custody.member(actor),
        )
        record(
            AuditEvent.EVIDENCE_KNOWN_KEY,
            actor=actor,
            obj=known,
            data={"case": case.pk if case else None, "fingerprint": fingerprint},
        )
    return known
