"""Leases, retries and cancels of the background worker (core/worker.py): a task that a dead
worker left running is queued again after a pause, as often as allowed, then failed, and its
app cleans up exactly once; a live worker's task is left alone; on PostgreSQL a lease is an
advisory lock and a heartbeat, and a worker whose lease was taken stops."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from waystation.core import worker as workers
from waystation.core.models import WorkerLease
from waystation.core.worker import Worker, abandoned_tasks_fail, on_abandoned

RETRIED: list[int] = []
CLEANED: list[tuple[int, int]] = []


@task()
def guarded(n: int) -> int:
    return n


def _retried(args_kwargs: dict) -> None:
    RETRIED.append(args_kwargs["args"][0])


@on_abandoned(guarded.module_path, before_retry=_retried)
def _cleaned(args_kwargs: dict, attempts: int) -> None:
    CLEANED.append((args_kwargs["args"][0], attempts))


@pytest.fixture(autouse=True)
def _fresh(settings, monkeypatch):
    RETRIED.clear()
    CLEANED.clear()
    settings.TASKS_POLL_SECONDS = 0.05
    monkeypatch.setattr("waystation.core.worker._PERIODIC", [])


def _claimed_by_a_dead_worker(row: DBTaskResult, worker_id: str) -> None:
    """As a worker that took the task and was then killed: on PostgreSQL it holds no lease
    any more; on the embedded database its lease file is left, unlocked."""
    if connection.vendor != "postgresql":
        folder = Path(settings.DATA_DIR) / "leases"
        folder.mkdir(mode=0o700, exist_ok=True)
        (folder / worker_id).touch()
    row.claim(worker_id)


@pytest.mark.django_db
def test_a_dead_workers_task_is_retried_with_a_pause_then_failed_and_cleaned_once(settings):
    settings.TASKS_RETRIES = 1
    settings.TASKS_RETRY_SECONDS = 30
    row = DBTaskResult.objects.get(pk=guarded.enqueue(7).id)
    _claimed_by_a_dead_worker(row, "dead-one")
    assert abandoned_tasks_fail() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.READY
    assert 20 < (row.run_after - timezone.now()).total_seconds() <= 30
    assert RETRIED == [7] and CLEANED == []
    assert Worker().run(once=True) == 0  # not before its pause is over

    DBTaskResult.objects.filter(pk=row.pk).update(run_after=timezone.now())
    row.refresh_from_db()
    _claimed_by_a_dead_worker(row, "dead-two")
    assert abandoned_tasks_fail() == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
    assert row.exception_class_path == "waystation.core.worker.WorkerGone"
    assert CLEANED == [(7, 2)]
    # Found again by another worker: nothing happens twice.
    assert abandoned_tasks_fail() == 0 and CLEANED == [(7, 2)] and RETRIED == [7]


@pytest.mark.django_db
def test_the_pause_doubles_and_no_retries_fails_at_once(settings):
    settings.TASKS_RETRIES = 0
    row = DBTaskResult.objects.get(pk=guarded.enqueue(3).id)
    _claimed_by_a_dead_worker(row, "dead-three")
    assert abandoned_tasks_fail() == 1
    assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.FAILED
    assert CLEANED == [(3, 1)] and RETRIED == []
    settings.TASKS_RETRY_SECONDS = 10
    assert [workers._backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]


@pytest.mark.django_db
def test_a_live_workers_task_is_left_alone():
    row = DBTaskResult.objects.get(pk=guarded.enqueue(5).id)
    alive = Worker()
    kind = workers._DatabaseLease if connection.vendor == "postgresql" else workers._FileLease
    lease = kind(alive.worker_id, alive.stop)
    try:
        row.claim(alive.worker_id)
        assert abandoned_tasks_fail() == 0
        assert DBTaskResult.objects.get(pk=row.pk).status == TaskResultStatus.RUNNING
    finally:
        lease.release()
    # Its lease gone while the task is still marked running (as after a crash that let the
    # lock go): the task is taken back.
    if connection.vendor != "postgresql":
        (Path(settings.DATA_DIR) / "leases" / alive.worker_id).touch()
    assert abandoned_tasks_fail() == 1 and RETRIED == [5]


@pytest.mark.postgresql
def test_a_lease_not_renewed_is_dead_and_its_worker_stops(transactional_db, settings):
    settings.TASKS_HEARTBEAT_SECONDS = 0.1
    settings.TASKS_LEASE_SECONDS = 5
    row = DBTaskResult.objects.get(pk=guarded.enqueue(9).id)
    lost = threading.Event()
    lease = workers._DatabaseLease("stuck-worker", lost.set)
    try:
        row.claim("stuck-worker")
        assert abandoned_tasks_fail() == 0  # lock held, heartbeat fresh
        with workers.connections["default"].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            assert cursor.fetchone()[0] >= 1
        # A machine that froze: the lock is still held, but the heartbeat stopped.
        lease._stop.set()
        lease._thread.join(5)
        WorkerLease.objects.filter(worker_id="stuck-worker").update(
            heartbeat_at=timezone.now() - timedelta(minutes=10)
        )
        assert abandoned_tasks_fail() == 1 and RETRIED == [9]
        assert not WorkerLease.objects.filter(worker_id="stuck-worker").exists()
        # It wakes up: its next heartbeat finds its lease gone, and it stops.
        lease._stop.clear()
        lease._thread = threading.Thread(target=lease._beat, daemon=True)
        lease._thread.start()
        assert lost.wait(5), "the worker did not notice its lease was taken"
    finally:
        lease.release()
