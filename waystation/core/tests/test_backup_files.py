"""Backups with the stored files (--with-files, a local directory or an S3 bucket), what a
restore does to the file store and to sessions, and `waystation blobs check`."""

import io
import os
import time
import tracemalloc

import pytest
import sqlcipher3.dbapi2 as sqlcipher
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from waystation.core import keyslots, shared_slots
from waystation.core.backup import BackupError, backup_create, backup_restore
from waystation.core.blobstore import LocalBlobStore, blob_store
from waystation.core.blobstore.reconcile import reference_fields
from waystation.core.keyring import KEYRING, Purpose
from waystation.outreach.models import ImportJob
from waystation.testing import seaweed
from waystation.testing.plugin import TEST_PASSPHRASE

pytestmark = pytest.mark.usefixtures("transactional_db")

# Every field that names a blob. A new one must be named `blob` or `…_blob` (and then appears
# here), or `blobs check` would call its files orphans and --remove-orphans delete them.
REFERENCE_FIELDS = {
    "evidence.Item.blob",
    "intake.Attachment.blob",
    "intake.Attachment.original_blob",
    "ledger.Receipt.blob",
    "outreach.ImportJob.blob",
    "outreach.ImportJob.rejected_blob",
    "partners.Inbound.blob",
}


@pytest.fixture
def store(settings, tmp_path):
    """A file store of this test's own (the configured one, so commands use it too)."""
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path / "s")}
    return blob_store()


def _put(store, content: bytes) -> str:
    return store.put(io.BytesIO(content)).name


def _read(store, name: str) -> bytes:
    return b"".join(store.open(name))


def test_every_field_naming_a_blob_is_known():
    found = {f"{model._meta.label}.{name}" for model, name in reference_fields()}
    assert found == REFERENCE_FIELDS


def test_the_files_travel_with_the_backup_and_come_back(cast, store, tmp_path, capsys):
    contents = [b"statement of witness A", os.urandom((2 << 20) + 77)]
    names = [_put(store, c) for c in contents]
    out = tmp_path / "with-files.backup"
    call_command("backup", "--out", str(out), "--with-files")
    assert "Stored files in the backup: 2." in capsys.readouterr().out
    assert b"statement of witness A" not in out.read_bytes()

    target = LocalBlobStore(tmp_path / "new-store")
    header = backup_restore(out, tmp_path / "restored", TEST_PASSPHRASE, store=target)
    assert header["files_put"] == 2
    assert sorted(o.name for o in target.objects()) == sorted(names)
    assert [_read(target, n) for n in names] == contents


def test_a_store_in_the_data_directory_goes_with_the_restored_one(cast, settings, tmp_path):
    assert settings.BLOB_STORE["root"] == str(settings.DATA_DIR / "blobs")  # the default place
    name = _put(blob_store(), b"a receipt kept in the data directory")
    out = tmp_path / "b.backup"
    backup_create(out, with_files=True)
    target = tmp_path / "restored"
    header = backup_restore(out, target, TEST_PASSPHRASE)
    assert header["files_put"] >= 1
    assert _read(LocalBlobStore(target / "blobs"), name) == b"a receipt kept in the data directory"
    # Again over the same instance: into its store as it is, nothing twice.
    assert backup_restore(out, target, TEST_PASSPHRASE, replace=True)["files_put"] == 0


def test_a_plain_backup_of_a_local_store_holds_its_files(cast, store, tmp_path, capsys):
    """A laptop's backup, made by the plain command, must hold the evidence files."""
    _put(store, b"a receipt")
    call_command("backup", "--out", str(tmp_path / "plain.backup"))
    assert "Stored files in the backup: 1." in capsys.readouterr().out


