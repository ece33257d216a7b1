"""Checking the audit chain from the first row to the head."""

from dataclasses import dataclass

from waystation.core.keys import digests_equal

from .chain import compute_mac
from .models import GENESIS_MAC, AuditChainHead, AuditEvent

_FIELDS = ("seq", "at", "actor_id", "event", "object_type", "object_id", "data", "prev_mac", "mac")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify_chain(chunk_size: int = 5000) -> VerifyResult:
    """Walk the chain in order in constant memory; report the first broken link."""
    expected_seq, prev_mac, checked = 1, GENESIS_MAC, 0
    rows = AuditEvent.objects.order_by("seq").values_list(*_FIELDS).iterator(chunk_size)
    for seq, at, actor_id, event, object_type, object_id, data, stored_prev, stored_mac in rows:
        if seq != expected_seq:
            return VerifyResult(
                False, checked, expected_seq, f"row {expected_seq} is missing (next is {seq})"
            )
        if not digests_equal(stored_prev, prev_mac):
            return VerifyResult(False, checked, seq, "does not link to the row before it")
        row = AuditEvent(
            seq=seq,
            at=at,
            actor_id=actor_id,
            event=event,
            object_type=object_type,
            object_id=object_id,
            data=data,
        )
        if not digests_equal(compute_mac(prev_mac, row.canonical_fields()), stored_mac):
            return VerifyResult(False, checked, seq, "its content was changed")
        prev_mac, expected_seq, checked = stored_mac, seq + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_mac = (head.seq, head.mac) if head else (0, GENESIS_MAC)
    if head_seq != checked or not digests_equal(head_mac, prev_mac):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            f"the log ends at row {checked} but the chain head names row {head_seq}",
        )
    return VerifyResult(True, checked)
