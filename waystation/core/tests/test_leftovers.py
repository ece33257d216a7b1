"""What killed processes leave (issue 18, finding 8), found and cleaned in-process: spool files
no writer holds, and tasks whose worker's lease is free or expired."""

import fcntl
import hashlib
import io
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from waystation.core import worker as workers
from waystation.core.blobstore import blob_store
from waystation.outreach import jobs
from waystation.outreach.models import ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings, tmp_path):
    settings.BLOB_STORE = {**settings.BLOB_STORE, "backend": "local", "root": str(tmp_path / "b")}
    return blob_store()


def _aged(path, seconds=60):
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_spool_file_is_a_leftover_only_when_no_writer_holds_it(store):
    done = store.put(io.BytesIO(b"kept"))
    writing = store.writer()
    writing.write(b"x" * 100)
    (live,) = store.root.glob(".incoming-*")
    _aged(live)
    dead = store.root / ".incoming-k1ll3d"
    dead.write_bytes(b"WSBLOB1\n" + os.urandom(64))
    _aged(dead)
    fresh = store.root / ".incoming-just-made"
    fresh.write_bytes(b"")
    assert store.leftovers() == [dead]
    assert store.remove_leftovers() == 1
    assert live.exists() and fresh.exists() and not dead.exists()
    writing.write(b"y")
    assert store.verify(writing.finish().name, hashlib.sha256(b"x" * 100 + b"y").hexdigest())
    assert store.exists(done.name)


@task()
def chore() -> str:
    return "done"


def _running(worker_id: str, *, hours_ago: float = 0.0) -> DBTaskResult:
    result = DBTaskResult.objects.get(id=chore.enqueue().id)
    result.claim(worker_id)
    DBTaskResult.objects.filter(pk=result.pk).update(
        started_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return result


def _status(result) -> str:
    return DBTaskResult.objects.get(pk=result.pk).status


@pytest.mark.embedded  # file leases; on PostgreSQL leases are rows (test_worker_leases)
def test_tasks_of_dead_or_expired_workers_are_failed(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.TASKS_RETRIES = 0  # failed at once, not queued again (retries: test_worker_leases)
    leases = tmp_path / "leases"
    leases.mkdir()
    (leases / "dead-worker").write_text("")  # its process is gone: nobody holds the lock
    alive_fd = os.open(leases / "alive-worker", os.O_CREAT | os.O_RDWR)
    fcntl.flock(alive_fd, fcntl.LOCK_EX)
    try:
        dead = _running("dead-worker")
        alive = _running("alive-worker", hours_ago=1)
        elsewhere_recent = _running("other-host-worker", hours_ago=1)
        elsewhere_expired = _running("other-host-worker", hours_ago=settings.TASKS_LEASE_HOURS + 1)
        assert workers.abandoned_tasks_fail() == 2
        assert _status(dead) == _status(elsewhere_expired) == TaskResultStatus.FAILED
        assert _status(alive) == _status(elsewhere_recent) == TaskResultStatus.RUNNING
        failed = DBTaskResult.objects.get(pk=dead.pk)
        assert failed.exception_class_path == "waystation.core.worker.WorkerGone"
        assert sorted(p.name for p in leases.iterdir()) == ["alive-worker"]
    finally:
        os.close(alive_fd)


def test_an_abandoned_import_job_is_failed_and_its_upload_deleted(cast, settings, tmp_path, store):
    settings.DATA_DIR = tmp_path
    settings.TASKS_RETRIES = 0  # no try left: the job fails and its file goes
    blob = store.put(io.BytesIO("Дата,Организация\n01.10.2022,Pro Asyl\n".encode())).name
    job = jobs.import_job_start(
        actor=cast["coordinator"], blob=blob, filename="log.csv", reading={}, rows=1, language="ru"
    )
    result = DBTaskResult.objects.get(id=job.task_id)
    result.claim("killed-worker")
    ImportJob.objects.filter(pk=job.pk).update(status="running", started_at=timezone.now())
    (tmp_path / "leases").mkdir()
    (tmp_path / "leases" / "killed-worker").write_text("")
    assert workers.abandoned_tasks_fail() == 1
    job.refresh_from_db()
    assert job.status == "failed" and not job.blob and not store.exists(blob)
    assert job.reason == (
        "Фоновый обработчик остановился во время этого импорта; ничего не записано. "
        "Была 1 попытка. Импортируйте файл заново."
    )
