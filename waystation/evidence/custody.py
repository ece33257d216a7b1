"""The chain of custody: one hash chain per item, plus an instance MAC on every link.

``entry_hash = SHA-256(previous_hash ‖ "\\n" ‖ canonical JSON of the entry)``: anyone holding an
export can recompute it (the package carries the entries). ``mac = HMAC(custody key,
entry_hash)``: only this instance can make it, so a chain rewritten from scratch by someone with
write access to the database but not the keys is still caught by ``verify_chain``.
"""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from waystation.accounts.policy import SystemActor
from waystation.core.keyring import Purpose
from waystation.core.keys import digests_equal, mac

from .models import CustodyEntry, Item

GENESIS = "0" * 64


def canonical(entry: CustodyEntry) -> bytes:
    """The fields a link vouches for, in a fixed form (also what an export carries)."""
    return json.dumps(
        {
            "item": str(entry.item_id),
            "seq": entry.seq,
            "action": entry.action,
            "actor": entry.actor_id,
            "at": entry.at.isoformat(timespec="microseconds"),
            "details": entry.details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def link_hash(previous_hash: str, entry: CustodyEntry) -> str:
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(entry)).hexdigest()


def _mac(entry_hash: str) -> str:
    return mac(Purpose.CUSTODY_MAC, entry_hash.encode()).hex()


def member(actor):
    """The member behind ``actor``, for a "by whom" column; None for a command's system
    actor (which the custody entry names in its details instead)."""
    return None if isinstance(actor, SystemActor) else actor


def append(*, item: Item, action: str, actor=None, details: dict | None = None) -> CustodyEntry:
    """Add the next link to ``item``'s chain. The item row is locked, so two writers never
    take the same place in the chain. Call inside the transaction of the action it records.
    A command's system actor is named in the details ("by": "system:evidence-ingest")."""
    details = dict(details or {})
    if isinstance(actor, SystemActor):
        details["by"] = str(actor)
    with transaction.atomic():
        Item.objects.select_for_update().filter(pk=item.pk).values_list("pk").get()
        last = item.custody.order_by("-seq").only("seq", "entry_hash").first()
        entry = CustodyEntry(
            item=item,
            seq=(last.seq + 1) if last else 1,
            action=action,
            actor=member(actor),
            at=timezone.now(),
            details=details,
            previous_hash=last.entry_hash if last else GENESIS,
        )
        entry.entry_hash = link_hash(entry.previous_hash, entry)
        entry.mac = _mac(entry.entry_hash)
        entry.save()
    return entry


@dataclass(frozen=True)
class Problem:
    item_id: str
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"item {self.item_id}" + (f", custody entry {self.seq}" if self.seq else "")
        return f"{where}: {self.reason}"


def verify_chain(item_id, entries) -> list[Problem]:
    """Every problem in one item's chain, given its entries in order of ``seq``."""
    problems = []
    previous, expected_seq = GENESIS, 1
    for entry in entries:
        if entry.seq != expected_seq:
            problems.append(Problem(str(item_id), entry.seq, f"expected entry {expected_seq}"))
        if entry.previous_hash != previous:
            problems.append(Problem(str(item_id), entry.seq, "does not follow the entry before"))
        if entry.entry_hash != link_hash(entry.previous_hash, entry):
            problems.append(
                Problem(str(item_id), entry.seq, "content changed after it was written")
            )
        elif not digests_equal(entry.mac, _mac(entry.entry_hash)):
            problems.append(Problem(str(item_id), entry.seq, "not written by this instance"))
        previous, expected_seq = entry.entry_hash, entry.seq + 1
    if expected_seq == 1:
        problems.append(Problem(str(item_id), None, "has no custody entries"))
    return problems