def test_without_files_the_backup_says_so_and_holds_none(cast, store, tmp_path, capsys):
    _put(store, b"a receipt")
    out = tmp_path / "plain.backup"
    call_command("backup", "--out", str(out), "--without-files")
    said = capsys.readouterr().out
    assert "The stored files are not in this backup: add --with-files" in said
    assert "docs/operator.md" in said
    target = LocalBlobStore(tmp_path / "new-store")
    header = backup_restore(out, tmp_path / "restored", TEST_PASSPHRASE, store=target)
    assert header["files_put"] == 0 and list(target.objects()) == []


def test_memory_stays_flat_while_files_are_backed_up_and_restored(cast, store, tmp_path):
    size = 24 << 20
    name = store.put(io.BytesIO(os.urandom(size))).name
    out = tmp_path / "big.backup"
    tracemalloc.start()
    try:
        backup_create(out, with_files=True)
        _current, peak_backup = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        target = LocalBlobStore(tmp_path / "new-store")
        backup_restore(out, tmp_path / "restored", TEST_PASSPHRASE, store=target)
        _current, peak_restore = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak_backup < 8 << 20 and peak_restore < 8 << 20, (peak_backup, peak_restore)
    assert target.exists(name)


def test_a_new_copy_is_refused_a_store_that_holds_files(cast, store, tmp_path):
    _put(store, b"the original's file")
    out = tmp_path / "b.backup"
    backup_create(out, with_files=True)
    with pytest.raises(BackupError, match=r"holds files already.*--into-used-store"):
        backup_restore(out, tmp_path / "copy", TEST_PASSPHRASE)
    assert not (tmp_path / "copy").exists()
    header = backup_restore(out, tmp_path / "copy", TEST_PASSPHRASE, into_used_store=True)
    assert header["files_put"] == 0  # the same file is there already


def test_restore_command_refuses_a_used_store_and_names_the_way_out(
    cast, store, tmp_path, settings
):
    _put(store, b"the original's file")
    out = tmp_path / "b.backup"
    backup_create(out)
    words = tmp_path / "passphrase"
    words.write_text(TEST_PASSPHRASE)
    settings.PASSPHRASE_FILE = str(words)
    settings.DATA_DIR = tmp_path / "copy"
    with pytest.raises(CommandError, match="new, empty store"):
        call_command("restore", str(out))
    assert not (tmp_path / "copy").exists()


# -- sessions --------------------------------------------------------------------------------


def test_a_restore_ends_every_session(cast, client_for, tmp_path):
    client = client_for("caseworker")
    assert client.get(reverse("home:dashboard")).status_code == 200
    assert Session.objects.count() >= 1
    out = tmp_path / "s.backup"
    backup_create(out)
    target = tmp_path / "restored"
    backup_restore(out, target, TEST_PASSPHRASE)
    if connection.vendor == "postgresql":
        connection.close()
        answer = client.get(reverse("home:dashboard"), follow=True)
        assert answer.redirect_chain[-1][0].startswith(reverse("accounts:login"))
        assert b'name="password"' in answer.content
    else:
        restored = sqlcipher.connect(str(target / "waystation.sqlite3"))
        restored.execute(f"PRAGMA key = \"x'{KEYRING.subkey(Purpose.DATABASE).hex()}'\"")
        assert restored.execute("SELECT count(*) FROM django_session").fetchone() == (0,)
        assert restored.execute("SELECT count(*) FROM accounts_user").fetchone()[0] >= 5


# -- PostgreSQL mode with the key slots in the database -------------------------------------


@pytest.fixture
def slots_in_the_database(settings, tmp_path):
    """The test instance's slots as the database's row, and a server's data directory without
    a slot file; the database as it was afterwards."""
    place = shared_slots.current_place()
    text = keyslots.read_text(settings.DATA_DIR)
    with place.connect() as conn:
        had_table = conn.execute("SELECT to_regclass(%s)", [shared_slots.TABLE]).fetchone()[0]
    before = shared_slots.read(place).text
    if not shared_slots.create(place, text):
        shared_slots.write(place, text)
    server = tmp_path / "server"
    server.mkdir(mode=0o700)
    settings.DATA_DIR = server
    settings.BLOB_STORE = {**settings.BLOB_STORE, "root": str(tmp_path / "store")}
    yield place, text, server
    with place.connect() as conn:
        if not had_table:
            conn.execute(f"DROP TABLE IF EXISTS {shared_slots.TABLE}")
        elif before is None:
            conn.execute(f"DELETE FROM {shared_slots.TABLE}")  # noqa: S608 - a constant
    if before is not None:
        shared_slots.write(place, before)


