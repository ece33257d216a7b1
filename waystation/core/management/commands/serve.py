import atexit
import contextlib
import ctypes
import ipaddress
import os
import resource
import shutil
import signal
import tempfile
import threading
import time

import waitress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from waystation.core import request_body, serving, turns
from waystation.core.blobstore import StoreUnreachable, blob_store
from waystation.core.keyring import KEYRING
from waystation.core.logs import REFUSALS
from waystation.core.unsealing import CannotUnseal, pending_migrations, unseal_for_command
from waystation.core.worker import BackgroundWorker

_PR_SET_DUMPABLE = 4
RECV_BYTES = 256 * 1024


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


def _stop_on_sigterm() -> None:
    """A service manager stops the server with SIGTERM: end waitress's loop the way Ctrl+C
    does, so that the background worker is stopped cleanly too."""

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


class Command(BaseCommand):
    help = (
        "Serve Waystation through the waitress WSGI server (one process, several threads, so "
        "one unseal serves every request). Unseals first with --passphrase-file or a terminal "
        "prompt; with neither it starts sealed and waits for the unseal page. Background tasks "
        "run in a thread of this process once it is unsealed (--no-worker: run "
        "`waystation tasks work` instead)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument(
            "--intake-only",
            action="store_true",
            help="serve only the anonymous intake portal, at the root of this port (for an "
            "onion service); must be unsealed at start; runs no background tasks",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="run no background tasks here (run `waystation tasks work` separately)",
        )
        parser.add_argument(
            "--trusted-proxy",
            metavar="ADDR",
            help="the IP address a TLS reverse proxy connects from (e.g. 127.0.0.1): its "
            "X-Forwarded-Proto and X-Forwarded-Host are believed, so the site is served as "
            "HTTPS (secure cookies, HSTS); the same as WAYSTATION_TRUSTED_PROXY",
        )

    def handle(self, *args, host, port, threads, no_worker, intake_only, **options):
        _no_core_dumps()
        if intake_only != settings.INTAKE_ONLY:
            raise CommandError("--intake-only is read before the settings: use `waystation serve`")
        if (options.get("trusted_proxy") or "").strip() not in ("", settings.TRUSTED_PROXY):
            raise CommandError(
                "--trusted-proxy is read before the settings: use `waystation serve`"
            )
        proxy = _proxy_options()
        _check_blob_store()
        try:
            # No unseal page on the portal: an intake-only server is unsealed here or not at all.
            unsealed = unseal_for_command(optional=not intake_only)
        except CannotUnseal as problem:
            raise CommandError(str(problem)) from None
        if unsealed and pending_migrations():
            raise CommandError("The database schema is out of date: run `waystation migrate`.")
        # Imported here, not at the top: importing the WSGI module builds the application and
        # checks that the instance is ready, which holds only once unsealed just above.
        from waystation.wsgi import application

        spool = _request_spool_in_memory()
        if spool is None:
            self.stderr.write(
                "Warning: no memory-backed directory for request bodies (/dev/shm, or "
                "WAYSTATION_REQUEST_SPOOL_DIR): uploads over 512 KiB pass through the system "
                "temporary directory unencrypted before they are encrypted."
            )

        _remove_leftovers(self.stdout)
        if unsealed and not intake_only:
            serving.server_started.send(sender=self.__class__)  # e.g. expired uploads swept
        # Listening before "serving" is said: whoever waits for that line (a service manager,
        # a test, an operator's script) may connect at once.
        # ident="" keeps the server name out of responses; waitress writes no access log.
        server = waitress.create_server(
            turns.for_database(application, connection.vendor),
            host=host,
            port=port,
            threads=threads,
            ident="",
            max_request_body_size=_largest_request_body(intake_only=intake_only),
            # Request bodies are read from the socket in pieces of this size (waitress's
            # default, 8 KiB, costs a Python loop turn per 8 KiB: a 2 GB upload is a
            # quarter of a million of them).
            recv_bytes=RECV_BYTES,
            **proxy,
        )
        # Bodies of up to 64 MiB stay in memory as received, no temporary file: at most
        # threads × 64 MiB at once; tus PATCH bodies stream to their view as they arrive, in
        # half the threads at most (request_body).
        server.channel_class = request_body.channel_class(
            threads * request_body.PER_BODY, streams=max(1, threads // 2)
        )
        request_body.reuse_freed_memory()
        url = f"http://{host}:{port}/"
        if intake_only:
            self.stdout.write(f"Waystation's intake portal alone is serving on {url}")
        elif unsealed:
            self.stdout.write(f"Waystation is serving on {url} (Ctrl+C stops it)")
        else:
            self.stdout.write(f"Waystation is serving SEALED on {url}: unseal at {url}unseal/")
        self.stdout.flush()
        threading.Thread(target=_watch_key_slots, name="key-slot-watch", daemon=True).start()
        # Waits for the keys (unseal page) by itself, and stops for good at panic.
        worker = None if (no_worker or intake_only) else BackgroundWorker().start()
        _stop_on_sigterm()
        try:
            server.run()
        finally:
            REFUSALS.flush()  # how many requests were refused since the last count
            if worker is not None and not worker.stop():
                self.stderr.write("The background worker did not stop in time.")


# What waitress believes of the trusted proxy: the scheme (so that a form posted over HTTPS
# passes the CSRF origin check, and cookies are Secure) and the host the browser asked for.
# Not X-Forwarded-For: trusted, it would put each client's address into REMOTE_ADDR, where
# any code or log could pick it up. Waystation never keeps client addresses, so the app sees
# only the proxy's address, and the example proxy configurations do not send one at all.
# Not X-Forwarded-Port (the port is in X-Forwarded-Host) nor Forwarded (RFC 7239), which
# carries the client's address in the same header as the scheme.
TRUSTED_PROXY_HEADERS = frozenset({"x-forwarded-proto", "x-forwarded-host"})


def _proxy_options() -> dict:
    """waitress's options for the proxy in front, or a CommandError of one line when the
    settings contradict each other. Every X-Forwarded-* header that does not come from the
    trusted proxy is removed before the application sees it (a client that reaches this port
    directly cannot claim HTTPS), with or without a proxy."""
    address = settings.TRUSTED_PROXY
    if not address:
        if settings.BEHIND_TLS_PROXY:
            raise CommandError(
                "WAYSTATION_BEHIND_TLS_PROXY=1 needs the address the proxy connects from: "
                "add --trusted-proxy ADDR (or WAYSTATION_TRUSTED_PROXY), e.g. 127.0.0.1"
            )
        return {"clear_untrusted_proxy_headers": True}
    if not settings.BEHIND_TLS_PROXY:
        raise CommandError(
            "--trusted-proxy is for a TLS reverse proxy in front, but "
            "WAYSTATION_BEHIND_TLS_PROXY is off: remove one of the two"
        )
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise CommandError(
            f"--trusted-proxy takes the IP address the proxy connects from (e.g. 127.0.0.1), "
            f"not {address!r}"
        ) from None
    return {
        "trusted_proxy": address,
        "trusted_proxy_count": 1,
        "trusted_proxy_headers": set(TRUSTED_PROXY_HEADERS),
        "clear_untrusted_proxy_headers": True,
    }


def _check_blob_store() -> None:
    """The file store can be used (an S3 bucket exists and these keys may use it), else a
    CommandError of one line: found now rather than at the first upload."""
    try:
        blob_store().check()
    except StoreUnreachable as problem:
        raise CommandError(f"The file store cannot be used: {problem}.") from None


def _remove_leftovers(out) -> None:
    """Half-written files of uploads and ingests that a killed process left in the file store
    (background tasks it left running are failed by the worker when it starts)."""
    removed = blob_store().remove_leftovers()
    if removed:
        out.write(f"Removed {removed} half-written file(s) left by an interrupted upload.")


def _largest_request_body(*, intake_only: bool) -> int:
    """Bytes: the largest upload a page of this server accepts, plus room for the form around
    it. Waitress refuses larger bodies itself (its default is 1 GiB)."""
    largest_mb = settings.INTAKE_MAX_FILE_MB * settings.INTAKE_MAX_FILES
    if not intake_only:
        largest_mb = max(largest_mb, settings.EVIDENCE_MAX_UPLOAD_MB * settings.EVIDENCE_MAX_FILES)
    return (largest_mb + 16) * 1024 * 1024


_SHM = "/dev/shm"  # noqa: S108 (only a private directory made by mkdtemp is used in it)


def _request_spool_in_memory() -> str | None:
    """Waitress keeps a request body over 512 KiB in an unnamed temporary file until the whole
    body has arrived, before Django's encrypting upload handler sees a byte of it. Point this
    process's temporary files at a private directory in memory (tmpfs), so no upload touches
    the disk in the clear. The directory is the operator's WAYSTATION_REQUEST_SPOOL_DIR or a
    new one under /dev/shm; None when neither exists."""
    chosen = os.environ.get("WAYSTATION_REQUEST_SPOOL_DIR")
    if chosen:
        os.makedirs(chosen, mode=0o700, exist_ok=True)
    elif os.path.isdir(_SHM) and os.access(_SHM, os.W_OK):
        chosen = tempfile.mkdtemp(prefix="waystation-", dir=_SHM)  # private: mode 0700
        atexit.register(shutil.rmtree, chosen, ignore_errors=True)
    else:
        return None
    tempfile.tempdir = chosen
    return chosen
