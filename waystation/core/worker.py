"""The background worker: runs the tasks queued in the database (django-tasks' database
backend), in this process, with this process's keys.

A worker needs the keys as much as a request does, so it runs only while the instance is
unsealed: as a thread of `waystation serve` (``BackgroundWorker``, started once the server is
unsealed, stopped when the server stops or the keys are destroyed) or as
`waystation tasks work` (``Worker.run`` in the foreground), any number of them, on any number
of machines sharing one PostgreSQL database.

django-tasks has no scheduler, so apps register periodic checks (``every``) that the worker
calls between tasks, e.g. "is this week's digest built? if not, queue it".

Claiming: one task at a time, ``SELECT … FOR UPDATE SKIP LOCKED`` in a transaction on
PostgreSQL (two workers never take the same row), an exclusive transaction on SQLite.

Leases: every worker holds one while it runs.
- PostgreSQL: a ``WorkerLease`` row and a session-level advisory lock on a connection of the
  worker's own, which the database lets go when that connection dies (``kill -9`` included);
  the worker renews the row's heartbeat every ``TASKS_HEARTBEAT_SECONDS`` (database clock), and
  a lease not renewed for ``TASKS_LEASE_SECONDS`` counts as dead even while the lock is held
  (a machine gone without closing its connection). A worker that finds its own lease gone
  stops its task.
- Embedded (SQLite, one machine): a lock on a file of its own (``DATA_DIR/leases/<worker>``),
  which the system drops when the process dies.
A task still marked running whose worker's lease is dead — or that has been running longer
than ``TASKS_LEASE_HOURS`` — was abandoned. A worker looks for such tasks when it starts and
every minute after: the task is queued again (``TASKS_RETRIES`` times, after a pause that
doubles from ``TASKS_RETRY_SECONDS``; ``before_retry`` lets its app reset its job) or failed,
and then its app cleans up after it exactly once (``on_abandoned``: an import job is failed
with a reason and its uploaded file deleted). The conditional update that takes the task out
of "running" is what makes it once: a second worker finding the same task updates nothing.

Stopping (SIGTERM, server stopping, keys destroyed): a long task looks at ``stopping()`` and
raises ``Released`` after rolling back; the task goes back to the queue for another worker,
not counted as an attempt. Cancelling: ``cancel_request(task_id)`` (called by an app's
service after its permission check) fails a queued task at once and tells a running one,
which sees ``cancelled()`` at its next step: through this process's memory, a flag file in
``DATA_DIR/cancel`` (another process on this machine, even while SQLite's write lock is held
by the task) and a ``TaskCancel`` row (a worker on another machine, PostgreSQL).
"""

import contextlib
import fcntl
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks_db.compat import TaskContext, task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .keyring import KEYRING, KeyRing
from .models import TaskCancel, WorkerLease
from .unsealing import pending_migrations

logger = logging.getLogger(__name__)

_PERIODIC: list[tuple[float, Callable[[], None]]] = []
_ABANDONED_EVERY = 60.0
_current = threading.local()
# The advisory-lock class of worker leases ("WS" + 1): the second key is the lease's own.
_LOCK_CLASS = 0x5753_0001
_CANCEL_CHECK_SECONDS = 0.5
_cancelled_here: set[str] = set()  # cancel requests made in this process


@dataclass(frozen=True)
class _Abandoned:
    clean_up: Callable[[dict, int], None] | None
    before_retry: Callable[[dict], None] | None
    retries: int | None


_ABANDONED: dict[str, _Abandoned] = {}


def every(seconds: float):
    """Register ``check()`` to run in every worker about once per ``seconds`` (and when the
    worker starts). A check must be cheap and safe to run in several workers at once."""

    def register(check):
        _PERIODIC.append((seconds, check))
        return check

    return register


