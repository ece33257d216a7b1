"""Backups: one encrypted file; restore loses nothing on either database, and refuses a
truncated, damaged, foreign or wrongly unlocked file before changing anything."""

import fcntl
import os
import subprocess
import time
from pathlib import Path

import pyotp
import pyrage
import pytest
import sqlcipher3.dbapi2 as sqlcipher
from django.db import connection, transaction

from waystation.accounts.models import Invite, User
from waystation.accounts.services import invite_create
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.audit.services import record
from waystation.audit.verify import verify_chain
from waystation.core import aead_stream, keyslots
from waystation.core.backup import BackupError, backup_create, backup_restore, remove_leftovers
from waystation.core.keyring import KEYRING, KeyRing, Purpose
from waystation.testing.plugin import TEST_PASSPHRASE

# Committed data (the online backup reads what is committed); see conftest.transactional_db.
pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def backup_file(cast, tmp_path):
    cast["caseworker"].totp_secret = pyotp.random_base32()
    cast["caseworker"].save()
    for n in range(5):
        with transaction.atomic():
            record(Event.LOGIN_SUCCEEDED, actor=cast["lawyer"], data={"n": n})
    out = tmp_path / "waystation.backup"
    info = backup_create(out)
    assert info.size == out.stat().st_size > 0
    return out


def _state():
    users = {
        u.username: (u.display_name, u.totp_secret, sorted(u.roles)) for u in User.objects.all()
    }
    return users, AuditEvent.objects.count()


def test_backup_file_is_private_and_reveals_nothing(backup_file, cast):
    assert backup_file.stat().st_mode & 0o077 == 0
    data = backup_file.read_bytes()
    for telltale in [
        b"SQLite format 3",
        b"CREATE TABLE",
        b"caseworker",
        b"coordinator",
        cast["lawyer"].display_name.encode(),
    ]:
        assert telltale not in data, telltale


def test_round_trip_loses_nothing(backup_file, tmp_path):
    before_users, before_audit = _state()
    target = tmp_path / "restored"
    if connection.vendor == "postgresql":
        # Change the live database after the backup; the restore must bring back the backup.
        invite_create(
            actor=User.objects.get(username="coordinator"),
            username="later",
            display_name="",
            roles=["lawyer"],
        )
        backup_restore(backup_file, target, TEST_PASSPHRASE)
        connection.close()
        assert _state() == (before_users, before_audit)
        assert not Invite.objects.filter(username="later").exists()
        assert verify_chain().ok
    else:
        backup_restore(backup_file, target, TEST_PASSPHRASE)
        restored = sqlcipher.connect(str(target / "waystation.sqlite3"))
        restored.execute(f"PRAGMA key = \"x'{KEYRING.subkey(Purpose.DATABASE).hex()}'\"")
        rows = restored.execute("SELECT id, username, totp_secret FROM accounts_user").fetchall()
        field = User._meta.get_field("totp_secret")
        users = {name: field.decrypt(User(pk=pk), secret) for pk, name, secret in rows}
        assert users == {name: values[1] for name, values in before_users.items()}
        count = restored.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
        assert count == before_audit
    assert (target / keyslots.FILENAME).exists()
    assert (target.stat().st_mode & 0o077) == 0


def _expect_refusal(backup, target, message, passphrase=TEST_PASSPHRASE, **kwargs):
    before = _state()
    with pytest.raises(BackupError, match=message):
        backup_restore(backup, target, passphrase, **kwargs)
    assert not target.exists() or not any(target.iterdir()) or kwargs
    assert _state() == before


def test_truncated_backup_is_refused(backup_file, tmp_path):
    data = backup_file.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 200):
        backup_file.write_bytes(data[:cut])
        _expect_refusal(backup_file, tmp_path / f"t{cut}", "incomplete|damaged")


def test_damaged_backup_is_refused(backup_file, tmp_path):
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0x40
    backup_file.write_bytes(bytes(data))
    _expect_refusal(backup_file, tmp_path / "t", "damaged")


