"""Backups: one encrypted file with the database, the stored files and the key slots.

Layout: a magic line, a plaintext JSON header (format, instance id, database kind, creation
time, and how the stream key is protected), then a tar archive encrypted as an authenticated
chunk stream (``aead_stream``), with the header's SHA-256 in every chunk's associated data.

Two protections:

* **passphrase** (default): the stream is encrypted under the backup sub-key, and the header
  carries the key-slot file itself (already passphrase-protected). Restoring needs a
  passphrase of the instance as it was when the backup was made.
* **age** (``--age-recipient``): the stream is encrypted under a random key made for this
  backup; that key and the master key travel in the header encrypted to an age public key
  whose identity is kept offline. No key slot is in the file: no passphrase, seized or not,
  opens it, and a panic does not make it unreadable to the holder of the identity.

Nothing of the database is ever written in the clear: the embedded database is copied as
SQLCipher pages, and on PostgreSQL ``pg_dump`` writes into a pipe that is read straight into
the encryption (``pg_restore`` likewise reads from a pipe). Restore decrypts and checks
everything before it replaces anything.

The modules: ``archive`` (the file: header, protection, writing, reading), ``database`` (the
SQLCipher snapshot, pg_dump and pg_restore through pipes), ``staging`` (the hidden folders a
killed run leaves). Import from here.
"""

from .archive import FORMAT, MAGIC, BackupInfo, backup_create, backup_protection, backup_restore
from .errors import BackupError
from .staging import remove_leftovers

__all__ = [
    "FORMAT",
    "MAGIC",
    "BackupError",
    "BackupInfo",
    "backup_create",
    "backup_protection",
    "backup_restore",
    "remove_leftovers",
]
