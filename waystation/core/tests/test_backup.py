"""Backups: one encrypted file; restore loses nothing on either database, and refuses a
truncated, damaged, foreign or wrongly unlocked file before changing anything."""

import pyotp
import pytest
import sqlcipher3.dbapi2 as sqlcipher
from django.db import connection

from waystation.accounts.models import Invite, User
from waystation.accounts.services import invite_create
from waystation.audit.events import Event
from waystation.audit.models import AuditEvent
from waystation.audit.services import record
from waystation.audit.verify import verify_chain
from waystation.core import keyslots
from waystation.core.backup import BackupError, backup_create, backup_restore
from waystation.core.keyring import KEYRING, Purpose
from waystation.testing.plugin import TEST_PASSPHRASE

# Committed data (the online backup reads what is committed); see conftest.transactional_db.
pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def backup_file(cast, tmp_path):
    cast["caseworker"].totp_secret = pyotp.random_base32()
    cast["caseworker"].save()
    for n in range(5):
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
