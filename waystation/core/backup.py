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
"""

import base64
import contextlib
import fcntl
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyrage
import sqlcipher3.dbapi2 as sqlcipher
from django.conf import settings
from django.db import connection

from . import aead_stream, crypto, keyslots
from .keyring import KEYRING, KeyRing, Purpose

MAGIC = b"WAYSTATION-BACKUP\n"
FORMAT = "waystation-backup/1"
_MAX_HEADER = 1 << 20
_SQLITE_NAME = "database/waystation.sqlite3"
# The PostgreSQL dump travels as numbered tar members of at most _PG_PART bytes: tar needs
# each member's size before its data, and a pipe's length is known only at its end. Backups
# made before streaming hold one member named exactly _PG_NAME.
_PG_NAME = "database/postgresql.dump"
_PG_PART = 16 << 20
_PIPE_READ = 1 << 20
_STAGING_PREFIXES = (".backup-", ".restore-")
_LOCK = ".in-use"


class BackupError(Exception):
    """One line for the operator; nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    database: str
    protection: str = "passphrase"
    leftovers_removed: int = 0


def _pg_env() -> dict:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


class _PgPipe:
    """pg_dump or pg_restore with one end of a pipe in our hands; the other end of the data is
    never a file. Its error output is drained by a thread so a chatty tool cannot block."""

    def __init__(self, *command: str, reading: bool):
        self.name = command[0]
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own arguments, none from a request
                command,
                env=_pg_env(),
                stdin=subprocess.DEVNULL if reading else subprocess.PIPE,
                stdout=subprocess.PIPE if reading else subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except FileNotFoundError:
            raise BackupError(f"{self.name} is not installed (Debian: postgresql-client)") from None
        self._errors = bytearray()
        self._drain = threading.Thread(target=self._read_errors, daemon=True)
        self._drain.start()

    def _read_errors(self) -> None:
        for line in self.process.stderr:
            if len(self._errors) < 65536:
                self._errors += line

    def finish(self) -> None:
        """Wait for the tool; raise BackupError if it failed."""
        returncode = self.process.wait()
        self._drain.join()
        if returncode != 0:
            detail = self._errors.decode(errors="replace").strip().splitlines()[-1:]
            raise BackupError(f"{self.name} failed: {' '.join(detail) or returncode}")

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait()
        self._drain.join()


def _database_name() -> str:
    return connection.settings_dict["NAME"]


def _add_postgresql_dump(archive: tarfile.TarFile) -> None:
    """pg_dump's output, read from its pipe into tar members of bounded size."""
    dump = _PgPipe(
        "pg_dump", "--format=custom", "--no-owner", _database_name(), reading=True
    )
    try:
        part = 0
        while True:
            buffer = bytearray()
            while len(buffer) < _PG_PART:
                data = dump.process.stdout.read(min(_PIPE_READ, _PG_PART - len(buffer)))
                if not data:
                    break
                buffer += data
            if not buffer and part:
                break
            member = tarfile.TarInfo(f"{_PG_NAME}.{part:06d}")
            member.size, member.mode = len(buffer), 0o600
            archive.addfile(member, io.BytesIO(buffer))
            part += 1
            if len(buffer) < _PG_PART:
                break
        dump.process.stdout.close()
        dump.finish()
    except BaseException:
        dump.abandon()
        raise


def _add_sqlite_snapshot(archive: tarfile.TarFile, staging: Path) -> None:
    """A consistent copy of the embedded database, taken online with SQLite's backup API into
    a SQLCipher file under the same key: what touches the disk is encrypted pages."""
    connection.ensure_connection()
    target = staging / "waystation.sqlite3"
    copy = sqlcipher.connect(str(target))
    copy.execute(f"PRAGMA key = \"x'{KEYRING.subkey(Purpose.DATABASE).hex()}'\"")
    connection.connection.backup(copy)  # page by page
    copy.close()
    archive.add(target, arcname=_SQLITE_NAME)
    target.unlink()


def _blob_root() -> Path | None:
    store = settings.BLOB_STORE
    if store["backend"] != "local":
        return None  # an S3 store is backed up with the provider's tools; it is encrypted
    root = Path(store["root"])
    return root if root.is_dir() else None


