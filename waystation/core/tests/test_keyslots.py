"""Key slots: passphrases open the master key; a duress passphrase and panic shred the slots
so no passphrase opens them again; test-only KDF parameters are refused outside tests."""

import json
import shutil
import time

import pytest

from waystation.core import keyslots, shared_slots
from waystation.core.keyring import KeyRing, Purpose, Sealed
from waystation.core.keyslots import KeySlotError, KeySlotFile, PassphraseRejected

PASS = "first passphrase, long"
DURESS = "the duress passphrase"


@pytest.fixture
def slots_dir(tmp_path):
    master = keyslots.create(tmp_path, PASS, "anna")
    return tmp_path, master


def test_the_right_passphrase_opens_the_master_key(slots_dir):
    folder, master = slots_dir
    assert KeySlotFile.load(folder).open(PASS) == keyslots.Opened(master, False)
    assert KeySlotFile.load(folder).open("another passphrase") == keyslots.Opened(None, False)


def test_short_passphrases_are_refused_with_the_reason(tmp_path):
    with pytest.raises(PassphraseRejected, match="at least 12 characters"):
        keyslots.create(tmp_path, "short", "x")
    assert not (tmp_path / keyslots.FILENAME).exists()


def test_the_file_names_nobody_and_hides_which_slot_is_duress(slots_dir):
    folder, master = slots_dir
    slots = KeySlotFile.load(folder)
    slots.add(master, "marta's passphrase", "marta")
    slots.add(master, DURESS, "duress for anna", duress=True)
    slots.save()
    text = (folder / keyslots.FILENAME).read_text()
    assert "anna" not in text and "marta" not in text and "duress" not in text
    document = json.loads(text)
    lengths = {(len(s["salt"]), len(s["sealed"])) for s in document["slots"]}
    assert len(lengths) == 1  # all three slots look alike
    listed = KeySlotFile.load(folder).list(master)
    assert [(s.label, s.duress) for s in listed] == [
        ("anna", False),
        ("marta", False),
        ("duress for anna", True),
    ]


def test_duress_passphrase_shreds_and_answers_like_a_typo(slots_dir):
    folder, master = slots_dir
    slots = KeySlotFile.load(folder)
    slots.add(master, DURESS, "duress", duress=True)
    slots.save()
    shape_before = _shape(folder)
    ring = KeyRing()
    assert ring.unseal(folder, DURESS) is False
    assert ring.sealed
    assert ring.unseal(folder, PASS) is False  # the real passphrase no longer opens
    assert _shape(folder) == shape_before  # and the file still looks like key slots
    with pytest.raises(Sealed):
        ring.subkey(Purpose.DATABASE)


def _shape(folder):
    document = json.loads((folder / keyslots.FILENAME).read_text())
    return (
        document["format"],
        document["instance"],
        document["kdf"],
        [(len(s["salt"]), len(s["sealed"])) for s in document["slots"]],
        len(document["labels"]),
    )


def test_panic_shreds_without_a_passphrase(slots_dir):
    folder, _ = slots_dir
    started = time.perf_counter()
    assert keyslots.shred(folder) is True
    elapsed = time.perf_counter() - started
    assert KeySlotFile.load(folder).open(PASS) == keyslots.Opened(None, False)
    assert elapsed < 5  # generous: no key derivation is involved (bench measures it)


def test_running_key_ring_notices_shredding_by_another_process(slots_dir, monkeypatch):
    folder, _ = slots_dir
    ring = KeyRing()
    assert ring.unseal(folder, PASS)
    ring.notice_shredding()
    assert not ring.sealed
    keyslots.shred(folder)
    monkeypatch.setattr(ring, "_checked_at", 0.0)
    ring.notice_shredding()
    assert ring.sealed


def test_adding_or_removing_a_slot_does_not_seal_a_running_ring(slots_dir, monkeypatch):
    folder, master = slots_dir
    ring = KeyRing()
    assert ring.unseal(folder, PASS)
    slots = KeySlotFile.load(folder)
    slots.add(master, "marta's passphrase", "marta")
    slots.save()
    monkeypatch.setattr(ring, "_checked_at", 0.0)
    ring.notice_shredding()
    assert not ring.sealed


def test_removed_passphrase_no_longer_opens(slots_dir):
    folder, master = slots_dir
    slots = KeySlotFile.load(folder)
    slots.add(master, "marta's passphrase", "marta")
    slots.remove(master, "anna")
    slots.save()
    assert KeySlotFile.load(folder).open(PASS).master is None
    assert KeySlotFile.load(folder).open("marta's passphrase").master == master
    with pytest.raises(KeySlotError, match="last normal passphrase"):
        KeySlotFile.load(folder).remove(master, "marta")


