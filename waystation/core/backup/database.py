"""The database inside a backup. The embedded database is copied online as SQLCipher pages
under its own key; PostgreSQL's ``pg_dump`` writes into a pipe read straight into the
encryption, and ``pg_restore`` reads from one: no clear copy ever touches the disk."""

import contextlib
import hashlib
import io
import os
import subprocess
import tarfile
import threading
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from django.conf import settings
from django.db import connection

from .. import aead_stream, shared_slots
from ..keyring import KEYRING, Purpose
from .errors import BackupError

SQLITE_NAME = "database/waystation.sqlite3"
# The PostgreSQL dump travels as numbered tar members of at most _PG_PART bytes: tar needs
# each member's size before its data, and a pipe's length is known only at its end. Backups
# made before streaming hold one member named exactly _PG_NAME.
_PG_NAME = "database/postgresql.dump"
_PG_PART = 16 << 20
PIPE_READ = 1 << 20


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


def add_postgresql_dump(archive: tarfile.TarFile) -> None:
    """pg_dump's output, read from its pipe into tar members of bounded size."""
    dump = _PgPipe(
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--no-unlogged-table-data",  # the shared limits' counters: not worth keeping
        # The key slots' row (PostgreSQL mode): the backup's header carries them, and a restore
        # must not overwrite newer slots (or a panic's shredding) with the dump's copy.
        f"--exclude-table={shared_slots.TABLE}",
        _database_name(),
        reading=True,
    )
    try:
        part = 0
        while True:
            buffer = bytearray()
            while len(buffer) < _PG_PART:
                data = dump.process.stdout.read(min(PIPE_READ, _PG_PART - len(buffer)))
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


def add_sqlite_snapshot(archive: tarfile.TarFile, staging: Path) -> None:
    """A consistent copy of the embedded database, taken online with SQLite's backup API into
    a SQLCipher file under the same key: what touches the disk is encrypted pages."""
    connection.ensure_connection()
    target = staging / "waystation.sqlite3"
    copy = sqlcipher.connect(str(target))
    copy.execute(f"PRAGMA key = \"x'{KEYRING.subkey(Purpose.DATABASE).hex()}'\"")
    connection.connection.backup(copy)  # page by page
    copy.close()
    archive.add(target, arcname=SQLITE_NAME)
    target.unlink()


def is_dump_part(name: str) -> bool:
    return name == _PG_NAME or name.startswith(_PG_NAME + ".")


def restore_postgresql(archive: tarfile.TarFile, expected_hash: str) -> None:
    """Second pass, after the first verified everything: the dump's parts go from the
    decrypted ``archive`` straight into pg_restore's standard input. It restores in one
    transaction, which a failure (or a dump that differs from the one verified) rolls back."""
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
        with archive:
            seen = False
            for member in archive:
                if not is_dump_part(member.name):
                    if seen:
                        break
                    continue
                seen = True
                source = archive.extractfile(member)
                for data in aead_stream.read_chunks(source, PIPE_READ):
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
