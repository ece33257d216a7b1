"""Crypto-shredding: destroy the key slots and forget the keys. Afterwards this instance's
encrypted database, fields and files cannot be decrypted by anyone, and every passphrase is
"wrong". Backups stay locked by the passphrases valid when they were made (docs/security.md).

In PostgreSQL mode the slots are the database's, shared by every process of the instance: the
panic overwrites them there and every process hears of it (core/shared_slots.py)."""

import time
from pathlib import Path

from django.conf import settings
from django.db import connections

from . import keyslots, shared_slots
from .keyring import KEYRING

_STATE_CACHE_SECONDS = 1.0
_state = {"panicked_here": False, "panicked_shared": False, "read_at": None}


def instance_state() -> str:
    """"sealed", "unsealed" or "panicked", for this process (the /healthz answer). "panicked"
    only after an explicit panic (`waystation panic`, the emergency button), which PostgreSQL
    mode records in the shared row for every process; a duress passphrase leaves the instance
    merely "sealed", like a typo (docs/security.md). Reads the database at most once a second;
    never raises."""
    if not KEYRING.sealed:
        return "unsealed"
    if _state["panicked_here"]:
        return "panicked"
    return "panicked" if _panicked_in_database() else "sealed"


def _panicked_in_database() -> bool:
    if not shared_slots.enabled():
        return False
    now = time.monotonic()
    if _state["read_at"] is None or now - _state["read_at"] >= _STATE_CACHE_SECONDS:
        _state["read_at"] = now
        try:
            where = keyslots.locate(settings.DATA_DIR)
            shared = isinstance(where, shared_slots.Place)
            _state["panicked_shared"] = shared and shared_slots.read(where).panicked
        except Exception:  # unknown reads as "sealed", the neutral answer
            _state["panicked_shared"] = False
    return _state["panicked_shared"]


def destroy_keys(data_dir: Path) -> bool:
    """Shred the slots (no passphrase needed, no key derivation: well under a second), drop
    the keys from this process and close its database connections. Other server processes
    notice within a second (KeyRing.notice_shredding; in PostgreSQL mode at once, by NOTIFY)."""
    where = keyslots.locate(data_dir)
    places = [where]
    if shared_slots.enabled() and not isinstance(where, shared_slots.Place):
        # A key-slot file not yet moved into the database: the database's slots go too.
        places.append(shared_slots.current_place())
    # Keys forgotten first: this process's own panic listener, hearing the NOTIFY, then
    # leaves the shredding connection alone (it ends the process's connections only while
    # keys are held), so the scrubbing rounds after the NOTIFY are not cut off.
    _state["panicked_here"] = True
    KEYRING.drop()
    try:
        return any([keyslots.shred(place, panic=True) for place in places])
    finally:  # this process forgets its keys even when the shared slots cannot be reached
        KEYRING.destroy()
        connections.close_all()
        if isinstance(where, shared_slots.Place):
            shared_slots.end_connections_of_this_process(where)
