"""The backup file: its header and protection (passphrase or age), writing it, and reading it
back: verified whole before anything is installed."""

import base64
import contextlib
import hashlib
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

from .. import aead_stream, crypto, keyslots
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
from .staging import staging as _staging

MAGIC = b"WAYSTATION-BACKUP\n"
FORMAT = "waystation-backup/1"
_MAX_HEADER = 1 << 20


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    database: str
    protection: str = "passphrase"
    leftovers_removed: int = 0


def _blob_root() -> Path | None:
    store = settings.BLOB_STORE
    if store["backend"] != "local":
        return None  # an S3 store is backed up with the provider's tools; it is encrypted
    root = Path(store["root"])
    return root if root.is_dir() else None


def _blob_filter(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Half-written files of an interrupted ingest are not part of the store."""
    return None if Path(member.name).name.startswith(".incoming-") else member


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
                    add_postgresql_dump(archive)
                else:
                    add_sqlite_snapshot(archive, staging)
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
                if is_dump_part(member.name):
                    source = archive.extractfile(member)
                    for data in aead_stream.read_chunks(source, PIPE_READ):
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
                _chunks, dump = _tar_stream(handle, keys.stream, header)
                restore_postgresql(dump, dump_hash)
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
