"""The keys of a running Waystation: held in this process's memory only, never on disk.

A process starts sealed. ``unseal()`` opens the key-slot file with a passphrase; a duress
passphrase shreds the slots instead and reports the same failure as a typo. ``drop()`` forgets
the keys (panic). Threads share one key ring, so one unseal serves every request thread of the
waitress server.

Where the slots live (core/keyslots.locate) is settled when the keys are installed: a data
directory's file, watched by a stat once a second, or in PostgreSQL mode the database's row,
watched by a thread of its own (LISTEN on the panic channel, and a poll once a second), so
that a panic anywhere reaches every process of the instance within a second.
"""

import logging
import os
import threading
import time
from enum import StrEnum
from pathlib import Path

from django.conf import settings

from . import crypto, keyslots, shared_slots

logger = logging.getLogger(__name__)


class Sealed(Exception):
    """The instance is sealed: no keys in memory."""


class Purpose(StrEnum):
    DATABASE = "waystation/database/v1"
    FIELDS = "waystation/fields/v1"
    BLOBS = "waystation/blobs/v1"
    BLOB_NAMES = "waystation/blob-names/v1"
    BACKUPS = "waystation/backups/v1"
    AUDIT_MAC = "waystation/audit-mac/v1"
    SIGNING = "waystation/signing/v1"
    DJANGO_SECRET = "waystation/django-secret/v1"  # noqa: S105 - a purpose label, not a secret
    LOGIN_THROTTLE = "waystation/login-throttle/v1"
    RECOVERY_CODES = "waystation/recovery-codes/v1"
    INVITE_TOKENS = "waystation/invite-tokens/v1"
    INTAKE_CODENAMES = "waystation/intake-codenames/v1"
    CUSTODY_MAC = "waystation/custody-mac/v1"
    SESSION_SECRETS = "waystation/session-secrets/v1"
    API_TOKENS = "waystation/api-tokens/v1"
    PARTNER_SIGNING = "waystation/partner-signing/v1"  # the partner card's Ed25519 key
    PARTNER_AGE = "waystation/partner-age/v1"  # the partner card's age (X25519) identity
    SERVER_FIELDS = "waystation/server-fields/v1"  # fields sealed on PostgreSQL only
    NOTE_SEARCH = "waystation/note-search/v1"  # the notes' blind index on PostgreSQL
    CITY_SEARCH = "waystation/city-search/v1"  # the cases' cities' blind index on PostgreSQL
    OUTREACH_CONTACTS = "waystation/outreach-contacts/v1"  # keyed digests of contacts' names