@pytest.mark.postgresql
def test_with_the_slots_in_the_database_backup_and_restore_use_them(
    cast, slots_in_the_database, tmp_path
):
    place, text, server = slots_in_the_database
    out = tmp_path / "db.backup"
    backup_create(out)
    with pytest.raises(BackupError, match="holds this instance already"):
        backup_restore(out, server, TEST_PASSPHRASE)
    backup_restore(out, server, TEST_PASSPHRASE, replace=True)
    assert not (server / keyslots.FILENAME).exists()
    assert shared_slots.read(place).text == text  # today's slots stay
    # A new database (no instance in it) gets the backup's slots.
    with place.connect() as conn:
        conn.execute(f"DELETE FROM {shared_slots.TABLE}")  # noqa: S608 - a constant
    backup_restore(out, server, TEST_PASSPHRASE)
    assert keyslots.KeySlotFile.load(server).instance.hex() == keyslots.KeySlotFile._parse(
        text, "x", None
    ).instance.hex()
    assert not (server / keyslots.FILENAME).exists()


# -- S3: a real SeaweedFS ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    try:
        with seaweed.running(
            tmp_path_factory.mktemp("seaweedfs"),
            buckets=["original", "restored", "versioned"],  # weed's -volume.max: 3 at most
        ) as server:
            yield server
    except seaweed.SeaweedMissing as missing:
        pytest.fail(str(missing))


def _empty(store):
    for listed in list(store.objects()):
        store.delete(listed.name)
    return store


def _use_bucket(settings, server, bucket):
    settings.BLOB_STORE = {
        "backend": "s3",
        "root": "",
        "bucket": bucket,
        "endpoint_url": server.endpoint_url,
        "access_key": server.access_key,
        "secret_key": server.secret_key,
        "region": server.region,
    }
    return blob_store()


def test_s3_files_go_into_a_new_empty_bucket(cast, s3_server, settings, tmp_path):
    original = _use_bucket(settings, s3_server, "original")
    contents = [b"photo of the summons", os.urandom((3 << 20) + 5)]
    names = [_put(original, c) for c in contents]
    out = tmp_path / "s3.backup"
    info = backup_create(out, with_files=True)
    assert info.files == 2
    # A new copy pointed at the original's bucket is refused, and nothing changes.
    with pytest.raises(BackupError, match=r"bucket original.*holds files already"):
        backup_restore(out, tmp_path / "copy", TEST_PASSPHRASE)
    assert not (tmp_path / "copy").exists()

    restored = _use_bucket(settings, s3_server, "restored")
    header = backup_restore(out, tmp_path / "copy", TEST_PASSPHRASE)
    assert header["files_put"] == 2
    assert sorted(o.name for o in restored.objects()) == sorted(names)
    assert [_read(restored, n) for n in names] == contents
    raw = s3_server.client().get_object(Bucket="restored", Key=names[0])["Body"].read()
    assert b"photo of the summons" not in raw


def test_blobs_check_on_s3_lists_and_removes_orphans(cast, s3_server, settings, capsys):
    store = _empty(_use_bucket(settings, s3_server, "restored"))
    kept = _put(store, b"an import file")
    orphan = _put(store, b"left behind")
    ImportJob.objects.create(started_by=cast["coordinator"], filename="x.csv", blob=kept)
    call_command("blobs", "check")  # nothing missing: no error
    assert f"Orphans: 1 object(s) no row names: {orphan}" in capsys.readouterr().out
    # Too young to remove: an upload may still be on its way.
    call_command("blobs", "check", "--remove-orphans")
    assert "Removed 0 orphan(s); kept 1" in capsys.readouterr().out
    assert store.exists(orphan)


