"""The background worker: runs the tasks queued in the database (django-tasks' database
backend), in this process, with this process's keys.

A worker needs the keys as much as a request does, so it runs only while the instance is
unsealed: as a thread of `waystation serve` (``BackgroundWorker``, started once the server is
unsealed, stopped when the server stops or the keys are destroyed) or as
`waystation tasks work` (``Worker.run`` in the foreground).

django-tasks has no scheduler, so apps register periodic checks (``every``) that the worker
calls between tasks, e.g. "is this week's digest built? if not, queue it".

Leases: a worker holds a lock on a file of its own (``DATA_DIR/leases/<worker id>``) while it
runs; the system lets go of it when the process dies, ``kill -9`` included. A task still marked
running whose worker's lease is free — or that has been running longer than
``TASKS_LEASE_HOURS``, whichever machine ran it — was abandoned: a worker marks it failed when
it starts and every minute after, and the app that queued it cleans up after it
(``on_abandoned``: an import job is marked failed and its uploaded file deleted).
"""

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .keyring import KEYRING, KeyRing
from .unsealing import pending_migrations

logger = logging.getLogger(__name__)

_PERIODIC: list[tuple[float, Callable[[], None]]] = []
_ABANDONED_EVERY = 60.0
_ABANDONED: dict[str, Callable[[dict], None]] = {}
_current = threading.local()


def every(seconds: float):
    """Register ``check()`` to run in every worker about once per ``seconds`` (and when the
    worker starts). A check must be cheap and safe to run in several workers at once."""

    def register(check):
        _PERIODIC.append((seconds, check))
        return check

    return register


def on_abandoned(task_path: str):
    """Register ``clean_up(args_kwargs)``, run (in the transaction that marks it failed) for a
    task of ``task_path`` that a dead worker left running."""

    def register(clean_up):
        _ABANDONED[task_path] = clean_up
        return clean_up

    return register


class WorkerGone(Exception):
    """The worker running this task stopped without finishing it (killed, crashed, or its
    machine went away)."""


def _lease_dir() -> Path:
    return Path(settings.DATA_DIR) / "leases"


class _Lease:
    """The lock file that says "this worker is alive"; the system drops the lock when the
    process dies, however it dies."""

    def __init__(self, worker_id: str):
        folder = _lease_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / worker_id
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self._fd)


