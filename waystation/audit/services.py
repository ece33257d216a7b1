"""Writing to the audit log. Call ``record()`` inside the transaction of the change it
describes, from the service that makes the change (never from middleware or signals)."""

import json
import re

from django.db import transaction
from django.utils import timezone

from waystation.core.keys import Purpose, mac

from .events import Event
from .models import AuditChainHead, AuditEvent


def canonical_json(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(prev_mac: str, fields: dict) -> str:
    return mac(Purpose.AUDIT_MAC, bytes.fromhex(prev_mac) + canonical_json(fields)).hex()


_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_MAX_TEXT = 64


def _check_data(value, depth=0) -> None:
    """Audit data is ids, counts and codes. Refusing long or free text keeps names and typed
    words out of the log by construction, not only by habit."""
    if depth > 3:
        raise ValueError("audit data nests too deep")
    if isinstance(value, dict):
        for key, item in value.items():
            if not (isinstance(key, str) and _KEY.match(key)):
                raise ValueError(f"audit data key {key!r} is not a short identifier")
            _check_data(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_data(item, depth + 1)
    elif isinstance(value, str):
        if len(value) > _MAX_TEXT or not value.isprintable():
            raise ValueError("audit data strings are short codes, not text")
    elif value is not None and not isinstance(value, bool | int):
        raise ValueError(f"audit data cannot hold {type(value).__name__}")


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def record(event: Event, *, actor=None, obj=None, data: dict | None = None) -> AuditEvent:
    """Append one event. ``data`` holds ids and codes only — never names, texts or addresses."""
    _check_data(data or {})
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
