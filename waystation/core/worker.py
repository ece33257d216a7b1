"""The background worker: runs the tasks queued in the database (django-tasks' database
backend), in this process, with this process's keys.

A worker needs the keys as much as a request does, so it runs only while the instance is
unsealed: as a thread of `waystation serve` (``BackgroundWorker``, started once the server is
unsealed, stopped when the server stops or the keys are destroyed) or as
`waystation tasks work` (``Worker.run`` in the foreground).

django-tasks has no scheduler, so apps register periodic checks (``every``) that the worker
calls between tasks, e.g. "is this week's digest built? if not, queue it".
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from .keyring import KEYRING, KeyRing

logger = logging.getLogger(__name__)

_PERIODIC: list[tuple[float, Callable[[], None]]] = []
_current = threading.local()


def every(seconds: float):
    """Register ``check()`` to run in every worker about once per ``seconds`` (and when the
    worker starts). A check must be cheap and safe to run in several workers at once."""

    def register(check):
        _PERIODIC.append((seconds, check))
        return check

    return register


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
        self._next_check = [0.0] * len(_PERIODIC)

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, *, once: bool = False) -> int:
        """Run queued tasks until stopped; with ``once``, until the queue is empty. Returns
        how many tasks ran."""
        _current.worker = self
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
        return self._run_tasks

    def _fresh_connection(self) -> None:
        # Between tasks as between requests: drop a broken or expired connection. Not inside
        # a transaction the caller holds open (a test running the worker in its own).
        if not connection.in_atomic_block:
            close_old_connections()

    def _run_periodic_checks(self) -> None:
        now = time.monotonic()
        for index, (seconds, check) in enumerate(_PERIODIC):
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
        from .unsealing import pending_migrations

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
