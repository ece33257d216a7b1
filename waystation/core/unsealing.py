"""Unsealing from the command line and from the web page, and the checks that go with it."""

import math
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from . import keyslots, limits, shared_slots
from .keyring import KEYRING
from .passphrases import NoPassphrase, read_passphrase
from .startup import NotReady, require_ready

WRONG_PASSPHRASE = "wrong passphrase"  # noqa: S105 - the message, not a passphrase
# One unseal attempt at a time: each costs 64 MiB of Argon2id per key slot.
_attempts = threading.Lock()


# The unseal page: one passphrase checked at a time (a second visitor is told to wait, not
# queued), and after each wrong one a growing pause before the next is checked at all. In
# PostgreSQL mode the pause is kept in the database (core.limits), shared by every server.
_FIRST_PAUSE, _LONGEST_PAUSE = 2.0, 300.0
_page = {"failures": 0, "not_before": 0.0}
_PAUSE = "unseal-page"


class CannotUnseal(Exception):
    pass


class UnsealBusy(Exception):
    """Another passphrase is being checked on the page right now."""


class UnsealPaused(Exception):
    """Wrong passphrases came before: no check until ``seconds`` have passed."""

    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


def try_unseal(passphrase: str) -> bool:
    """True when the passphrase opened the instance. False for a wrong passphrase, and — with
    the same answer — for a duress passphrase, which shreds the key slots first."""
    require_ready()
    with _attempts:
        return KEYRING.unseal(settings.DATA_DIR, passphrase)


def _clock() -> float:
    return time.time()  # wall time: a shared pause is compared on several machines


def _pause_left() -> float:
    local = _page["not_before"] - _clock()
    if connection.vendor == "postgresql":
        try:
            return max(local, limits.pause_left(_PAUSE, _clock()))
        except DatabaseError:
            pass  # the database out of reach (or closed by a panic): this process's own pause
    return local


def _note_attempt(opened: bool) -> None:
    if connection.vendor == "postgresql":
        try:
            if opened:
                limits.pause_end(_PAUSE)
            else:
                limits.pause_after_failure(_PAUSE, _clock(), _FIRST_PAUSE, _LONGEST_PAUSE)
            return
        except DatabaseError:
            pass  # counted in this process instead
    if opened:
        _page["failures"], _page["not_before"] = 0, 0.0
    else:
        _page["failures"] += 1
        pause = min(_LONGEST_PAUSE, _FIRST_PAUSE * 2 ** (_page["failures"] - 1))
        _page["not_before"] = _clock() + pause


def try_unseal_from_page(passphrase: str) -> bool:
    """``try_unseal`` for the web page, throttled: raises UnsealBusy while another attempt
    runs and UnsealPaused during the pause after a wrong (or duress) passphrase, which doubles
    with each one (2 s, 4 s … up to 5 minutes) until a right one. The command line is not
    throttled: whoever runs it holds the machine already."""
    if not _attempts.acquire(blocking=False):
        raise UnsealBusy
    try:
        wait = _pause_left()
        if wait > 0:
            raise UnsealPaused(math.ceil(wait))
        require_ready()
        opened = KEYRING.unseal(settings.DATA_DIR, passphrase)
        _note_attempt(opened)
        return opened
    finally:
        _attempts.release()


def unseal_for_command(*, optional: bool = False) -> bool:
    """Unseal this process for a command that needs the keys. With ``optional`` (serve), no
    passphrase source means: start sealed and wait for the web page."""
    try:
        if settings.DATA_DIR.is_dir():
            keyslots.move_into_database(settings.DATA_DIR)  # PostgreSQL mode, from before
        require_ready()
        passphrase = read_passphrase(optional=optional)
        if passphrase is None:
            return False
        if not try_unseal(passphrase):
            raise CannotUnseal(WRONG_PASSPHRASE)
    except (NotReady, NoPassphrase, keyslots.KeySlotError) as problem:
        raise CannotUnseal(str(problem)) from None
    except shared_slots.psycopg.Error as problem:
        raise CannotUnseal(f"cannot reach the database: {problem}") from None
    return True


def pending_migrations() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
