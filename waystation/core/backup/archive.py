"""The backup file: its header and protection (passphrase or age), writing it, and reading it
back: verified whole before anything is installed."""

import base64
import contextlib
import hashlib
import io
import json
import os
import shutil
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyrage
from django.conf import settings
from django.db import connection

from .. import aead_stream, crypto, keyslots, shared_slots
from ..blobstore import BLOB_NAME, BlobMissing, BlobStore, LocalBlobStore, blob_store
from ..keyring import KEYRING, KeyRing, Purpose
from .database import (
    PIPE_READ,
    SQLITE_NAME,
    add_postgresql_dump,
    add_sqlite_snapshot,
    is_dump_part,
    restore_postgresql,
)
from .errors import BackupError
from .sessions import end_sessions_postgresql, end_sessions_sqlite
from .staging import staging as _staging

MAGIC = b"WAYSTATION-BACKUP\n"
FORMAT = "waystation-backup/1"
_MAX_HEADER = 1 << 20
_BLOBS = "blobs/"  # the stored files' members: blobs/<name>, encrypted as the store holds them
_COPY = 1 << 20  # bytes per read when files are copied into or out of the backup


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    database: str
    protection: str = "passphrase"
    leftovers_removed: int = 0
    files: int | None = None  # stored files copied in; None: made without --with-files
    files_gone: int = 0  # listed, then deleted before they were read (rows deleted meanwhile)


def _add_files(archive: tarfile.TarFile, store: BlobStore) -> tuple[int, int]:
    """Every blob of the store, as stored (already encrypted), one tar member each, streamed
    from the store into the backup: never a whole file in memory. The store is listed after
    the database was copied, so every blob a copied row names was there (a blob is installed
    before its row is committed); one deleted since the listing is counted, not an error."""
    copied = gone = 0
    for stored in store.objects():
        try:
            source = store.open_stored(stored.name)
        except BlobMissing:
            gone += 1
            continue
        with contextlib.closing(source):
            member = tarfile.TarInfo(_BLOBS + stored.name)
            member.size, member.mode = stored.size, 0o600
            member.mtime = int(stored.modified)
            archive.addfile(member, source)
        copied += 1
    return copied, gone


# -- writing --------------------------------------------------------------------------------


def _age_recipients(recipients: list[str]):
    keys = []
    for recipient in recipients:
        try:
            keys.append(pyrage.x25519.Recipient.from_str(recipient.strip()))
        except Exception:  # pyrage raises its own error types for a bad key
            raise BackupError(
                f"not an age public key: {recipient.strip()[:12]}… (it starts with age1)"
            ) from None
    return keys