def test_appended_data_is_refused(backup_file, tmp_path):
    backup_file.write_bytes(backup_file.read_bytes() + b"extra")
    _expect_refusal(backup_file, tmp_path / "t", "damaged")


def test_other_files_and_wrong_passphrases_are_refused(backup_file, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("just some file")
    _expect_refusal(other, tmp_path / "a", "not a Waystation backup")
    _expect_refusal(backup_file, tmp_path / "b", "wrong passphrase", passphrase="not it at all")


def test_restore_refuses_another_instance_and_an_occupied_directory(backup_file, tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    keyslots.create(foreign, "another instance's words", "x")
    _expect_refusal(backup_file, foreign, "another instance", replace=True)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "file").write_text("x")
    _expect_refusal(backup_file, junk, "not empty", replace=True)


def test_restoring_over_the_same_instance_needs_replace(backup_file, settings):
    _expect_refusal(backup_file, settings.DATA_DIR, "add --replace", replace=False)


def test_restoring_over_the_same_instance_keeps_todays_key_slots(backup_file, tmp_path):
    target = tmp_path / "instance"
    backup_restore(backup_file, target, TEST_PASSPHRASE)
    slots = keyslots.KeySlotFile.load(target)
    slots.add(KEYRING.master_for_key_management(), "a newer duress passphrase", "d", duress=True)
    slots.save()
    before = (target / keyslots.FILENAME).read_bytes()
    backup_restore(backup_file, target, TEST_PASSPHRASE, replace=True)
    assert (target / keyslots.FILENAME).read_bytes() == before


# -- nothing in the clear on the way (issue 18, finding 1) ----------------------------------

_CLEAR_DATABASE = (b"PGDMP", b"SQLite format 3")


def _clear_database_files(*folders):
    found = []
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                with open(path, "rb") as handle:
                    if handle.read(16).startswith(_CLEAR_DATABASE):
                        found.append(str(path))
    return found


@pytest.fixture
def disk_watch(monkeypatch, tmp_path, settings):
    """Looks at the disk at the moments a database copy would be lying there: when the backup
    stream is complete, and whenever pg_dump or pg_restore starts or ends."""
    seen = []

    def look():
        seen.extend(_clear_database_files(tmp_path, settings.DATA_DIR))

    close = aead_stream.StreamEncryptor.close

    def closing(self):
        look()
        close(self)

    monkeypatch.setattr(aead_stream.StreamEncryptor, "close", closing)

    class WatchedPopen(subprocess.Popen):
        def __init__(self, args, *rest, **kwargs):
            super().__init__(args, *rest, **kwargs)
            if Path(args[0]).name in {"pg_dump", "pg_restore"}:
                look()

        def wait(self, timeout=None):
            code = super().wait(timeout)
            if Path(self.args[0]).name in {"pg_dump", "pg_restore"}:
                look()
            return code

    monkeypatch.setattr(subprocess, "Popen", WatchedPopen)
    return seen


def test_the_database_never_lies_on_disk_in_the_clear(cast, tmp_path, disk_watch):
    out = tmp_path / "out" / "waystation.backup"
    out.parent.mkdir()
    backup_create(out)
    backup_restore(out, tmp_path / "restored", TEST_PASSPHRASE)
    connection.close()
    assert disk_watch == []
    assert User.objects.filter(username="coordinator").exists()
    assert not [p for p in out.parent.iterdir() if p.name != out.name]


def test_a_failing_pg_dump_leaves_no_backup_and_says_why(cast, tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "pg_dump").write_text(
        "#!/bin/sh\necho 'pg_dump: error: connection refused' >&2\nprintf PGDMP\nexit 1\n"
    )
    (tools / "pg_dump").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    out = tmp_path / "waystation.backup"
    if connection.vendor != "postgresql":
        backup_create(out)  # the embedded database needs no PostgreSQL tool
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "waystation.backup"]
        return
    with pytest.raises(BackupError, match="pg_dump failed: pg_dump: error: connection refused"):
        backup_create(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin"]


# -- backups to an offline age key (finding 5) -----------------------------------------------


@pytest.fixture
def age_key(tmp_path):
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / "backup-key.txt"
    path.write_text(f"# created: today\n{identity}\n")
    return str(identity.to_public()), path


def test_an_age_backup_opens_with_the_identity_and_no_passphrase(cast, tmp_path, age_key):
    recipient, identity = age_key
    before = _state()
    out = tmp_path / "offline.backup"
    info = backup_create(out, age_recipients=[recipient])
    assert info.protection == "age"
    data = out.read_bytes()
    assert b"keyslots" not in data and keyslots.FORMAT.encode() not in data
    with pytest.raises(BackupError, match="give its identity with --age-identity"):
        backup_restore(out, tmp_path / "a", TEST_PASSPHRASE)
    other = tmp_path / "other-key.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    with pytest.raises(BackupError, match="does not open this backup"):
        backup_restore(out, tmp_path / "b", "a new passphrase here", age_identity=other)
    assert not (tmp_path / "b").exists()

    target = tmp_path / "restored"
    backup_restore(out, target, "a new passphrase here", age_identity=identity)
    ring = KeyRing()
    assert not ring.unseal(target, TEST_PASSPHRASE)  # the old passphrase is not in it
    assert ring.unseal(target, "a new passphrase here")
    assert ring.master_for_key_management() == KEYRING.master_for_key_management()
    assert keyslots.KeySlotFile.load(target).instance == keyslots.KeySlotFile.load(
        KEYRING._data_dir
    ).instance
    if connection.vendor == "postgresql":
        connection.close()
        assert _state() == before
    else:
        restored = sqlcipher.connect(str(target / "waystation.sqlite3"))
        restored.execute(f"PRAGMA key = \"x'{ring.subkey(Purpose.DATABASE).hex()}'\"")
        names = {row[0] for row in restored.execute("SELECT username FROM accounts_user")}
        assert names == set(before[0])


def test_after_a_panic_only_the_age_backup_stays_closed_to_the_seized_passphrase(
    cast, tmp_path, age_key
):
    recipient, identity = age_key
    offline = tmp_path / "offline.backup"
    backup_create(offline, age_recipients=[recipient])
    usual = tmp_path / "usual.backup"
    backup_create(usual)
    # A copy of the instance is seized with its passphrase, then panic shreds its key slots.
    seized = tmp_path / "seized"
    backup_restore(usual, seized, TEST_PASSPHRASE)
    keyslots.shred(seized)
    assert not KeyRing().unseal(seized, TEST_PASSPHRASE)
    # The usual backup carries the key slots of its day: the seized passphrase still opens it.
    backup_restore(usual, tmp_path / "opened", TEST_PASSPHRASE)
    # The offline one carries none: the passphrase opens nothing, the identity opens it all.
    with pytest.raises(BackupError, match="age-identity"):
        backup_restore(offline, tmp_path / "refused", TEST_PASSPHRASE)
    target = tmp_path / "after-panic"
    backup_restore(offline, target, "chosen after the panic", age_identity=identity)
    assert KeyRing().unseal(target, "chosen after the panic")


def test_a_malformed_age_recipient_is_refused(cast, tmp_path):
    with pytest.raises(BackupError, match="not an age public key"):
        backup_create(tmp_path / "x.backup", age_recipients=["age1notakey"])
    assert list(tmp_path.iterdir()) == []


# -- leftovers of killed backups (finding 8) ------------------------------------------------


def test_a_backup_removes_what_killed_backups_left_but_not_a_running_one(cast, tmp_path):
    stale = tmp_path / ".backup-k1ll3d"
    stale.mkdir()
    (stale / "backup.partial").write_bytes(b"WAYSTATION-BACKUP\n" + b"x" * 1000)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    running = tmp_path / ".backup-running"
    running.mkdir()
    with open(running / ".in-use", "wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        info = backup_create(tmp_path / "new.backup")
        assert info.leftovers_removed == 1
        assert not stale.exists() and running.exists()
    assert remove_leftovers(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.backup"]
