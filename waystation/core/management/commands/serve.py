import contextlib
import ctypes
import resource
import threading
import time

from django.core.management.base import BaseCommand, CommandError

from waystation.core.keyring import KEYRING
from waystation.core.unsealing import CannotUnseal, pending_migrations, unseal_for_command

_PR_SET_DUMPABLE = 4


def _no_core_dumps() -> None:
    """Keys live in this process's memory: no core file, no ptrace by other users."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no prctl
        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _watch_key_slots() -> None:
    """Notice `waystation panic` from another process within a second, requests or not."""
    while True:
        time.sleep(1)
        KEYRING.notice_shredding()


class Command(BaseCommand):
    help = (
        "Serve Waystation through the waitress WSGI server (one process, several threads, so "
        "one unseal serves every request). Unseals first with --passphrase-file or a terminal "
        "prompt; with neither it starts sealed and waits for the unseal page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        _no_core_dumps()
        try:
            unsealed = unseal_for_command(optional=True)
        except CannotUnseal as problem:
            raise CommandError(str(problem)) from None
        if unsealed and pending_migrations():
            raise CommandError("The database schema is out of date: run `waystation migrate`.")
        import waitress

        from waystation.wsgi import application

        url = f"http://{host}:{port}/"
        if unsealed:
            self.stdout.write(f"Waystation is serving on {url} (Ctrl+C stops it)")
        else:
            self.stdout.write(f"Waystation is serving SEALED on {url}: unseal at {url}unseal/")
        self.stdout.flush()
        threading.Thread(target=_watch_key_slots, name="key-slot-watch", daemon=True).start()
        # ident="" keeps the server name out of responses; waitress writes no access log.
        waitress.serve(application, host=host, port=port, threads=threads, ident="")
