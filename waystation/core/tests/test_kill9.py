"""Killed with SIGKILL half-way (issue 18, finding 8): an ingest, a background import and a
backup, each stopped at a random point of its work, leave nothing behind once `evidence
verify` or a restart has run — no half-written file in the store, no hidden backup folder, no
job "running" for ever — and the audit log and every stored item still verify.

A real instance, driven through the command line as an operator would; the random points are
drawn from a seed printed with any failure."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "an instance killed on purpose"
SEED = int(os.environ.get("WAYSTATION_KILL_SEED") or time.time())
# On PostgreSQL the instance gets a database of its own (`init` refuses one in use).
_DATABASE: dict[str, str] = {}


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    if os.environ.get("WAYSTATION_DATABASE"):
        env["WAYSTATION_DATABASE"] = os.environ["WAYSTATION_DATABASE"]  # the PostgreSQL run
    env.update(_DATABASE)
    env["WAYSTATION_INSECURE_TEST_KDF"] = "1"
    env["WAYSTATION_DATA_DIR"] = str(data_dir)
    env["WAYSTATION_PASSPHRASE_FILE"] = str(data_dir.parent / "passphrase")
    env["WAYSTATION_TASKS_POLL_SECONDS"] = "0.2"
    env["WAYSTATION_TASKS_RETRY_SECONDS"] = "0"  # a killed import is tried again at once
    return env


def _run(data_dir, *args, stdin="", ok=True):
    result = subprocess.run(
        [sys.executable, "-m", "waystation", *args],
        input=stdin,
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert result.returncode == 0, f"seed {SEED}: {args}: {result.stderr}"
    return result


def _start(data_dir, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "waystation", *args],
        env=_env(data_dir),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _size(path) -> int:
    """A file's size, or -1 once it is gone: the command renames or removes its part file when
    it ends, which may fall between finding the file and reading its size."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _kill_when(process, ready, *, seconds: float, also_after: float = 0.0) -> bool:
    """SIGKILL ``process`` ``also_after`` seconds after ``ready()`` first holds (or when it has
    ended by itself); True when it was killed while still running."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None and not ready():
        time.sleep(0.01)
    time.sleep(also_after)
    running = process.poll() is None
    if running:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return running


# The framework's `shell` is refused on a real instance (waystation/cli.py), so the test's own
# steps run as a plain Python process that unseals the way every command does.
_PREAMBLE = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
django.setup()
from waystation.core.unsealing import unseal_for_command
unseal_for_command()
"""