class KeyRing:
    _CHECK_EVERY = 1.0  # seconds between looks at the key-slot file while serving

    def __init__(self, *, sets_django_secret: bool = False):
        # Only the process's own key ring (KEYRING) feeds Django's SECRET_KEY.
        self._sets_django_secret = sets_django_secret
        self._lock = threading.Lock()
        self._master: bytearray | None = None
        self._subkeys: dict[Purpose, bytes] = {}
        self._data_dir: Path | None = None
        self._where = None  # the data directory or the database (keyslots.locate)
        self._slot_stamp = None
        self._listening = None  # the current panic listener's token
        self._checked_at = 0.0
        self._destroy_hooks = []

    @property
    def sealed(self) -> bool:
        return self._master is None

    def unseal(self, data_dir: Path, passphrase: str) -> bool:
        """True when the passphrase opened a normal slot. A duress passphrase shreds the key
        slots and returns False, exactly as a wrong passphrase does."""
        where = keyslots.locate(data_dir)
        slots = keyslots.KeySlotFile.load(where)
        opened = slots.open(passphrase)
        if opened.duress:
            keyslots.shred(where)
            self.destroy()
            return False
        if opened.master is None:
            return False
        self.install(opened.master, data_dir, where=where)
        return True

    def install(self, master: bytes, data_dir: Path, *, where=None) -> None:
        where = where if where is not None else keyslots.locate(data_dir)
        shared = isinstance(where, shared_slots.Place)
        generation = shared_slots.read(where).generation if shared else None
        with self._lock:
            self._master = bytearray(master)
            self._subkeys = {}
            self._data_dir = Path(data_dir)
            self._where = where
            self._slot_stamp = generation if shared else _stamp(self._data_dir)
        if shared and self is KEYRING:
            token = self._listening = object()
            shared_slots.Listener(
                where,
                generation,
                self._shared_changed,
                alive=lambda: self._listening is token and not self.sealed,
            ).start()
        # Django signs sessions and tokens with SECRET_KEY; it exists only while unsealed.
        if self._sets_django_secret:
            settings.SECRET_KEY = self.subkey(Purpose.DJANGO_SECRET).hex()

    def on_destroy(self, hook) -> None:
        """Run ``hook()`` when the keys are destroyed (panic, duress, shredding seen)."""
        self._destroy_hooks.append(hook)

    def destroy(self) -> None:
        """Forget the keys for good, and make whatever still holds key material let go."""
        self.drop()
        for hook in self._destroy_hooks:
            try:
                hook()
            except Exception:  # the keys are gone already; let every other hook run too
                logger.exception("a hook run when the keys were destroyed failed")

    def drop(self) -> None:
        with self._lock:
            if self._master is not None:
                for i in range(len(self._master)):  # best effort: Python may hold copies
                    self._master[i] = 0
            self._master, self._subkeys, self._slot_stamp = None, {}, None
            self._where = None
        if self._sets_django_secret:
            settings.SECRET_KEY = ""

    def master_for_key_management(self) -> bytes:
        """The master key itself, for wrapping it into a new key slot; nothing else uses it."""
        with self._lock:
            if self._master is None:
                raise Sealed("the instance is sealed")
            return bytes(self._master)

    def subkey(self, purpose: Purpose) -> bytes:
        with self._lock:
            if self._master is None:
                raise Sealed("the instance is sealed")
            key = self._subkeys.get(purpose)
            if key is None:
                key = self._subkeys[purpose] = crypto.hkdf(bytes(self._master), purpose.encode())
            return key

    @property
    def shared(self) -> bool:
        """Whether the keys came from the database's shared slots (PostgreSQL mode)."""
        return isinstance(self._where, shared_slots.Place)

    def _shared_changed(self, row, conn=None) -> bool:
        """The panic listener's news (a NOTIFY, or the generation moved; ``row`` None when a
        NOTIFY came and the row cannot be read). Destroys the keys unless the slots still
        hold them (a passphrase added or removed). False: stop listening."""
        where = self._where
        if self.sealed or not isinstance(where, shared_slots.Place):
            return False
        try:
            still_ours = row is not None and keyslots.KeySlotFile._parse(
                row.text, "the shared slots", None
            ).holds_master(bytes(self._master or b""))
        except keyslots.KeySlotError:
            still_ours = False
        if still_ours:
            return True
        # Every other connection of this process first, through the listener's own (once the
        # keys are gone the process may exit at once, leaving connections behind), then the
        # keys, then the hooks (which may wait for a task to give up), then whatever they
        # opened.
        shared_slots.end_connections_of_this_process(where, conn)
        if conn is not None:
            conn.close()
        self.drop()
        try:
            self.destroy()
        finally:
            shared_slots.end_connections_of_this_process(where)
        return False

    def notice_shredding(self) -> None:
        """Drop the keys if someone shredded the key slots meanwhile (`waystation panic` from
        another process). A stat once a second; the file is read only when it changed. In
        PostgreSQL mode the panic listener's thread does this (``_shared_changed``)."""
        now = time.monotonic()
        if self.sealed or self.shared or now - self._checked_at < self._CHECK_EVERY:
            return
        self._checked_at = now
        stamp = _stamp(self._data_dir)
        if stamp == self._slot_stamp:
            return
        try:
            still_ours = keyslots.KeySlotFile.load(self._data_dir).holds_master(
                bytes(self._master or b"")
            )
        except keyslots.KeySlotError:
            still_ours = False
        if still_ours:
            self._slot_stamp = stamp
        else:
            self.destroy()


def _stamp(data_dir: Path):
    try:
        info = os.stat(Path(data_dir) / keyslots.FILENAME)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


KEYRING = KeyRing(sets_django_secret=True)
