"""Several `waystation tasks work` processes on one PostgreSQL database, each with its own data
directory as on separate machines (a shared file store): two workers never run the same task;
a worker killed with SIGKILL in the middle of an import leaves a job that another worker
finishes (its file removed) or, with no retries left, fails with a reason the member reads;
a worker stops cleanly on SIGTERM, giving its import back to the queue.

A real instance in a database of its own, driven through the command line."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[3]
PASSPHRASE = "workers on one database"
ROWS = 30000


def _env(data_dir: Path, database: str, shared: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYSTATION_", "DJANGO_"))}
    env.update(
        WAYSTATION_DATABASE="postgresql",
        PGDATABASE=database,
        WAYSTATION_INSECURE_TEST_KDF="1",
        WAYSTATION_DATA_DIR=str(data_dir),
        WAYSTATION_PASSPHRASE_FILE=str(shared / "passphrase"),
        WAYSTATION_BLOB_DIR=str(shared / "blobs"),  # the bucket both machines share
        WAYSTATION_TASKS_POLL_SECONDS="0.1",
        WAYSTATION_TASKS_RETRY_SECONDS="0",
        **extra,
    )
    return env


class _Instance:
    def __init__(self, folder: Path, database: str):
        self.folder, self.database = folder, database
        self.a, self.b = folder / "machine-a", folder / "machine-b"

    def env(self, data_dir=None, **extra) -> dict:
        return _env(data_dir or self.a, self.database, self.folder, **extra)

    def run(self, *args, data_dir=None, stdin="", **extra):
        result = subprocess.run(
            [sys.executable, "-m", "waystation", *args],
            input=stdin,
            env=self.env(data_dir, **extra),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"{args}: {result.stderr}"
        return result

    def start(self, *args, data_dir=None, **extra) -> subprocess.Popen:
        self.log = self.folder / f"worker-{uuid.uuid4().hex[:6]}.log"
        with open(self.log, "wb") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "waystation", *args],
                env=self.env(data_dir, **extra),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def said(self) -> str:
        return self.log.read_text()[-3000:]

    def python(self, code: str):
        result = subprocess.run(
            [sys.executable, "-c", _PREAMBLE + code],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def query(self, statement: str, *params):
        with psycopg.connect(dbname=self.database, autocommit=True) as db:
            return db.execute(statement, params).fetchall()


_PREAMBLE = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "waystation.settings")
django.setup()
from waystation.core.unsealing import unseal_for_command
unseal_for_command()
"""


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("workers")
    database = f"waystation_workers_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dbname="postgres", autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        made = _Instance(folder, database)
        (folder / "passphrase").write_text(PASSPHRASE + "\n")
        made.run("init", "--data-dir", str(made.a), "--passphrase-file", "-",
                 stdin=PASSPHRASE + "\n")  # fmt: skip
        made.run("user", "add", "anna", "--role", "coordinator", "--password-file", "-",
                 stdin="a long enough password\n")  # fmt: skip
        made.b.mkdir(mode=0o700)  # the second machine: an empty data directory, no init
        yield made
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True) as db:
            db.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


_QUEUE_MARKS = """
import json
from waystation.core.tests.worker_tasks import mark
print(json.dumps([str(mark.enqueue(n, "LOG").id) for n in range(COUNT)]))
"""


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_two_workers_never_run_the_same_task(instance, tmp_path):
    log = tmp_path / "runs.log"
    log.touch()
    ids = instance.python(_QUEUE_MARKS.replace("COUNT", "40").replace("LOG", str(log)))
    one = instance.start("tasks", "work", data_dir=instance.a)
    two = instance.start("tasks", "work", data_dir=instance.b)
    try:
        assert _wait(lambda: len(log.read_text().split()) >= 40, 120), log.read_text()
        time.sleep(0.5)
    finally:
        for worker in (one, two):
            worker.send_signal(signal.SIGTERM)
        for worker in (one, two):
            assert worker.wait(30) == 0
    runs = log.read_text().split()
    assert sorted(runs, key=int) == [str(n) for n in range(40)]  # each once, none twice
    pids = {line for line in (tmp_path / "runs.log.pids").read_text().split()}
    assert len(pids) == 2, "both workers took tasks"
    done = instance.query(
        "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE id = ANY(%s::uuid[]) "
        "AND status = 'SUCCESSFUL'",
        ids,
    )
    assert done == [(40,)]
    assert instance.query("SELECT count(*) FROM core_workerlease") == [(0,)]


