"""One instance, many processes (issue 27): in PostgreSQL mode the key slots and the
instance's state live in the database, so every app server and worker — each with its own
data directory, as on separate machines — unseals from the same passphrase, and a panic or a
duress passphrase on any of them seals all of them within a second.

Real processes, as an operator starts them: `waystation serve` twice and `waystation tasks
work`, on a database of their own in the test cluster."""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from django.urls import reverse

from waystation.core import shared_slots

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "one instance on many machines"
DURESS = "the words given under pressure"
LIMIT = 1.0  # seconds from the shredding to every process sealed


def _admin():
    """A connection to the cluster's own database (libpq variables of pg_virtualenv)."""
    return psycopg.connect(autocommit=True)


def _env(data_dir: Path, database: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env.pop("INVOCATION_ID", None)
    env.update(
        WAYSTATION_DATABASE="postgresql",
        PGDATABASE=database,
        WAYSTATION_INSECURE_TEST_KDF="1",
        WAYSTATION_DATA_DIR=str(data_dir),
        WAYSTATION_SECURE_COOKIES="0",
        WAYSTATION_TASKS_POLL_SECONDS="0.2",
    )
    return env


def _run(data_dir, database, *args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        input=stdin,
        env=_env(data_dir, database),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """`waystation serve` (or `tasks work`) in a subprocess of its own."""

    def __init__(self, data_dir: Path, database: str, *args, passphrase: Path | None = None):
        self.port = _free_port()
        command = [*args, "--port", str(self.port)] if args[0] == "serve" else list(args)
        if passphrase:
            command += ["--passphrase-file", str(passphrase)]
        self.log = data_dir.parent / f"{data_dir.name}-{args[0]}.log"
        self.popen = subprocess.Popen(  # this Python, our command line
            [sys.executable, "-m", "waystation", *command],
            env=_env(data_dir, database),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_serving(self, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.log.read_text()
            try:
                requests.get(self.url + "/", timeout=2, allow_redirects=False)
                return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"not serving: {self.log.read_text()}")

    def sealed(self) -> bool:
        """What a visitor sees: the sign-in page (unsealed) or "temporarily unavailable"."""
        answer = requests.get(self.url + reverse("accounts:login"), timeout=5)
        assert answer.status_code in (200, 503), answer.status_code
        return answer.status_code == 503

    def unseal_page(self, passphrase: str) -> str:
        browser = requests.Session()
        page = browser.get(self.url + reverse("unseal"), timeout=5).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        answer = browser.post(
            self.url + reverse("unseal"),
            data={"csrfmiddlewaretoken": token, "passphrase": passphrase},
            headers={"Referer": self.url + reverse("unseal")},
            timeout=60,
        )
        return answer.text

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def _state(data_dir, database) -> str:
    """waystation.core.panic.instance_state() of a fresh process (what /healthz answers)."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'waystation.settings'; "
        "django.setup(); from waystation.core.panic import instance_state; "
        "print(instance_state())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=_env(data_dir, database),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _our_connections(database: str) -> int:
    with _admin() as admin:
        return admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name LIKE 'waystation-%%'",
            (database,),
        ).fetchone()[0]


def _who(database: str) -> list:
    with _admin() as admin:
        return admin.execute(
            "SELECT application_name, state, left(query, 80), backend_start "
            "FROM pg_stat_activity WHERE datname = %s AND application_name LIKE 'waystation-%%'",
            (database,),
        ).fetchall()


def _generation(database: str) -> int:
    with psycopg.connect(dbname=database, autocommit=True) as conn:
        return conn.execute("SELECT generation FROM waystation_instance").fetchone()[0]


def _seconds_until_all_sealed(database, before, processes, *, connections=True) -> float:
    """From the moment the shared row changed (seen here by polling it) until every server
    answers sealed and (``connections``) no process of the instance holds a database
    connection any more."""
    deadline = time.monotonic() + 60
    while _generation(database) == before:
        assert time.monotonic() < deadline, "the slots were not shredded"
        time.sleep(0.005)
    shredded = time.monotonic()
    waiting = {f"server {i}": p for i, p in enumerate(processes)}
    if connections:
        waiting["connections"] = None
    took = {}
    while waiting:
        for name, process in list(waiting.items()):
            done = process.sealed() if process else not _our_connections(database)
            if done:
                took[name] = time.monotonic() - shredded
                del waiting[name]
        if "connections" in waiting and time.monotonic() - shredded > LIMIT:
            print(_who(database))
        assert time.monotonic() - shredded < 10, f"still open after 10 s: {list(waiting)}"
        time.sleep(0.01)
    print("\n" + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in took.items()))
    return max(took.values())


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database holding a fresh instance (made by `waystation init`, with a duress
    passphrase); each test copies it, so that each has an instance of its own."""
    folder = tmp_path_factory.mktemp("shared")
    name = f"ws_shared_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    made = _run(folder / "first", name, "init", "--passphrase-file", "-", stdin=PASSPHRASE + "\n")
    assert made.returncode == 0, made.stderr
    assert not (folder / "first" / "keyslots.json").exists()  # the slots are in the database
    (folder / "duress").write_text(DURESS + "\n")
    (folder / "passphrase").write_text(PASSPHRASE + "\n")
    added = _run(
        folder / "first", name, "passphrase", "add", "--duress", "--label", "d",
        "--new-passphrase-file", str(folder / "duress"),
        "--passphrase-file", str(folder / "passphrase"),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def instance(template, tmp_path):
    name = f"ws_copy_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    started = []
    yield name, tmp_path, started
    for process in started:
        process.stop()
    with _admin() as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _machine(tmp_path: Path, name: str) -> Path:
    """A data directory of its own, as on another machine: empty."""
    folder = tmp_path / name
    folder.mkdir(mode=0o700)
    return folder


def test_a_panic_on_one_process_seals_every_server_and_worker_within_a_second(instance):
    database, tmp_path, started = instance
    passphrase = tmp_path / "passphrase"
    a_dir, b_dir, w_dir = (_machine(tmp_path, n) for n in ("a", "b", "w"))
    a = Process(a_dir, database, "serve", "--no-worker")  # sealed: waits for its page
    b = Process(b_dir, database, "serve", passphrase=passphrase)
    worker = Process(w_dir, database, "tasks", "work", passphrase=passphrase)
    started += [a, b, worker]
    a.wait_serving(), b.wait_serving()
    assert a.sealed() and not b.sealed()
    # The same passphrase opens A through its unseal page.
    a.unseal_page(PASSPHRASE)
    assert not a.sealed()
    assert worker.popen.poll() is None, worker.log.read_text()
    assert _state(_machine(tmp_path, "probe"), database) == "sealed"  # a process not unsealed
    assert _our_connections(database) >= 3

    before = _generation(database)
    panic = subprocess.Popen(  # a third process, on a third "machine"
        [sys.executable, "-m", "waystation", "panic"],
        env=_env(_machine(tmp_path, "c"), database),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Both servers sealed, and every connection of the three processes (each thread's, the
    # worker's, the listeners') ended, within a second of the shredding.
    took = _seconds_until_all_sealed(database, before, [a, b])
    out, err = panic.communicate(timeout=120)
    assert panic.returncode == 0, err
    assert "Keys destroyed" in out
    assert took < LIMIT, f"{took:.2f} s"
    worker.popen.wait(30)  # the worker stops for good: no keys, nothing to do
    assert worker.popen.returncode != 0, worker.log.read_text()

    # A health check anywhere reports the panic; a restarted B stays sealed, the old
    # passphrase is "wrong".
    assert _state(_machine(tmp_path, "probe2"), database) == "panicked"
    b.stop()
    again = _run(b_dir, database, "serve", "--port", str(_free_port()),
                 "--passphrase-file", str(passphrase))  # fmt: skip
    assert again.returncode != 0
    assert again.stderr.strip().endswith("wrong passphrase"), again.stderr
    # A second init against this database is refused, in one line.
    second = _run(_machine(tmp_path, "d") / "new", database, "init", "--passphrase-file", "-",
                  stdin="a new instance passphrase\n")  # fmt: skip
    assert second.returncode != 0
    assert second.stderr.count("\n") == 1, second.stderr
    assert "already holds a Waystation instance" in second.stderr


def test_duress_on_one_servers_unseal_page_seals_the_other_and_looks_like_a_typo(instance):
    database, tmp_path, started = instance
    passphrase = tmp_path / "passphrase"
    a = Process(_machine(tmp_path, "a"), database, "serve", "--no-worker")
    b = Process(_machine(tmp_path, "b"), database, "serve", "--no-worker", passphrase=passphrase)
    started += [a, b]
    a.wait_serving(), b.wait_serving()
    assert a.sealed() and not b.sealed()

    before = _generation(database)
    answer = a.unseal_page(DURESS)
    # (A never held the keys: its connections, e.g. for the unseal page's shared pause, stay.)
    took = _seconds_until_all_sealed(database, before, [a, b], connections=False)
    assert "Wrong passphrase." in answer
    assert took < LIMIT, f"{took:.2f} s"
    # Nothing tells a duress from a typo: "sealed", not "panicked"; the real passphrase fails.
    assert _state(_machine(tmp_path, "probe"), database) == "sealed"
    b.stop()
    again = _run(b.log.parent / "b", database, "serve", "--port", str(_free_port()),
                 "--passphrase-file", str(passphrase))  # fmt: skip
    assert again.returncode != 0 and "wrong passphrase" in again.stderr


def test_a_key_slot_file_from_before_moves_into_the_database(instance):
    """An instance made when the slots were a file in the data directory: at its next
    `waystation migrate` (or start) the file's slots go into the database and the file is
    shredded; a second server's copy of the same file is shredded too, the database wins."""
    database, tmp_path, _ = instance
    with psycopg.connect(dbname=database, autocommit=True) as conn:
        text = conn.execute("SELECT keyslots FROM waystation_instance").fetchone()[0]
        conn.execute("DROP TABLE waystation_instance")  # as before the upgrade
    old, copy = _machine(tmp_path, "old"), _machine(tmp_path, "copy")
    for folder in (old, copy):
        (folder / "keyslots.json").write_text(text)
        (folder / "keyslots.json").chmod(0o600)
    passphrase = str(tmp_path / "passphrase")
    moved = _run(old, database, "migrate", "--passphrase-file", passphrase)
    assert moved.returncode == 0, moved.stderr
    assert not (old / "keyslots.json").exists()
    with psycopg.connect(dbname=database, autocommit=True) as conn:
        assert conn.execute("SELECT keyslots FROM waystation_instance").fetchone()[0] == text
    opened = _run(copy, database, "passphrase", "list", "--passphrase-file", passphrase)
    assert opened.returncode == 0, opened.stderr
    assert "normal  first coordinator" in opened.stdout
    assert not (copy / "keyslots.json").exists()


def test_shredded_slots_leave_no_old_version_in_the_table():
    """The row is overwritten and VACUUMed: no earlier version of the slots (from a panic or a
    change of passphrases) is left in the table's pages (read raw with pageinspect). What the
    WAL and copies keep is in docs/security.md."""
    name = f"ws_vacuum_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        place = shared_slots.Place((("dbname", name),))
        assert shared_slots.create(place, "OLD-SLOTS-0" + secrets.token_hex(700))
        assert not shared_slots.create(place, "a second instance")  # init refused
        for i in range(1, 4):  # passphrases added and removed: more old versions
            shared_slots.write(place, f"OLD-SLOTS-{i}" + secrets.token_hex(700))
        assert shared_slots.shred(place, lambda: secrets.token_hex(706), panic=True)
        with psycopg.connect(dbname=name, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
            pages = conn.execute(
                "SELECT pg_relation_size('waystation_instance') "
                "/ current_setting('block_size')::int"
            ).fetchone()[0]
            raw = b"".join(
                conn.execute("SELECT get_raw_page('waystation_instance', %s)", (p,)).fetchone()[0]
                for p in range(pages)
            )
            toast = conn.execute(
                "SELECT pg_relation_size(reltoastrelid) FROM pg_class "
                "WHERE relname = 'waystation_instance'"
            ).fetchone()[0]
            assert conn.execute("SELECT panicked FROM waystation_instance").fetchone()[0]
        assert pages >= 1 and b"OLD-SLOTS" not in raw
        assert toast == 0  # stored inline: nothing went to a TOAST table
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_restore_after_a_panic_ends_the_panicked_state_but_a_passphrase_change_does_not():
    """A backup restored (opened by an offline age key) after a panic brings working slots
    back: the instance is no longer reported panicked. Adding a passphrase is no restore."""
    name = f"ws_restore_{secrets.token_hex(4)}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        place = shared_slots.Place((("dbname", name),))
        assert shared_slots.create(place, "SLOTS-" + secrets.token_hex(20))
        assert shared_slots.shred(place, lambda: secrets.token_hex(23), panic=True)
        shared_slots.write(place, "A-CHANGE-" + secrets.token_hex(20))
        assert shared_slots.read(place).panicked
        shared_slots.write(place, "RESTORED-" + secrets.token_hex(20), restored=True)
        row = shared_slots.read(place)
        assert not row.panicked
        assert row.text.startswith("RESTORED-")
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