def on_abandoned(task_path: str, *, before_retry=None, retries: int | None = None):
    """Register ``clean_up(args_kwargs, attempts)`` for a task of ``task_path`` that dead
    workers left running once too often: it runs once, in the transaction that marks the task
    failed. ``before_retry(args_kwargs)`` runs in the transaction that queues the task again;
    ``retries`` (default ``TASKS_RETRIES``) is how many times it is."""

    def register(clean_up):
        _ABANDONED[task_path] = _Abandoned(clean_up, before_retry, retries)
        return clean_up

    return register


class WorkerGone(Exception):
    """The worker running this task stopped without finishing it (killed, crashed, or its
    machine went away), as often as the task may be retried."""


class TaskCancelled(Exception):
    """A member cancelled the task before it started."""


class Released(Exception):
    """Raised by a task that stopped because its worker is stopping, having written nothing:
    the task goes back to the queue for another worker."""


def _exception_path(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _shared_database() -> bool:
    return connection.vendor == "postgresql"


# -- leases -------------------------------------------------------------------------------


def _lease_dir() -> Path:
    return Path(settings.DATA_DIR) / "leases"


class _FileLease:
    """The lock file that says "this worker is alive" on this machine; the system drops the
    lock when the process dies, however it dies."""

    def __init__(self, worker_id: str, on_lost: Callable[[], None]):
        folder = _lease_dir()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = folder / worker_id
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        os.close(self._fd)


class _DatabaseLease:
    """A worker's lease in PostgreSQL: an advisory lock held by a connection of its own (not
    Django's, which is closed and reopened between tasks) and a row whose heartbeat a thread
    renews. Losing either (the connection broke, or another worker declared this one dead and
    removed its row) tells the worker to stop."""

    def __init__(self, worker_id: str, on_lost: Callable[[], None]):
        self.worker_id = worker_id
        self._on_lost = on_lost
        wrapper = connections["default"]
        self._db = wrapper.get_new_connection(wrapper.get_connection_params())
        self._db.autocommit = True
        self._stop = threading.Event()
        self._mutex = threading.Lock()
        with self._db.cursor() as cursor:
            # Let the server notice a vanished machine within about half a minute (these are
            # ignored on a Unix socket, where the kernel tells it at once).
            for name, value in (("idle", 10), ("interval", 5), ("count", 3)):
                cursor.execute(f"SET tcp_keepalives_{name} = {value}")
            for _ in range(8):
                self.key = secrets.randbelow(2**31 - 1) + 1
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, self.key])
                if cursor.fetchone()[0]:
                    break
            else:
                raise RuntimeError("no free advisory lock for a worker lease")
            cursor.execute(
                "INSERT INTO core_workerlease (worker_id, lock_key, started_at, heartbeat_at) "
                "VALUES (%s, %s, now(), now())",
                [worker_id, self.key],
            )
        self._thread = threading.Thread(target=self._beat, name="worker-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(settings.TASKS_HEARTBEAT_SECONDS):
            try:
                with self._mutex, self._db.cursor() as cursor:
                    cursor.execute(
                        "UPDATE core_workerlease SET heartbeat_at = now() WHERE worker_id = %s",
                        [self.worker_id],
                    )
                    held = cursor.rowcount == 1
            except Exception as problem:
                logger.error("the worker lost its lease (%s)", type(problem).__name__)
                held = False
            if not held:
                self._on_lost()
                return

    def release(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._mutex, contextlib.suppress(Exception), self._db.cursor() as cursor:
            cursor.execute("DELETE FROM core_workerlease WHERE worker_id = %s", [self.worker_id])
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, self.key])
        with contextlib.suppress(Exception):
            self._db.close()


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


def _dead_workers_in_database() -> tuple[set[str], set[str]]:
    """(workers whose lease is dead, workers with a lease at all) on PostgreSQL: a dead one
    no longer holds its advisory lock or has not renewed its heartbeat in time."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT lease.worker_id,
                   lease.heartbeat_at < now() - make_interval(secs => %s)
                   OR NOT EXISTS (
                       SELECT 1 FROM pg_locks
                       WHERE locktype = 'advisory' AND granted AND objsubid = 2
                         AND database = (SELECT oid FROM pg_database
                                         WHERE datname = current_database())
                         AND classid::bigint = %s AND objid::bigint = lease.lock_key)
            FROM core_workerlease AS lease
            """,
            [settings.TASKS_LEASE_SECONDS, _LOCK_CLASS],
        )
        rows = cursor.fetchall()
    return {worker for worker, dead in rows if dead}, {worker for worker, _dead in rows}


