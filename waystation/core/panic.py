"""Crypto-shredding: destroy the key slots and forget the keys. Afterwards the database, the
blobs and the backups cannot be decrypted by anyone, and every passphrase is "wrong"."""

from pathlib import Path

from django.db import connections

from . import keyslots
from .keyring import KEYRING


def destroy_keys(data_dir: Path) -> bool:
    """Shred the slots (no passphrase needed, no key derivation: well under a second), drop
    the keys from this process and close its database connections. Other server processes
    notice within a second (KeyRing.notice_shredding)."""
    shredded = keyslots.shred(data_dir)
    KEYRING.drop()
    connections.close_all()
    return shredded