_QUEUE_IMPORT = """
import io, json
from waystation.accounts.models import User
from waystation.core.blobstore import blob_store
from waystation.outreach.jobs import import_job_start
rows = ["Дата,Организация,Контактное лицо,Канал,Ответ,Дата ответа,Комментарий"]
rows += [
    f"{1 + n % 28:02d}.10.2022,Организация {n % ORGS},отдел,email,нет ответа,,"
    for n in range(ROWS)
]
blob = blob_store().put(io.BytesIO("\\n".join(rows).encode())).name
job = import_job_start(actor=User.objects.get(username="anna"), blob=blob, filename="log.csv",
                       reading={}, rows=ROWS, language="en")
print(json.dumps([job.pk, blob]))
"""


def _job(instance, job: int) -> tuple[str, str]:
    return instance.query("SELECT status, reason FROM outreach_importjob WHERE id = %s", job)[0]


def _blob_kept(instance, blob: str) -> bool:
    return any((instance.folder / "blobs").rglob(blob))


def _kill_mid_import(instance, job: int, *, data_dir) -> None:
    worker = instance.start("tasks", "work", data_dir=data_dir)
    try:
        began = _wait(lambda: _job(instance, job)[0] == "running", 90)
        assert began, (_job(instance, job), instance.said())
        time.sleep(0.3)
        assert worker.poll() is None, "the worker ended by itself"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert _job(instance, job)[0] == "running"  # left behind, as a dead worker leaves it


def test_a_worker_killed_mid_import_leaves_a_job_another_worker_finishes(instance):
    job, blob = instance.python(_QUEUE_IMPORT.replace("ROWS", str(ROWS)).replace("ORGS", "700"))
    _kill_mid_import(instance, job, data_dir=instance.a)
    assert _blob_kept(instance, blob)  # kept for the next try
    assert instance.query("SELECT count(*) FROM outreach_approach") == [(0,)]
    # The other machine's worker: the dead worker's lease is free at once (its connections
    # died with it), the task is queued again and written in full.
    instance.run("tasks", "work", "--once", data_dir=instance.b)
    status, reason = _job(instance, job)
    assert (status, reason) == ("done", "")
    # 700 different approaches in the 30 000 rows (the others repeat them), all written.
    assert instance.query("SELECT count(*) FROM outreach_approach") == [(700,)]
    assert not _blob_kept(instance, blob)
    listed = instance.run("tasks", "list", data_dir=instance.b).stdout
    assert "SUCCESSFUL\trun_import_job\ttries=2" in listed


def test_with_no_retries_left_the_job_fails_with_a_reason_and_its_file_goes(instance):
    job, blob = instance.python(_QUEUE_IMPORT.replace("ROWS", str(ROWS)).replace("ORGS", "700"))
    before = instance.query("SELECT count(*) FROM outreach_approach")
    _kill_mid_import(instance, job, data_dir=instance.b)
    instance.run("tasks", "work", "--once", data_dir=instance.a, WAYSTATION_TASKS_RETRIES="0")
    status, reason = _job(instance, job)
    assert status == "failed"
    assert reason == (
        "The worker stopped while running this import; nothing was written. "
        "It was tried once. Import the file again."
    )
    assert not _blob_kept(instance, blob)
    assert instance.query("SELECT count(*) FROM outreach_approach") == before
    listed = instance.run("tasks", "list", data_dir=instance.a).stdout
    assert "FAILED\trun_import_job\ttries=1" in listed and "WorkerGone" in listed


def test_sigterm_gives_the_running_import_back(instance):
    # Every row a new organisation: a long write, with a step every thousand rows.
    job, blob = instance.python(_QUEUE_IMPORT.replace("ROWS", str(ROWS)).replace("ORGS", "10**6"))
    before = instance.query("SELECT count(*) FROM outreach_approach")
    worker = instance.start("tasks", "work", data_dir=instance.a)
    assert _wait(lambda: _job(instance, job)[0] == "running", 90), (
        _job(instance, job), instance.said()
    )
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0, instance.said()
    assert _job(instance, job) == ("queued", "")
    assert _blob_kept(instance, blob)
    assert instance.query("SELECT count(*) FROM outreach_approach") == before
    listed = instance.run("tasks", "list", data_dir=instance.a).stdout
    assert "READY\trun_import_job\ttries=0" in listed