def _shell(data_dir, code: str):
    result = subprocess.run(
        [sys.executable, "-c", _PREAMBLE + code],
        env=_env(data_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"seed {SEED}: {result.stderr}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("killed") / "instance"
    (data_dir.parent / "passphrase").write_text(PASSPHRASE + "\n")
    server = os.environ.get("WAYSTATION_DATABASE") == "postgresql"
    if server:
        _DATABASE["PGDATABASE"] = f"waystation_killed_{os.getpid()}"
        with psycopg.connect(dbname="postgres", autocommit=True) as db:
            name = sql.Identifier(_DATABASE["PGDATABASE"])
            db.execute(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        _run(data_dir, "init", "--data-dir", str(data_dir), "--passphrase-file", "-",
             stdin=PASSPHRASE + "\n")
        _run(data_dir, "user", "add", "anna", "--role", "coordinator", "--password-file", "-",
             stdin="a long enough password\n")
        codename = _run(data_dir, "case", "new").stdout.strip().splitlines()[-1]
        yield data_dir, codename
    finally:
        if server:
            with psycopg.connect(dbname="postgres", autocommit=True) as db:
                db.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(_DATABASE.pop("PGDATABASE"))
                    )
                )


@pytest.fixture
def rng():
    return random.Random(SEED)


def _spool_files(data_dir):
    return sorted((data_dir / "blobs").glob(".incoming-*")) if (data_dir / "blobs").exists() else []


def test_killed_ingests_leave_no_half_written_file(instance, rng, tmp_path):
    data_dir, codename = instance
    video = tmp_path / "video.bin"
    with open(video, "wb") as out:
        for _ in range(96):
            out.write(rng.randbytes(1 << 20))
    killed = 0
    for _ in range(3):
        grown = rng.randint(1, 60) << 20  # kill once the spool file holds this much
        ingest = _start(data_dir, "evidence", "ingest", str(video), "--case", codename)
        killed += _kill_when(
            ingest,
            lambda g=grown: any(_size(p) >= g for p in _spool_files(data_dir)),
            seconds=60,
        )
    assert killed, f"seed {SEED}: no ingest was still running when its point came"
    assert _spool_files(data_dir), f"seed {SEED}: the kills left no spool file to find"
    time.sleep(2.1)  # a spool file is taken for a leftover 2 s after its last write
    first = _run(data_dir, "evidence", "verify").stdout
    assert "half-written file(s) that an interrupted upload or ingest left" in first
    assert _spool_files(data_dir) == []
    assert "Removed" not in _run(data_dir, "evidence", "verify").stdout
    assert "audit log intact" in _run(data_dir, "audit", "verify").stdout
    # One more, killed the same way, is cleaned by a restart (a worker or a server starting).
    ingest = _start(data_dir, "evidence", "ingest", str(video), "--case", codename)
    _kill_when(ingest, lambda: any(_size(p) > 1 << 20 for p in _spool_files(data_dir)),
               seconds=60)
    time.sleep(2.1)
    _run(data_dir, "tasks", "work", "--once")
    assert _spool_files(data_dir) == []


_QUEUE_IMPORT = """
import io, json
from waystation.accounts.models import User
from waystation.core.blobstore import blob_store
from waystation.outreach.jobs import import_job_start
rows = ["Дата,Организация,Контактное лицо,Канал,Ответ,Дата ответа,Комментарий"]
rows += [
    f"{1 + n % 28:02d}.10.2022,Организация {n % 700},отдел,email,нет ответа,,"
    for n in range(ROWS)
]
blob = blob_store().put(io.BytesIO("\\n".join(rows).encode())).name
job = import_job_start(actor=User.objects.get(username="anna"), blob=blob, filename="log.csv",
                       reading={}, rows=ROWS, language="en")
print(json.dumps([job.pk, blob]))
"""

_JOB_STATE = """
import json
from django_tasks_db.models import DBTaskResult
from waystation.core.blobstore import blob_store
from waystation.outreach.models import ImportJob
job = ImportJob.objects.get(pk=JOB)
print(json.dumps({
    "job": job.status, "reason": job.reason, "blob_kept": blob_store().exists("BLOB"),
    "tasks": sorted(DBTaskResult.objects.values_list("status", flat=True)),
}))
"""


@pytest.mark.embedded  # on PostgreSQL: test_workers_processes.py, with two machines
def test_a_killed_import_is_retried_or_failed_and_its_file_removed_at_restart(instance, rng):
    data_dir, _codename = instance
    job, blob = _shell(data_dir, _QUEUE_IMPORT.replace("ROWS", "40000"))
    worker = _start(data_dir, "tasks", "work")
    leases = data_dir / "leases"
    killed = _kill_when(
        worker,
        lambda: leases.is_dir() and any(leases.iterdir()),
        seconds=60,
        also_after=rng.uniform(0.5, 3.0),
    )
    assert killed, f"seed {SEED}: the worker ended by itself"
    # A restart of the worker: the dead worker's task is queued again and runs to the end
    # (or, had it no tries left, is failed with a reason); the uploaded file is deleted.
    _run(data_dir, "tasks", "work", "--once")
    state = _shell(data_dir, _JOB_STATE.replace("JOB", str(job)).replace("BLOB", blob))
    assert state["job"] in {"failed", "done"}, (SEED, state)
    if state["job"] == "failed":
        assert "The worker stopped while running this import" in state["reason"]
    assert not state["blob_kept"] and "RUNNING" not in state["tasks"], (SEED, state)
    assert not leases.exists() or list(leases.iterdir()) == []
    assert "audit log intact" in _run(data_dir, "audit", "verify").stdout


def test_a_killed_backup_leaves_no_hidden_folder_after_the_next(instance, rng, tmp_path):
    data_dir, _codename = instance
    out = tmp_path / "usb"
    out.mkdir()
    for n in range(2):
        backup = _start(data_dir, "backup", "--out", str(out / f"killed-{n}.backup"))
        point = rng.randint(0, 40) << 20
        _kill_when(
            backup,
            lambda p=point: any(
                _size(f) >= p for f in out.glob(".backup-*/backup.partial")
            ),
            seconds=60,
        )
    left = [p.name for p in out.iterdir()]
    made = _run(data_dir, "backup", "--out", str(out / "good.backup")).stdout
    if any(name.startswith(".backup-") for name in left):
        assert "left by an interrupted backup" in made
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
    assert "good.backup" in {p.name for p in out.iterdir()}
    assert "audit log intact" in _run(data_dir, "audit", "verify").stdout
