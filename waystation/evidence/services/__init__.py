"""Writes for testimonies, events, evidence items, their source and release terms, the
consent of the person of a case and the custody of physical media. Each service first checks
that its ``actor`` may do it (``policy.check``: a member's roles, or the grants of a command's
system actor), then records its own audit row, and for an item its custody entry, in the same
transaction. What may leave is decided in ``gate``.

One module per kind of record (``items``, ``handovers``, ``testimonies``, ``events``); every
service is importable from here, as are ``EvidenceError`` and what the checks refuse with."""

from ..rules import EvidenceError
from .events import event_correct, event_record, event_withdraw
from .handovers import item_receive_back, item_transfer
from .items import (
    item_ingest_stored,
    item_ingest_stream,
    item_link_events,
    item_read,
    item_set_origin,
    item_set_verification,
    items_ingest_received,
    person_consent_record,
)
from .known_keys import known_key_record
from .received import item_note_from_partner
from .testimonies import (
    testimony_add_correction,
    testimony_consent_update,
    testimony_link_event,
    testimony_read,
    testimony_record,
)

__all__ = [
    "EvidenceError",
    "event_correct",
    "event_record",
    "event_withdraw",
    "item_ingest_stored",
    "item_ingest_stream",
    "item_link_events",
    "item_note_from_partner",
    "item_read",
    "item_receive_back",
    "item_set_origin",
    "item_set_verification",
    "item_transfer",
    "items_ingest_received",
    "known_key_record",
    "person_consent_record",
    "testimony_add_correction",
    "testimony_consent_update",
    "testimony_link_event",
    "testimony_read",
    "testimony_record",
]
