"""Writing to the audit log. Call ``record()`` inside the transaction of the change it
describes, from the service that makes the change (never from middleware or signals)."""

import json

from django.db import transaction
from django.utils import timezone

from waystation.core.keys import Purpose, mac

from .events import Event
from .models import AuditChainHead, AuditEvent


def canonical_json(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(prev_mac: str, fields: dict) -> str:
    return mac(Purpose.AUDIT_MAC, bytes.fromhex(prev_mac) + canonical_json(fields)).hex()


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(event: Event, *, actor=None, obj=None, data: dict | None = None) -> AuditEvent:
    """Append one event. ``data`` holds ids and codes only — never names, texts or addresses."""
    object_type, object_id = _object_ref(obj)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        row = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            event=event,
            object_type=object_type,
            object_id=object_id,
            data=data or {},
            prev_mac=head.mac,
        )
        row.mac = compute_mac(head.mac, row.canonical_fields())
        row.save(force_insert=True)
        head.seq, head.mac = row.seq, row.mac
        head.save(update_fields=["seq", "mac"])
    return row