def backup_create(
    out: Path,
    *,
    age_recipients: list[str] | None = None,
    with_files: bool = False,
    store: BlobStore | None = None,
) -> BackupInfo:
    """Write one backup file. With ``age_recipients`` the file opens only with one of their
    identities (kept offline), never with a passphrase. With ``with_files`` the blob store's
    objects (local directory or S3 bucket, ``store`` or the configured one) travel in it."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    slots = keyslots.KeySlotFile.load(settings.DATA_DIR)
    header = {
        "format": FORMAT,
        "instance": slots.instance.hex(),
        "database": connection.vendor,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": bool(with_files),
    }
    copied = gone = None
    if age_recipients:
        stream_key = crypto.random_bytes(crypto.KEY_BYTES)
        secret = json.dumps(
            {"master": KEYRING.master_for_key_management().hex(), "stream": stream_key.hex()}
        ).encode()
        sealed = pyrage.encrypt(secret, _age_recipients(age_recipients))
        header["protection"] = "age"
        header["age"] = base64.b64encode(sealed).decode("ascii")
    else:
        stream_key = KEYRING.subkey(Purpose.BACKUPS)
        header["keyslots"] = keyslots.read_text(settings.DATA_DIR)  # the file or the row
    raw_header = json.dumps(header).encode()
    context = hashlib.sha256(raw_header).digest()
    with _staging(out.parent, ".backup-") as (staging, removed):
        partial = staging / "backup.partial"
        with open(partial, "wb") as sink:
            sink.write(MAGIC + len(raw_header).to_bytes(4, "big") + raw_header)
            encryptor = aead_stream.StreamEncryptor(stream_key, sink, context)
            with tarfile.open(fileobj=encryptor, mode="w|", copybufsize=_COPY) as archive:
                if connection.vendor == "postgresql":
                    add_postgresql_dump(archive)
                else:
                    add_sqlite_snapshot(archive, staging)
                if not age_recipients:
                    text = header["keyslots"].encode("ascii")
                    member = tarfile.TarInfo(keyslots.FILENAME)
                    member.size, member.mode = len(text), 0o600
                    archive.addfile(member, io.BytesIO(text))
                if with_files:
                    copied, gone = _add_files(archive, store or blob_store())
            encryptor.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, out)
    os.chmod(out, 0o600)
    return BackupInfo(
        out,
        out.stat().st_size,
        connection.vendor,
        "age" if age_recipients else "passphrase",
        removed,
        copied,
        gone or 0,
    )


# -- reading --------------------------------------------------------------------------------


def _read_header(handle) -> dict:
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupError("this file is not a Waystation backup")
    length = int.from_bytes(handle.read(4), "big")
    raw = handle.read(length) if 0 < length <= _MAX_HEADER else b""
    try:
        header = json.loads(raw)
        assert header["format"] == FORMAT
        assert header.get("protection", "passphrase") in {"passphrase", "age"}
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupError("the backup's header is damaged; nothing was changed") from None
    header["_context"] = hashlib.sha256(raw).digest()
    header["_start"] = handle.tell()
    return header


def backup_protection(file: Path) -> str:
    """"passphrase" or "age": what opens this backup."""
    with open(file, "rb") as handle:
        return _read_header(handle).get("protection", "passphrase")


@dataclass(frozen=True)
class _Keys:
    master: bytes
    stream: bytes
    database: bytes = b""


def _open_with_age(header: dict, identity_file: Path) -> _Keys:
    try:
        lines = Path(identity_file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise BackupError(f"cannot read the age identity file {identity_file}") from None
    identities = []
    for line in lines:
        if line.strip().startswith("AGE-SECRET-KEY-"):
            with contextlib.suppress(Exception):
                identities.append(pyrage.x25519.Identity.from_str(line.strip()))
    if not identities:
        raise BackupError(f"{identity_file} holds no age identity (AGE-SECRET-KEY-1…)")
    try:
        secret = json.loads(pyrage.decrypt(base64.b64decode(header["age"]), identities))
        master = bytes.fromhex(secret["master"])
        database = crypto.hkdf(master, Purpose.DATABASE.encode())
        return _Keys(master, bytes.fromhex(secret["stream"]), database)
    except pyrage.DecryptError:
        raise BackupError(
            "this age identity does not open this backup; nothing was changed"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupError("the backup's header is damaged; nothing was changed") from None


def _tar_stream(handle, key: bytes, header: dict):
    handle.seek(header["_start"])
    chunks = aead_stream.decrypt_from(key, handle, header["_context"])
    return chunks, tarfile.open(fileobj=aead_stream.ChunkReader(chunks), mode="r|")


def _blob_member(member: tarfile.TarInfo) -> str | None:
    """The blob name a member carries, or None. Backups made before --with-files hold a local
    store's folder as it was (blobs/ab/cd/<name>, spool files, resumable uploads): its blobs
    are taken by name, the rest is left out."""
    if not member.name.startswith(_BLOBS):
        return None
    name = member.name.rsplit("/", 1)[-1]
    return name if member.isfile() and BLOB_NAME.match(name) else ""


def _digest_of(source, sink=None) -> str:
    digest = hashlib.sha256()
    for data in aead_stream.read_chunks(source, PIPE_READ):
        digest.update(data)
        if sink is not None:
            sink.write(data)
    return digest.hexdigest()


class _Hashing:
    """A member's stream as it is read by the store's upload, hashed on the way."""

    def __init__(self, source):
        self._source, self.digest = source, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self.digest.update(data)
        return data


def _unpack_and_verify(handle, key: bytes, header: dict, staging: Path) -> tuple[str, dict]:
    """First pass: decrypt and authenticate the whole stream, unpacking everything but the
    PostgreSQL dump and the stored files into ``staging`` (encrypted files only); the dump's
    and the files' bytes are only hashed here. Returns the dump's hash and each file's."""
    dump_hash = hashlib.sha256()
    files: dict[str, str] = {}
    try:
        chunks, archive = _tar_stream(handle, key, header)
        with archive:
            for member in archive:
                if is_dump_part(member.name):
                    source = archive.extractfile(member)
                    for data in aead_stream.read_chunks(source, PIPE_READ):
                        dump_hash.update(data)
                elif (name := _blob_member(member)) is not None:
                    if name:
                        files[name] = _digest_of(archive.extractfile(member))
                else:
                    archive.extract(member, staging, filter="data")
        for _ in chunks:  # tar stops at its end marker; the stream must end properly too
            pass
    except aead_stream.StreamTruncated as problem:
        raise BackupError(f"the backup is incomplete ({problem}); nothing was changed") from None
    except (aead_stream.StreamDamaged, tarfile.TarError) as problem:
        raise BackupError(f"the backup is damaged ({problem}); nothing was changed") from None
    return dump_hash.hexdigest(), files


