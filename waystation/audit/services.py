"""Writing to the audit log. Call ``record()`` inside the transaction of the change it
describes, from the service that makes the change (never from middleware or signals): it refuses
to write anywhere else, so a change and its audit row are committed together or not at all.

``record`` is the log's writer, not a service: it checks no permission, because the service
calling it already did (tests/second_lock lists it as the one exception)."""

import re

from django.db import transaction
from django.utils import timezone

from .chain import compute_mac
from .events import Event
from .models import AuditChainHead, AuditEvent


class AuditOutsideTransaction(RuntimeError):
    """``record()`` was called outside ``transaction.atomic()``: a bug in the calling service,
    which would commit its change and the audit row separately (or the row without the change)."""


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
    """Append one event, inside the caller's transaction (``AuditOutsideTransaction`` if there
    is none). ``data`` holds ids and codes only — never names, texts or addresses. A system
    actor (a command, a task) is named in ``data["system"]``, with no member."""
    if not transaction.get_connection().in_atomic_block:
        raise AuditOutsideTransaction(
            f"audit record of {event!s} outside transaction.atomic(): record it in the "
            "transaction of the change it describes"
        )
    data = dict(data or {})
    if getattr(actor, "is_system", False):
        data["system"] = actor.name
    _check_data(data)
    object_type, object_id = _object_ref(obj)
    # The head's row lock orders concurrent writers; it is held until the caller commits.
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    row = AuditEvent(
        seq=head.seq + 1,
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        event=event,
        object_type=object_type,
        object_id=object_id,
        data=data,
        prev_mac=head.mac,
    )
    row.mac = compute_mac(head.mac, row.canonical_fields())
    row.save(force_insert=True)
    head.seq, head.mac = row.seq, row.mac
    head.save(update_fields=["seq", "mac"])
    return row
