import signal

from django.core.management.base import BaseCommand, CommandError

from waystation.core.blobstore import blob_store
from waystation.core.unsealing import pending_migrations
from waystation.core.worker import Worker


class Command(BaseCommand):
    help = (
        "`tasks work [--once]`: run the queued background tasks (weekly digest, large imports) "
        "in this process, for operators who run `waystation serve --no-worker`. Unseals first "
        "(--data-dir, --passphrase-file); stops on Ctrl+C or SIGTERM after the running task, "
        "and at once when the keys are destroyed."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["work"])
        parser.add_argument("--once", action="store_true", help="run what is queued now, then exit")

    def handle(self, *args, action, once, **options):
        if pending_migrations():
            raise CommandError("The database schema is out of date: run `waystation migrate`.")
        removed = blob_store().remove_leftovers()
        if removed:
            self.stdout.write(
                f"Removed {removed} half-written file(s) left by an interrupted upload."
            )
        worker = Worker()

        def stop(signum, frame):
            worker.stop()  # a running import gives up and writes nothing

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not once:
                self.stdout.write("Working through background tasks (Ctrl+C stops).")
                self.stdout.flush()
            ran = worker.run(once=once)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if worker.keyring.sealed:
            raise CommandError("the keys were destroyed; the worker stopped")
        self.stdout.write(f"{ran} background task(s) run.")
