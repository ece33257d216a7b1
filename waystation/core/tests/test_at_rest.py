"""A seized data directory reveals nothing without the key: the embedded database and its WAL
carry no SQLite header, no schema text and no stored values; a wrong key fails at once."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from waystation.core.db.base import DatabaseWrapper
from waystation.core.keyring import KEYRING

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "correct horse battery staple"
TELLTALES = [
    b"SQLite format 3",
    b"CREATE TABLE",
    b"accounts_user",
    b"audit_auditevent",
    b"sentinel-username",
    b"argon2",
]


def _run(*args, stdin=""):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env["WAYSTATION_INSECURE_TEST_KDF"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        input=stdin,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def seized(tmp_path_factory):
    """A real instance with data in it, as found on a seized laptop (server stopped)."""
    data_dir = tmp_path_factory.mktemp("seized") / "instance"
    _run("init", "--data-dir", str(data_dir), "--passphrase-file", "-", stdin=PASSPHRASE + "\n")
    passfile = data_dir.parent / "pass"
    passfile.write_text(PASSPHRASE + "\n")
    _run(
        "user",
        "add",
        "sentinel-username",
        "--role",
        "coordinator",
        "--display-name",
        "Sentinel Display",
        "--password-file",
        "-",
        "--data-dir",
        str(data_dir),
        "--passphrase-file",
        str(passfile),
        stdin="a long enough password\n",
    )
    passfile.unlink()
    return data_dir


def test_nothing_in_the_data_directory_reads_as_sqlite_or_text(seized):
    files = [p for p in seized.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"keyslots.json", "waystation.sqlite3"}
    for path in files:
        data = path.read_bytes()
        for telltale in TELLTALES:
            assert telltale not in data, (path.name, telltale)
        assert b"Sentinel Display" not in data


def test_plain_sqlite_cannot_open_the_database(seized):
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(seized / "waystation.sqlite3").execute("SELECT * FROM sqlite_master")


def test_a_wrong_key_fails_loudly(seized):
    connection = sqlcipher.connect(str(seized / "waystation.sqlite3"))
    connection.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")
    with pytest.raises(sqlcipher.DatabaseError):
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _backend_for(path):
    return DatabaseWrapper(
        {
            "NAME": str(path),
            "OPTIONS": {},
            "TIME_ZONE": None,
            "AUTOCOMMIT": True,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
            "TEST": {},
            "ATOMIC_REQUESTS": False,
            "ENGINE": "waystation.core.db",
        }
    )


def test_the_backend_refuses_a_key_that_does_not_open_the_file(seized, restore_keyring):
    wrapper = _backend_for(seized / "waystation.sqlite3")
    KEYRING.install(os.urandom(32), seized)  # the keys of some other instance
    with pytest.raises(sqlcipher.DatabaseError, match="cannot open the database with this key"):
        wrapper.get_new_connection(wrapper.get_connection_params())


def test_a_sealed_process_cannot_connect(seized, restore_keyring):
    wrapper = _backend_for(seized / "waystation.sqlite3")
    KEYRING.drop()
    with pytest.raises(sqlcipher.OperationalError, match="sealed"):
        wrapper.get_new_connection(wrapper.get_connection_params())


def test_destroying_the_keys_closes_other_threads_connections(seized, tmp_path, restore_keyring):
    import threading

    from waystation.core.db import base as backend

    assert backend.close_connections_of_other_threads in KEYRING._destroy_hooks
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes((seized / "waystation.sqlite3").read_bytes())
    held = {}

    def server_thread():  # a connection opened and kept by another thread, as waitress does
        wrapper = _backend_for(copy)
        held["conn"] = wrapper.get_new_connection(wrapper.get_connection_params())

    from waystation.core.keyring import KeyRing

    ring_for_copy = KeyRing()
    assert ring_for_copy.unseal(seized, PASSPHRASE)
    KEYRING.install(ring_for_copy.master_for_key_management(), seized)
    worker = threading.Thread(target=server_thread)
    worker.start()
    worker.join()
    held["conn"].execute("SELECT count(*) FROM sqlite_master")
    backend.close_connections_of_other_threads()
    with pytest.raises(sqlcipher.ProgrammingError, match="closed"):
        held["conn"].execute("SELECT count(*) FROM sqlite_master")
