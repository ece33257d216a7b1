"""Crypto-shredding: destroy the key slots and forget the keys. Afterwards this instance's
encrypted database, fields and files cannot be decrypted by anyone, and every passphrase is
"wrong". Backups stay locked by the passphrases valid when they were made (docs/security.md)."""

from pathlib import Path

from django.db import connections

from . import keyslots
from .keyring import KEYRING

_panicked_here = {"value": False}


def instance_state() -> str:
    """"sealed", "unsealed" or "panicked", for this process (the /healthz answer). "panicked"
    only after an explicit panic; a duress passphrase leaves the instance merely "sealed",
    like a typo (docs/security.md)."""
    if not KEYRING.sealed:
        return "unsealed"
    return "panicked" if _panicked_here["value"] else "sealed"


def destroy_keys(data_dir: Path) -> bool:
    """Shred the slots (no passphrase needed, no key derivation: well under a second), drop
    the keys from this process and close its database connections. Other server processes
    notice within a second (KeyRing.notice_shredding)."""
    shredded = keyslots.shred(data_dir)
    _panicked_here["value"] = True
    KEYRING.destroy()
    connections.close_all()
    return shredded
