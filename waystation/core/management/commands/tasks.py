import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django_tasks_db.models import DBTaskResult

from waystation.core.blobstore import StoreUnreachable, blob_store
from waystation.core.keyring import KEYRING
from waystation.core.models import TaskCancel
from waystation.core.unsealing import pending_migrations
from waystation.core.worker import Worker

_LIST_LIMIT = 50


class Command(BaseCommand):
    help = (
        "`tasks work [--once]`: run the queued background tasks (weekly digest, large imports, "
        "timestamps) in this process, for operators who run `waystation serve --no-worker`; "
        "run as many as you like, on this machine or others sharing the PostgreSQL database. "
        "Unseals first (--data-dir, --passphrase-file); stops on Ctrl+C or SIGTERM, giving "
        "a running import back to the queue; drops its keys within a second of a panic. "
        "`tasks list`: the latest tasks, one a line: id, state, task, tries, worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["work", "list"])
        parser.add_argument("--once", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args, action, once, **options):
        if pending_migrations():
            raise CommandError("The database schema is out of date: run `waystation migrate`.")
        if action == "list":
            self._list()
            return
        try:
            blob_store().check()
        except StoreUnreachable as problem:
            raise CommandError(f"The file store cannot be used: {problem}.") from None
        removed = blob_store().remove_leftovers()
        if removed:
            self.stdout.write(
                f"Removed {removed} half-written file(s) left by an interrupted upload."
            )
        worker = Worker()
        # A panic anywhere: the key ring notices within a second (the watch below, or the
        # panic notification) and this worker stops at once, the running import at its next
        # step, writing nothing.
        KEYRING.on_destroy(worker.stop)
        threading.Thread(target=_watch_keys, args=(worker,), name="key-watch", daemon=True).start()

        def stop(signum, frame):
            worker.stop()  # a running import gives up, writes nothing and goes back to the queue

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not once:
                self.stdout.write(
                    f"Worker {worker.worker_id} is working through background tasks "
                    "(Ctrl+C stops)."
                )
                self.stdout.flush()
            ran = worker.run(once=once)
        finally:
            worker.stop()  # ends the key watch
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if worker.keyring.sealed:
            raise CommandError("the keys were destroyed; the worker stopped")
        if worker.lease_lost:
            raise CommandError("the worker lost its lease (database gone, or taken for dead)")
        self.stdout.write(f"{ran} background task(s) run.")

    def _list(self) -> None:
        """Ids, states, task names and workers only: arguments are ids and stay out of it."""
        cancels = {str(pk) for pk in TaskCancel.objects.values_list("task_id", flat=True)}
        rows = DBTaskResult.objects.order_by("-enqueued_at")[:_LIST_LIMIT]
        for task in rows:
            state = task.status
            if str(task.pk) in cancels:
                state += "(cancelling)"
            gone = task.exception_class_path.rsplit(".", 1)[-1] if task.exception_class_path else ""
            self.stdout.write(
                "\t".join(
                    [
                        str(task.pk),
                        state,
                        task.task_path.rsplit(".", 1)[-1],
                        f"tries={len(task.worker_ids or [])}",
                        f"worker={(task.worker_ids or ['-'])[-1]}",
                        gone,
                    ]
                ).rstrip()
            )


def _watch_keys(worker: Worker) -> None:
    """Notice `waystation panic` from another process within a second, even in a long task."""
    while not worker.stop_event.wait(1):
        KEYRING.notice_shredding()