def _copy_as_of(client, source: str, target: str, as_of: float) -> int:
    """The recipe of docs/operator.md ("Backups and the file store"), as `rclone copy
    --s3-version-at` does it: every object as it was at ``as_of`` (its newest version not
    newer; later versions and delete markers ignored) into the new bucket."""
    chosen = {}
    for page in client.get_paginator("list_object_versions").paginate(Bucket=source):
        for version in page.get("Versions", []):
            when = version["LastModified"].timestamp()
            if when <= as_of and when >= chosen.get(version["Key"], ({}, -1.0))[1]:
                chosen[version["Key"]] = (version, when)
    for key, (version, _when) in chosen.items():
        body = client.get_object(Bucket=source, Key=key, VersionId=version["VersionId"])["Body"]
        client.upload_fileobj(body, target, key)  # streamed, as between two providers
    return len(chosen)


def test_s3_versioning_recipe_brings_back_files_lost_after_the_backup(
    cast, s3_server, settings, tmp_path, capsys
):
    client = s3_server.client()
    client.put_bucket_versioning(
        Bucket="versioned", VersioningConfiguration={"Status": "Enabled"}
    )
    store = _use_bucket(settings, s3_server, "versioned")
    name = _put(store, b"scan of the summons")
    ImportJob.objects.create(started_by=cast["coordinator"], filename="x.csv", blob=name)
    out = tmp_path / "database-only.backup"
    backup_create(out)  # without the files: the bucket keeps its own history
    as_of = time.time()
    store.delete(name)  # lost after the backup: by mistake, or by an intruder
    capsys.readouterr()

    _empty(_use_bucket(settings, s3_server, "restored"))  # the restored copy's own bucket
    backup_restore(out, tmp_path / "copy", TEST_PASSPHRASE)
    with pytest.raises(CommandError, match="1 row"):
        call_command("blobs", "check")
    assert "outreach.ImportJob.blob" in capsys.readouterr().out
    assert _copy_as_of(client, "versioned", "restored", as_of) == 1
    call_command("blobs", "check")
    assert "every object is named by a row" in capsys.readouterr().out
    assert _read(blob_store(), name) == b"scan of the summons"


# -- blobs check -------------------------------------------------------------------------------


def test_blobs_check_lists_missing_files_and_orphans_and_removes_old_orphans(
    cast, store, capsys
):
    kept = _put(store, b"import file")
    lost = _put(store, b"a file whose object will go")
    orphan = _put(store, b"no row names me")
    young = _put(store, b"an upload still on its way")
    jobs = [
        ImportJob.objects.create(started_by=cast["coordinator"], filename="a.csv", blob=kept),
        ImportJob.objects.create(started_by=cast["coordinator"], filename="b.csv", blob=lost),
    ]
    store.delete(lost)
    hour_ago = time.time() - 3700
    os.utime(store._path(orphan), (hour_ago, hour_ago))

    with pytest.raises(CommandError, match=r"1 row.s. name a file the store does not hold"):
        call_command("blobs", "check")
    said = capsys.readouterr().out
    assert (
        f"Missing: 1 row(s) of outreach.ImportJob.blob without their file: ids {jobs[1].pk}"
        in said
    )
    assert "Orphans: 2 object(s)" in said and orphan in said and young in said
    assert "a.csv" not in said and "b.csv" not in said

    with pytest.raises(CommandError):
        call_command("blobs", "check", "--remove-orphans")
    said = capsys.readouterr().out
    assert "Removed 1 orphan(s); kept 1 younger than an hour" in said
    assert not store.exists(orphan) and store.exists(young) and store.exists(kept)

    jobs[1].delete()
    store.delete(young)
    call_command("blobs", "check")
    assert "every object is named by a row" in capsys.readouterr().out