def test_a_passphrase_already_in_use_is_refused(slots_dir):
    folder, master = slots_dir
    with pytest.raises(PassphraseRejected, match="already in use"):
        KeySlotFile.load(folder).add(master, PASS, "again")


def test_tampered_slot_does_not_open(slots_dir):
    folder, _ = slots_dir
    document = json.loads((folder / keyslots.FILENAME).read_text())
    sealed = bytearray(keyslots._unb64(document["slots"][0]["sealed"]))
    sealed[-1] ^= 1
    document["slots"][0]["sealed"] = keyslots._b64(bytes(sealed))
    (folder / keyslots.FILENAME).write_text(json.dumps(document))
    assert KeySlotFile.load(folder).open(PASS).master is None


def test_damaged_or_missing_files_are_explained(tmp_path):
    # In PostgreSQL mode a data directory without a file means: the slots are the database's.
    missing = "no Waystation instance in the database" if shared_slots.enabled() else (
        "no key-slot file"
    )
    with pytest.raises(KeySlotError, match=missing):
        KeySlotFile.load(tmp_path)
    (tmp_path / keyslots.FILENAME).write_text("{not json")
    with pytest.raises(KeySlotError, match="damaged"):
        KeySlotFile.load(tmp_path)
    (tmp_path / keyslots.FILENAME).write_text('{"format": "something else"}')
    with pytest.raises(KeySlotError, match="not a Waystation key-slot file"):
        KeySlotFile.load(tmp_path)


def test_test_kdf_is_refused_outside_the_test_suite(slots_dir, monkeypatch):
    folder, _ = slots_dir
    monkeypatch.delenv("WAYSTATION_INSECURE_TEST_KDF")
    with pytest.raises(KeySlotError, match="test-only"):
        KeySlotFile.load(folder).open(PASS)
    with pytest.raises(KeySlotError, match="test-only"):
        keyslots.create(folder / "new", PASS, "x", keyslots.INSECURE_TEST_KDF)


def test_production_kdf_is_argon2id_with_at_least_64_mib(tmp_path, monkeypatch):
    monkeypatch.delenv("WAYSTATION_INSECURE_TEST_KDF")
    assert keyslots.default_kdf() == keyslots.PRODUCTION_KDF
    assert keyslots.PRODUCTION_KDF.memory_kib >= 65536
    assert keyslots.PRODUCTION_KDF.iterations >= 3
    master = keyslots.create(tmp_path, PASS, "anna")
    assert json.loads((tmp_path / keyslots.FILENAME).read_text())["kdf"]["memory_kib"] == 65536
    assert KeySlotFile.load(tmp_path).open(PASS).master == master


def test_copied_slot_file_from_another_instance_does_not_open(slots_dir, tmp_path):
    folder, _ = slots_dir
    other = tmp_path / "other"
    other.mkdir()
    keyslots.create(other, PASS, "same passphrase elsewhere")
    ours = json.loads((folder / keyslots.FILENAME).read_text())
    theirs = json.loads((other / keyslots.FILENAME).read_text())
    ours["slots"] = theirs["slots"]  # slots are bound to their instance id
    (folder / keyslots.FILENAME).write_text(json.dumps(ours))
    assert KeySlotFile.load(folder).open(PASS).master is None
    shutil.rmtree(other)


def test_saving_overwrites_the_old_file_so_a_removed_passphrase_does_not_survive(slots_dir):
    import os

    folder, master = slots_dir
    path = folder / keyslots.FILENAME
    old_blocks = folder / "old-inode"
    os.link(path, old_blocks)  # stands in for the disk blocks the old file occupied
    slots = KeySlotFile.load(folder)
    slots.add(master, "marta's passphrase", "marta")
    slots.remove(master, "anna")
    slots.save()
    assert b"slots" not in old_blocks.read_bytes()  # random bytes now, not a key-slot file
    assert KeySlotFile.load(folder).open("marta's passphrase").master == master


def test_a_save_cut_short_after_the_overwrite_is_finished_on_load(slots_dir):
    folder, master = slots_dir
    path = folder / keyslots.FILENAME
    slots = KeySlotFile.load(folder)
    slots.add(master, "marta's passphrase", "marta")
    path.with_suffix(".tmp").write_bytes(slots.to_bytes())  # new file written …
    keyslots._overwrite_in_place(path)  # … old one overwritten, then the power went
    reloaded = KeySlotFile.load(folder)
    assert reloaded.open("marta's passphrase").master == master
    assert not path.with_suffix(".tmp").exists() and path.exists()