def _worker_dead(worker: str, dead: set[str], known: set[str]) -> bool:
    if not worker:
        return False
    if _shared_database():
        # No lease at all: its worker released it (so it did not leave a task running) or was
        # declared dead already: a task still naming it is abandoned.
        return worker in dead or worker not in known
    lease = _lease_dir() / worker if "/" not in worker else None
    return lease is not None and _lease_free(lease)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=settings.TASKS_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def abandoned_tasks_fail() -> int:
    """Queue again or fail the tasks that dead workers left running, let their apps clean up,
    and remove the leases of dead workers. Returns how many tasks there were."""
    expired = timezone.now() - timedelta(hours=settings.TASKS_LEASE_HOURS)
    dead, known = _dead_workers_in_database() if _shared_database() else (set(), set())
    handled = 0
    running = DBTaskResult.objects.running().only(
        "id", "task_path", "worker_ids", "started_at", "args_kwargs"
    )
    for task in running:
        worker = (task.worker_ids or [""])[-1]
        if not _worker_dead(worker, dead, known) and not (
            task.started_at and task.started_at < expired
        ):
            continue
        handled += _abandoned(task)
    if dead:
        WorkerLease.objects.filter(worker_id__in=dead).delete()
    if _lease_dir().is_dir():
        for path in _lease_dir().iterdir():
            if _lease_free(path):
                path.unlink(missing_ok=True)
    _forget_old_cancels()
    return handled


def _abandoned(task: DBTaskResult) -> int:
    """Take one abandoned task out of "running", once: the update names the run it saw."""
    app = _ABANDONED.get(task.task_path, _Abandoned(None, None, None))
    retries = settings.TASKS_RETRIES if app.retries is None else app.retries
    attempts = len(task.worker_ids or [])
    if TaskCancel.objects.filter(task_id=task.pk).exists():
        retries = 0  # a member asked for it to stop: do not start it again
    this_run = DBTaskResult.objects.filter(
        pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
    )
    with transaction.atomic():
        if attempts <= retries:
            taken = this_run.update(
                status=TaskResultStatus.READY, run_after=timezone.now() + _backoff(attempts)
            )
            if taken and app.before_retry is not None:
                app.before_retry(task.args_kwargs)
        else:
            taken = this_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path=_exception_path(WorkerGone),
                traceback="",
                return_value=None,
            )
            if taken and app.clean_up is not None:
                app.clean_up(task.args_kwargs, attempts)
    if taken:
        logger.warning(
            "task %s was left running by a dead worker: %s",
            task.pk,
            "queued again" if attempts <= retries else "failed",
        )
    return taken


# -- cancelling ---------------------------------------------------------------------------


def _cancel_dir() -> Path:
    return Path(settings.DATA_DIR) / "cancel"


def cancel_request(task_id) -> str:
    """Ask for a task to stop, for an app's service that has checked the member's permission
    (call it inside the service's transaction; the flags that reach a running task are set at
    once, before any write waits for SQLite's lock). Returns the task's state as found:
    "queued" (failed now, it will not start), "running" (it stops at its next step) or
    "finished"."""
    task_id = str(uuid.UUID(str(task_id)))
    _cancelled_here.add(task_id)
    folder = _cancel_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / task_id).touch()
    if DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.READY).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=_exception_path(TaskCancelled),
        traceback="",
    ):
        _forget_cancel(task_id)
        return "queued"
    if DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).exists():
        TaskCancel.objects.get_or_create(task_id=task_id)
        return "running"
    _forget_cancel(task_id)
    return "finished"


