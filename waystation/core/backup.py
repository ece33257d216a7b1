"""Backups: one encrypted file with the database, the stored files and the key slots.

Layout: a magic line, a plaintext JSON header (format, instance id, database kind, creation
time, and the key-slot file itself, which is already passphrase-protected), then a tar archive
encrypted as an authenticated chunk stream (``aead_stream``) under the backup sub-key, with the
header's SHA-256 in every chunk's associated data. Restoring needs a passphrase of the instance
as it was when the backup was made. Restore decrypts and checks everything into a staging
folder before it replaces anything.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from django.conf import settings
from django.db import connection

from . import aead_stream, keyslots
from .keyring import KEYRING, KeyRing, Purpose

MAGIC = b"WAYSTATION-BACKUP\n"
FORMAT = "waystation-backup/1"
_MAX_HEADER = 1 << 20
_SQLITE_NAME = "database/waystation.sqlite3"
_PG_NAME = "database/postgresql.dump"


class BackupError(Exception):
    """One line for the operator; nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    database: str


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


def _pg_tool(*command: str) -> None:
    """pg_dump / pg_restore from the PATH, with our own arguments (nothing from a request)."""
    try:
        subprocess.run(command, env=_pg_env(), check=True, capture_output=True)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    except subprocess.CalledProcessError as failed:
        detail = failed.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise BackupError(f"{command[0]} failed: {' '.join(detail)}") from None


def _database_name() -> str:
    return connection.settings_dict["NAME"]


def _snapshot_database(staging: Path) -> tuple[str, Path]:
    """A consistent copy of the live database, taken online."""
    if connection.vendor == "postgresql":
        target = staging / "postgresql.dump"
        _pg_tool(
            "pg_dump", "--format=custom", "--no-owner", "--file", str(target), _database_name()
        )
        return _PG_NAME, target
    connection.ensure_connection()
    target = staging / "waystation.sqlite3"
    copy = sqlcipher.connect(str(target))
    copy.execute(f"PRAGMA key = \"x'{KEYRING.subkey(Purpose.DATABASE).hex()}'\"")
    connection.connection.backup(copy)  # SQLite's online backup API, page by page
    copy.close()
    return _SQLITE_NAME, target


def _blob_root() -> Path | None:
    store = settings.BLOB_STORE
    if store["backend"] != "local":
        return None  # an S3 store is backed up with the provider's tools; it is encrypted
    root = Path(store["root"])
    return root if root.is_dir() else None


def backup_create(out: Path) -> BackupInfo:
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already; choose a new file name")
    slots_bytes = (settings.DATA_DIR / keyslots.FILENAME).read_bytes()
    slots = keyslots.KeySlotFile.load(settings.DATA_DIR)
    header = json.dumps(
        {
            "format": FORMAT,
            "instance": slots.instance.hex(),
            "database": connection.vendor,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "keyslots": slots_bytes.decode("ascii"),
        }
    ).encode()
    context = hashlib.sha256(header).digest()
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as staging_name:
        staging = Path(staging_name)
        db_name, db_file = _snapshot_database(staging)
        partial = staging / "backup.partial"
        with open(partial, "wb") as sink:
            sink.write(MAGIC + len(header).to_bytes(4, "big") + header)
            encryptor = aead_stream.StreamEncryptor(KEYRING.subkey(Purpose.BACKUPS), sink, context)
            with tarfile.open(fileobj=encryptor, mode="w|") as archive:
                archive.add(db_file, arcname=db_name)
                archive.add(settings.DATA_DIR / keyslots.FILENAME, arcname=keyslots.FILENAME)
                if (blobs := _blob_root()) is not None:
                    archive.add(blobs, arcname="blobs")
            encryptor.close()
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, out)
    os.chmod(out, 0o600)
    return BackupInfo(out, out.stat().st_size, connection.vendor)


def _read_header(handle) -> dict:
    if handle.read(len(MAGIC)) != MAGIC:
        raise BackupError("this file is not a Waystation backup")
    length = int.from_bytes(handle.read(4), "big")
    raw = handle.read(length) if 0 < length <= _MAX_HEADER else b""
    try:
        header = json.loads(raw)
        assert header["format"] == FORMAT
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BackupError("the backup's header is damaged; nothing was changed") from None
    header["_context"] = hashlib.sha256(raw).digest()
    return header


def backup_restore(file: Path, data_dir: Path, passphrase: str, *, replace: bool = False) -> dict:
    """Verify the whole backup, then install it into ``data_dir`` (and, on PostgreSQL, into
    the configured database). Raises BackupError, changing nothing, for a foreign, damaged or
    truncated file, a wrong passphrase, or an occupied data directory without ``replace``."""
    file, data_dir = Path(file), Path(data_dir)
    with open(file, "rb") as handle:
        header = _read_header(handle)
        _check_target(data_dir, header, replace)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir.parent, prefix=".restore-") as name:
            staging = Path(name) / "instance"
            staging.mkdir(mode=0o700)
            (staging / keyslots.FILENAME).write_text(header["keyslots"], encoding="ascii")
            ring = KeyRing()
            if not ring.unseal(staging, passphrase):
                raise BackupError("wrong passphrase for this backup; nothing was changed")
            chunks = aead_stream.decrypt_from(
                ring.subkey(Purpose.BACKUPS), handle, header["_context"]
            )
            try:
                with tarfile.open(fileobj=aead_stream.ChunkReader(chunks), mode="r|") as archive:
                    archive.extractall(staging, filter="data")
                for _ in chunks:  # tar stops at its end marker; the stream must end properly too
                    pass
            except aead_stream.StreamTruncated as problem:
                raise BackupError(
                    f"the backup is incomplete ({problem}); nothing was changed"
                ) from None
            except (aead_stream.StreamDamaged, tarfile.TarError) as problem:
                raise BackupError(
                    f"the backup is damaged ({problem}); nothing was changed"
                ) from None
            _install(staging, data_dir, header)
    return header


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
    """Everything is verified: put it in place. The database file and key slots move in by
    rename; PostgreSQL gets the dump through pg_restore."""
    if header["database"] == "postgresql":
        _pg_tool(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _database_name(),
            str(staging / _PG_NAME),
        )
        (staging / _PG_NAME).unlink()
    else:
        (staging / _SQLITE_NAME).rename(staging / "waystation.sqlite3")
    shutil.rmtree(staging / "database", ignore_errors=True)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name in ("waystation.sqlite3-wal", "waystation.sqlite3-shm"):
        (data_dir / name).unlink(missing_ok=True)
    if (data_dir / keyslots.FILENAME).exists():
        # The same instance (checked before): today's key slots open the same master key, and
        # the backup's would bring back removed passphrases and drop newer duress slots.
        (staging / keyslots.FILENAME).unlink()
    for item in staging.iterdir():
        target = data_dir / item.name
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(item, target)