def _lease_free(path: Path) -> bool:
    """Whether no living worker holds ``path`` (taking the lock for a moment to find out)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def abandoned_tasks_fail() -> int:
    """Mark failed the tasks that dead workers left running, let their apps clean up, and
    remove the leases of dead workers. Returns how many tasks there were."""
    expired = timezone.now() - timedelta(hours=settings.TASKS_LEASE_HOURS)
    failed = 0
    for task in DBTaskResult.objects.running().only("id", "task_path", "worker_ids", "started_at"):
        worker = (task.worker_ids or [""])[-1]
        lease = _lease_dir() / worker if worker and "/" not in worker else None
        dead = lease is not None and _lease_free(lease)
        if not dead and not (task.started_at and task.started_at < expired):
            continue
        with transaction.atomic():
            marked = DBTaskResult.objects.filter(
                pk=task.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}",
                traceback="",
                return_value=None,
            )
            if marked and task.task_path in _ABANDONED:
                _ABANDONED[task.task_path](DBTaskResult.objects.get(pk=task.pk).args_kwargs)
        failed += marked
    if _lease_dir().is_dir():
        for path in _lease_dir().iterdir():
            if _lease_free(path):
                path.unlink(missing_ok=True)
    return failed


def stopping() -> bool:
    """Whether the worker running the current task has been asked to stop (server stopping,
    keys destroyed). Long tasks look at this and give up cleanly, writing nothing."""
    worker = getattr(_current, "worker", None)
    return worker is not None and worker.stop_event.is_set()


class Worker(DatabaseWorker):
    """django-tasks-db's worker (claiming and running a task, recording its result), in a loop
    that stops when asked, when the keys are gone, and never works while sealed."""

    def __init__(self, *, keyring: KeyRing = KEYRING, stop_event: threading.Event | None = None):
        super().__init__(
            queue_names=settings.TASKS["default"].get("QUEUES", ["default"]),
            interval=settings.TASKS_POLL_SECONDS,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{os.getpid()}-{get_random_string(12)}",
            excluded_queue_names=[],
        )
        self.keyring = keyring
        self.stop_event = stop_event or threading.Event()
        self._next_check = [0.0] * (len(_PERIODIC) + 1)

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, *, once: bool = False) -> int:
        """Run queued tasks until stopped; with ``once``, until the queue is empty. Returns
        how many tasks ran."""
        _current.worker = self
        lease = _Lease(self.worker_id)
        try:
            while not self.stop_event.is_set():
                self.keyring.notice_shredding()  # `waystation panic` from another process
                if self.keyring.sealed:
                    break
                self._fresh_connection()
                self._run_periodic_checks()
                claimed = self._claim()
                if claimed is not None:
                    self.run_task(claimed)
                    continue
                if once:
                    break
                self.stop_event.wait(self.interval)
        finally:
            _current.worker = None
            lease.release()
        return self._run_tasks

    def _fresh_connection(self) -> None:
        # Between tasks as between requests: drop a broken or expired connection. Not inside
        # a transaction the caller holds open (a test running the worker in its own).
        if not connection.in_atomic_block:
            close_old_connections()

    def _run_periodic_checks(self) -> None:
        now = time.monotonic()
        checks = [(_ABANDONED_EVERY, abandoned_tasks_fail), *_PERIODIC]
        for index, (seconds, check) in enumerate(checks):
            if now >= self._next_check[index]:
                self._next_check[index] = now + seconds
                try:
                    check()
                except Exception:  # a failed check is retried next time; the worker goes on
                    logger.exception("periodic check %s failed", check.__name__)

    def _claim(self) -> DBTaskResult | None:
        ready = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        if not ready.exists():  # the usual answer, without taking the write lock
            return None
        try:
            with exclusive_transaction(ready.db):
                task = ready.get_locked()
                if task is not None:
                    task.claim(self.worker_id)
                return task
        except OperationalError as problem:
            if is_locked_database_exception(problem):  # another writer: try again later
                return None
            raise


class BackgroundWorker:
    """The worker thread of `waystation serve`. It waits until the server is unsealed (on the
    command line or the unseal page) and its schema is current, works until the server stops,
    and stops for good when the keys are destroyed (panic, duress)."""

    def __init__(self, *, keyring: KeyRing = KEYRING, wait_seconds: float = 1.0):
        self.keyring = keyring
        self.wait_seconds = wait_seconds
        self.stop_event = threading.Event()
        self.working = threading.Event()  # set while a worker loop runs
        self.destroyed = False
        self._thread: threading.Thread | None = None
        keyring.on_destroy(self._keys_destroyed)

    def start(self) -> "BackgroundWorker":
        self._thread = threading.Thread(target=self._supervise, name="task-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the worker to stop and wait for it; a running import gives up and writes
        nothing. True when the thread ended in time."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _keys_destroyed(self) -> None:
        self.destroyed = True
        self.stop_event.set()

    def _supervise(self) -> None:
        told = False
        try:
            while not self.stop_event.is_set():
                if self.keyring.sealed:
                    self.stop_event.wait(self.wait_seconds)
                    continue
                try:
                    outdated = pending_migrations()
                except Exception:
                    outdated = True  # keys dropped meanwhile, or the database is not there
                if outdated:
                    if not told:
                        logger.warning("background tasks wait for `waystation migrate`")
                        told = True
                    self.stop_event.wait(self.wait_seconds)
                    continue
                self.working.set()
                try:
                    Worker(keyring=self.keyring, stop_event=self.stop_event).run()
                except Exception as problem:
                    # Keys destroyed under a running task, or the database went away: log
                    # the kind only (messages may quote data) and look again after a pause.
                    logger.error("the background worker stopped (%s)", type(problem).__name__)
                    self.stop_event.wait(self.wait_seconds)
                finally:
                    self.working.clear()
                    connections.close_all()
        finally:
            connections.close_all()