def cancel_requested(task_id) -> bool:
    """Whether someone asked for this (running) task to stop."""
    return TaskCancel.objects.filter(task_id=task_id).exists()


def cancelled() -> bool:
    """Whether a member cancelled the task this worker is running. Long tasks look at this
    with ``stopping()`` at each step and give up, writing nothing. Cheap to call often."""
    task_id = getattr(_current, "task_id", None)
    if task_id is None:
        return False
    if task_id in _cancelled_here:
        return True
    now = time.monotonic()
    if now < getattr(_current, "cancel_checked_at", 0.0) + _CANCEL_CHECK_SECONDS:
        return False
    _current.cancel_checked_at = now
    if (_cancel_dir() / task_id).exists():
        return True
    # On SQLite the task's own transaction would not see a newer row; the file says it there.
    return _shared_database() and TaskCancel.objects.filter(task_id=task_id).exists()


def _forget_cancel(task_id: str) -> None:
    _cancelled_here.discard(task_id)
    (_cancel_dir() / task_id).unlink(missing_ok=True)


def _forget_old_cancels() -> None:
    """Cancel requests of tasks that are over (or are gone)."""
    over = TaskCancel.objects.exclude(
        task_id__in=DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values("pk")
    )
    over.delete()
    if _cancel_dir().is_dir():
        live = {
            str(pk)
            for pk in DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
            ).values_list("pk", flat=True)
        }
        for path in _cancel_dir().iterdir():
            if path.name not in live:
                path.unlink(missing_ok=True)


def stopping() -> bool:
    """Whether the worker running the current task has been asked to stop (server stopping,
    keys destroyed, lease lost). Long tasks look at this and give up cleanly, writing nothing,
    and raise ``Released``."""
    worker = getattr(_current, "worker", None)
    return worker is not None and worker.stop_event.is_set()


# -- the worker ---------------------------------------------------------------------------


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
        self.lease_lost = False
        self.released = False
        self._next_check = [0.0] * (len(_PERIODIC) + 1)

    def stop(self) -> None:
        self.stop_event.set()

    def _lost_lease(self) -> None:
        self.lease_lost = True
        self.stop_event.set()

    def run(self, *, once: bool = False) -> int:
        """Run queued tasks until stopped; with ``once``, until the queue is empty. Returns
        how many tasks ran."""
        _current.worker = self
        lease_kind = _DatabaseLease if _shared_database() else _FileLease
        lease = lease_kind(self.worker_id, self._lost_lease)
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
                    if self.released:
                        break  # given back because this worker stops: not taken again here
                    continue
                if once:
                    break
                self.stop_event.wait(self.interval)
        finally:
            _current.worker = None
            lease.release()
        return self._run_tasks

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one claimed task and record how it ended: django-tasks-db's own, but a task that
        raises ``Released`` goes back to the queue instead of failing."""
        task_id = str(db_task_result.pk)
        _current.task_id = task_id
        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                context = TaskContext(task_result=task_result)
                return_value = task.call(context, *task_result.args, **task_result.kwargs)
            else:
                return_value = task.call(*task_result.args, **task_result.kwargs)
            db_task_result.set_successful(return_value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except Released:
            DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY,
                run_after=timezone.now(),
                started_at=None,
                worker_ids=list(db_task_result.worker_ids[:-1]),  # not counted as an attempt
            )
            self.released = True
        except BaseException as problem:
            db_task_result.set_failed(problem)
            with contextlib.suppress(Exception):
                task_finished.send(
                    sender=type(db_task_result.task.get_backend()),
                    task_result=db_task_result.task_result,
                )
        finally:
            self.running_task = False
            self._run_tasks += 1
            _current.task_id = None
            _forget_cancel(task_id)
            with contextlib.suppress(Exception):
                TaskCancel.objects.filter(task_id=task_id).delete()

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
            # PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so workers never wait for nor take
            # the same row; SQLite: an exclusive transaction.
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