def _restore_files(handle, key: bytes, header: dict, store: BlobStore, files: dict) -> int:
    """Second pass, after the first verified everything: each stored file streamed from the
    decrypted backup into the store (one the store holds already is left as it is: blobs are
    named by their content). A file that reads differently from the first pass (the backup
    changed meanwhile) is removed again and stops the restore. Returns how many were put."""
    present = {o.name for o in store.objects()}
    put = 0
    _chunks, archive = _tar_stream(handle, key, header)
    with archive:
        for member in archive:
            name = _blob_member(member)
            if not name or name in present or name not in files:
                continue
            source = _Hashing(archive.extractfile(member))
            store.install_stored(name, source)
            if source.digest.hexdigest() != files[name]:
                store.delete(name)
                raise BackupError("the backup changed while it was being restored")
            present.add(name)
            put += 1
    return put


def _target_store(data_dir: Path, staging: Path) -> BlobStore:
    """Where the restored files go: the configured store; a local store in its default place
    (the data directory's blobs/) goes with the restored data directory, through the staging
    folder when the data directory is new."""
    config = settings.BLOB_STORE
    if config["backend"] == "local" and Path(config["root"]) == settings.DATA_DIR / "blobs":
        # Straight into a store that is there already (this instance's, restored in place).
        here = (data_dir / keyslots.FILENAME).exists() or (data_dir / "blobs").is_dir()
        return LocalBlobStore((data_dir if here else staging) / "blobs")
    return blob_store()


def store_in_use(
    data_dir: Path, store: BlobStore | None = None, *, in_place: bool = False
) -> str | None:
    """Where the store a restore into ``data_dir`` would use is, if it holds blobs already
    and ``data_dir`` holds no instance (a new copy, not the same instance restored in
    place); None when the store is empty or is this instance's own (``in_place``: a restore
    with --replace, over this same instance, as checked before)."""
    if in_place or (data_dir / keyslots.FILENAME).exists():
        return None
    config = settings.BLOB_STORE
    if store is None:
        if config["backend"] == "local" and Path(config["root"]) == settings.DATA_DIR / "blobs":
            return None  # it goes inside the new data directory, which is empty
        store = blob_store()
    return store.where() if next(iter(store.objects()), None) is not None else None


def backup_restore(
    file: Path,
    data_dir: Path,
    passphrase: str,
    *,
    replace: bool = False,
    age_identity: Path | None = None,
    into_used_store: bool = False,
    store: BlobStore | None = None,
) -> dict:
    """Verify the whole backup, then install it into ``data_dir`` (and, on PostgreSQL, into
    the configured database). Raises BackupError, changing nothing, for a foreign, damaged or
    truncated file, a wrong passphrase or identity, or an occupied data directory without
    ``replace``. For an age backup, ``passphrase`` becomes the restored instance's passphrase
    (unless ``data_dir`` holds this instance already: its key slots stay).

    The stored files the backup carries go into the configured store. A new copy of the
    instance (``data_dir`` holds none) is refused a store that holds files already — it may be
    the original's, still in use — unless ``into_used_store``. (``store``: another store than
    the configured one, for tests.) Every sign-in session of the
    restored database ends. Returned: the header, with ``files_put``."""
    file, data_dir = Path(file), Path(data_dir)
    with open(file, "rb") as handle:
        header = _read_header(handle)
        protection = header.get("protection", "passphrase")
        if protection == "age" and age_identity is None:
            raise BackupError(
                "this backup is encrypted to an age key: give its identity with --age-identity"
            )
        place = _shared_place()
        _check_target(data_dir, header, replace, place)
        if not into_used_store and (where := store_in_use(data_dir, store, in_place=replace)):
            raise BackupError(
                f"the file store ({where}) holds files already: it may be the original "
                "instance's, still in use. Give the restored instance a new, empty store, or "
                "add --into-used-store if it is this instance's own and the original is gone; "
                "nothing was changed"
            )
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with _staging(data_dir.parent, ".restore-") as (folder, _removed):
            staging = folder / "instance"
            staging.mkdir(mode=0o700)
            if protection == "age":
                keys = _open_with_age(header, age_identity)
                _age_key_slots(staging, data_dir, header, keys.master, passphrase, place)
            else:
                (staging / keyslots.FILENAME).write_text(header["keyslots"], encoding="ascii")
                ring = KeyRing()
                if not ring.unseal(staging, passphrase):
                    raise BackupError("wrong passphrase for this backup; nothing was changed")
                keys = _Keys(b"", ring.subkey(Purpose.BACKUPS), ring.subkey(Purpose.DATABASE))
            dump_hash, files = _unpack_and_verify(handle, keys.stream, header, staging)
            header["files_put"] = 0
            if files:
                target = store or _target_store(data_dir, folder)
                header["files_put"] = _restore_files(handle, keys.stream, header, target, files)
            if header["database"] == "postgresql":
                _chunks, dump = _tar_stream(handle, keys.stream, header)
                restore_postgresql(dump, dump_hash)
                end_sessions_postgresql()
                if place is not None:
                    _install_shared_slots(staging, data_dir, header, place)
            else:
                end_sessions_sqlite(staging / SQLITE_NAME, keys.database)
            _install(staging, data_dir, header)
            if (folder / "blobs").is_dir():
                os.replace(folder / "blobs", data_dir / "blobs")
    return header


