"""Receipts kept encrypted beside their transaction, read back with an audit row each time,
and the journal exported as a spreadsheet."""

from django.db import transaction as db

from waystation.accounts import policy
from waystation.accounts.policy import Perm
from waystation.audit.events import Event
from waystation.audit.services import record
from waystation.core.blobstore import blob_store
from waystation.core.spreadsheets.writing import write_table

from ..exporting import HEADERS, export_rows
from ..models import Receipt, Transaction


def receipt_add(*, actor, entry: Transaction, received) -> Receipt:
    """``received`` is an upload already in the encrypted blob store (core.uploads); it is kept
    (``received.keep()``) once the receipt refers to it."""
    policy.check(actor, Perm.LEDGER_RECORD)
    with db.atomic():
        receipt = Receipt.objects.create(
            transaction=entry,
            blob=received.blob.name,
            sha256=received.blob.sha256,
            size=received.blob.size,
            media_type=received.media_type,
            added_by=actor,
        )
        record(Event.LEDGER_RECEIPT_ADDED, actor=actor, obj=receipt, data={"tx": entry.pk})
    received.keep()
    return receipt


def receipts_add(*, actor, entry: Transaction, files) -> list[Receipt]:
    """Every file of one upload, each its own receipt, all or none."""
    policy.check(actor, Perm.LEDGER_RECORD)
    with db.atomic():
        return [receipt_add(actor=actor, entry=entry, received=received) for received in files]


def receipt_open(*, actor, receipt: Receipt):
    """The receipt's content, chunk by chunk; the reading is audited before any byte."""
    policy.check(actor, Perm.LEDGER_VIEW)
    with db.atomic():
        record(
            Event.LEDGER_RECEIPT_READ,
            actor=actor,
            obj=receipt,
            data={"tx": receipt.transaction_id},
        )
    return blob_store().open(receipt.blob)


def ledger_export(*, actor, fmt: str, since=None, until=None) -> bytes:
    policy.check(actor, Perm.LEDGER_VIEW)
    rows = export_rows(actor, since=since, until=until)
    data = write_table([str(h) for h in HEADERS], rows, fmt, sheet="Ledger")
    with db.atomic():
        record(Event.LEDGER_EXPORTED, actor=actor, data={"format": fmt, "rows": len(rows)})
    return data