def _blob_filter(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Half-written files of an interrupted ingest are not part of the store."""
    return None if Path(member.name).name.startswith(".incoming-") else member


# -- staging folders ------------------------------------------------------------------------


@contextlib.contextmanager
def _staging(parent: Path, prefix: str):
    """A private folder beside the target (for an atomic rename), locked while in use, so that
    a later run can tell the leftover of a killed run from a run going on now."""
    removed = remove_leftovers(parent)
    with tempfile.TemporaryDirectory(dir=parent, prefix=prefix) as name:
        folder = Path(name)
        with open(folder / _LOCK, "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield folder, removed


def remove_leftovers(parent: Path) -> int:
    """Remove the staging folders that killed backups or restores left in ``parent`` (those no
    running process holds); returns how many there were. They hold only encrypted data, but
    they take room, and a hidden folder of a backup's size is conspicuous."""
    removed = 0
    try:
        candidates = [p for p in Path(parent).iterdir() if p.name.startswith(_STAGING_PREFIXES)]
    except OSError:
        return 0
    for folder in candidates:
        if not folder.is_dir() or folder.is_symlink():
            continue
        if not (folder / _LOCK).exists() and time.time() - folder.stat().st_mtime < 60:
            continue  # just made by a run that is about to lock it
        try:
            with open(folder / _LOCK, "ab") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
        except BlockingIOError:
            continue  # a backup or restore is running there now
        except FileNotFoundError:
            shutil.rmtree(folder, ignore_errors=True)  # killed before its lock was made
        removed += 1
    return removed


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


def backup_create(out: Path, *, age_recipients: list[str] | None = None) -> BackupInfo:
    """Write one backup file. With ``age_recipients`` the file opens only with one of their
    identities (kept offline), never with a passphrase."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    slots = keyslots.KeySlotFile.load(settings.DATA_DIR)
    header = {
        "format": FORMAT,
        "instance": slots.instance.hex(),
        "database": connection.vendor,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
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
        header["keyslots"] = (settings.DATA_DIR / keyslots.FILENAME).read_text(encoding="ascii")
    raw_header = json.dumps(header).encode()
    context = hashlib.sha256(raw_header).digest()
    with _staging(out.parent, ".backup-") as (staging, removed):
        partial = staging / "backup.partial"
        with open(partial, "wb") as sink:
            sink.write(MAGIC + len(raw_header).to_bytes(4, "big") + raw_header)
            encryptor = aead_stream.StreamEncryptor(stream_key, sink, context)
            with tarfile.open(fileobj=encryptor, mode="w|") as archive:
                if connection.vendor == "postgresql":
                    _add_postgresql_dump(archive)
                else:
                    _add_sqlite_snapshot(archive, staging)
                if not age_recipients:
                    archive.add(settings.DATA_DIR / keyslots.FILENAME, arcname=keyslots.FILENAME)
                if (blobs := _blob_root()) is not None:
                    archive.add(blobs, arcname="blobs", filter=_blob_filter)
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
        return _Keys(bytes.fromhex(secret["master"]), bytes.fromhex(secret["stream"]))
    except pyrage.DecryptError:
        raise BackupError(
            "this age identity does not open this backup; nothing was changed"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise BackupError("the backup's header is damaged; nothing was changed") from None


def _is_dump_part(name: str) -> bool:
    return name == _PG_NAME or name.startswith(_PG_NAME + ".")


def _tar_stream(handle, key: bytes, header: dict):
    handle.seek(header["_start"])
    chunks = aead_stream.decrypt_from(key, handle, header["_context"])
    return chunks, tarfile.open(fileobj=aead_stream.ChunkReader(chunks), mode="r|")


def _unpack_and_verify(handle, key: bytes, header: dict, staging: Path) -> str:
    """First pass: decrypt and authenticate the whole stream, unpacking everything but the
    PostgreSQL dump into ``staging`` (encrypted files only); the dump's bytes are only
    hashed here. Returns that hash."""
    dump_hash = hashlib.sha256()
    try:
        chunks, archive = _tar_stream(handle, key, header)
        with archive:
            for member in archive:
                if _is_dump_part(member.name):
                    source = archive.extractfile(member)
                    for data in aead_stream.read_chunks(source, _PIPE_READ):
                        dump_hash.update(data)
                else:
                    archive.extract(member, staging, filter="data")
        for _ in chunks:  # tar stops at its end marker; the stream must end properly too
            pass
    except aead_stream.StreamTruncated as problem:
        raise BackupError(f"the backup is incomplete ({problem}); nothing was changed") from None
    except (aead_stream.StreamDamaged, tarfile.TarError) as problem:
        raise BackupError(f"the backup is damaged ({problem}); nothing was changed") from None
    return dump_hash.hexdigest()


def _restore_postgresql(handle, key: bytes, header: dict, expected_hash: str) -> None:
    """Second pass, after the first verified everything: the dump's parts go from the
    decryption straight into pg_restore's standard input. It restores in one transaction,
    which a failure (or a dump that differs from the one verified) rolls back."""
    restore = _PgPipe(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        "--dbname",
        _database_name(),
        reading=False,
    )
    dump_hash = hashlib.sha256()
    try:
        _chunks, archive = _tar_stream(handle, key, header)
        with archive:
            seen = False
            for member in archive:
                if not _is_dump_part(member.name):
                    if seen:
                        break
                    continue
                seen = True
                source = archive.extractfile(member)
                for data in aead_stream.read_chunks(source, _PIPE_READ):
                    dump_hash.update(data)
                    restore.process.stdin.write(data)
        if dump_hash.hexdigest() != expected_hash:
            raise BackupError("the backup changed while it was being restored; nothing was changed")
        restore.process.stdin.close()
    except BrokenPipeError:
        restore.finish()  # pg_restore stopped early: its message says why
        raise BackupError("pg_restore stopped before the end of the dump") from None
    except BaseException:
        restore.abandon()
        raise
    restore.finish()


def backup_restore(
    file: Path,
    data_dir: Path,
    passphrase: str,
    *,
    replace: bool = False,
    age_identity: Path | None = None,
) -> dict:
    """Verify the whole backup, then install it into ``data_dir`` (and, on PostgreSQL, into
    the configured database). Raises BackupError, changing nothing, for a foreign, damaged or
    truncated file, a wrong passphrase or identity, or an occupied data directory without
    ``replace``. For an age backup, ``passphrase`` becomes the restored instance's passphrase
    (unless ``data_dir`` holds this instance already: its key slots stay)."""
    file, data_dir = Path(file), Path(data_dir)
    with open(file, "rb") as handle:
        header = _read_header(handle)
        protection = header.get("protection", "passphrase")
        if protection == "age" and age_identity is None:
            raise BackupError(
                "this backup is encrypted to an age key: give its identity with --age-identity"
            )
        _check_target(data_dir, header, replace)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with _staging(data_dir.parent, ".restore-") as (folder, _removed):
            staging = folder / "instance"
            staging.mkdir(mode=0o700)
            if protection == "age":
                keys = _open_with_age(header, age_identity)
                _age_key_slots(staging, data_dir, header, keys.master, passphrase)
            else:
                (staging / keyslots.FILENAME).write_text(header["keyslots"], encoding="ascii")
                ring = KeyRing()
                if not ring.unseal(staging, passphrase):
                    raise BackupError("wrong passphrase for this backup; nothing was changed")
                keys = _Keys(b"", ring.subkey(Purpose.BACKUPS))
            dump_hash = _unpack_and_verify(handle, keys.stream, header, staging)
            if header["database"] == "postgresql":
                _restore_postgresql(handle, keys.stream, header, dump_hash)
            _install(staging, data_dir, header)
    return header


def _age_key_slots(
    staging: Path, data_dir: Path, header: dict, master: bytes, passphrase: str
) -> None:
    """An age backup carries no key slots: keep the instance's own, or make new ones that wrap
    the backup's master key with the passphrase given now."""
    if (data_dir / keyslots.FILENAME).exists():
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


def _check_target(data_dir: Path, header: dict, replace: bool) -> None:
    slots_file = data_dir / keyslots.FILENAME
    if slots_file.exists():
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
        (staging / _SQLITE_NAME).rename(staging / "waystation.sqlite3")
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