def _shared_place() -> "shared_slots.Place | None":
    """PostgreSQL mode with the key slots in the database (no slot file in this server's data
    directory): the database is the instance a restore replaces, and gets the slots."""
    where = keyslots.locate(settings.DATA_DIR)
    return where if isinstance(where, shared_slots.Place) else None


def _database_slots(place) -> "tuple[bool, keyslots.KeySlotFile | None]":
    """Whether the database holds an instance, and its slots when they can be read (not when
    a panic shredded them)."""
    text = shared_slots.read(place).text
    if text is None:
        return False, None
    try:
        return True, keyslots.KeySlotFile._parse(text, "the database's key slots", None)
    except keyslots.KeySlotError:
        return True, None


def _install_shared_slots(staging: Path, data_dir: Path, header: dict, place) -> None:
    """After pg_restore (which leaves the slots' table alone): the slots the restore brought
    go into the database, unless it holds this instance's live slots already — today's,
    which open the same master key; the backup's would bring back removed passphrases."""
    staged = staging / keyslots.FILENAME
    if not staged.exists():
        return  # an age backup restored over the instance's own live slots
    _held, current = _database_slots(place)
    if current is None or current.instance.hex() != header["instance"]:
        keyslots.write_text(data_dir, staged.read_text(encoding="ascii"))
    staged.unlink()


def _age_key_slots(
    staging: Path, data_dir: Path, header: dict, master: bytes, passphrase: str, place=None
) -> None:
    """An age backup carries no key slots: keep the instance's own, or make new ones that wrap
    the backup's master key with the passphrase given now."""
    if place is not None:
        _held, current = _database_slots(place)
        if current is not None and current.holds_master(master):
            return
    elif (data_dir / keyslots.FILENAME).exists():
        if not keyslots.KeySlotFile.load(data_dir).holds_master(master):
            raise BackupError(
                "the key slots in the data directory do not open this backup's keys; "
                "restore into an empty --data-dir instead"
            )
        return
    try:
        instance = bytes.fromhex(header["instance"])
        keyslots.create(staging, passphrase, "restored", master=master, instance=instance)
    except keyslots.KeySlotError as problem:
        raise BackupError(f"the new passphrase: {problem}") from None


def _check_target(data_dir: Path, header: dict, replace: bool, place=None) -> None:
    slots_file = data_dir / keyslots.FILENAME
    if place is not None:
        held, current = _database_slots(place)
        if current is not None and current.instance.hex() != header["instance"]:
            raise BackupError(
                f"this backup belongs to another instance ({header['instance'][:8]}…) than the "
                f"one in the database {place.dbname}; restore into an empty database instead"
            )
        if held and not replace:
            raise BackupError(
                f"the database {place.dbname} holds this instance already (or its remains after "
                "a panic); add --replace to overwrite it"
            )
    elif slots_file.exists():
        current = keyslots.KeySlotFile.load(data_dir).instance.hex()
        if current != header["instance"]:
            raise BackupError(
                f"this backup belongs to another instance ({header['instance'][:8]}…, this one "
                f"is {current[:8]}…); restore into an empty --data-dir instead"
            )
        if not replace:
            raise BackupError(
                f"{data_dir} holds this instance already; add --replace to overwrite it"
            )
    elif data_dir.exists() and any(data_dir.iterdir()):
        raise BackupError(f"{data_dir} is not empty and holds no instance; use an empty directory")
    if header["database"] != ("postgresql" if connection.vendor == "postgresql" else "sqlite"):
        raise BackupError(
            f"this backup holds a {header['database']} database, but this installation uses "
            f"{connection.vendor}; set WAYSTATION_DATABASE accordingly"
        )


def _install(staging: Path, data_dir: Path, header: dict) -> None:
    """Everything is verified (and PostgreSQL restored): move the files in by rename."""
    if header["database"] != "postgresql":
        (staging / SQLITE_NAME).rename(staging / "waystation.sqlite3")
    shutil.rmtree(staging / "database", ignore_errors=True)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("waystation.sqlite3-wal", "waystation.sqlite3-shm"):
        (data_dir / name).unlink(missing_ok=True)
    if (data_dir / keyslots.FILENAME).exists():
        # The same instance (checked before): today's key slots open the same master key, and
        # the backup's would bring back removed passphrases and drop newer duress slots.
        (staging / keyslots.FILENAME).unlink(missing_ok=True)
    for item in staging.iterdir():
        target = data_dir / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
