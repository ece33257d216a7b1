"""Unsealing from the command line and from the web page, and the checks that go with it."""

import threading

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from . import keyslots
from .keyring import KEYRING
from .passphrases import NoPassphrase, read_passphrase
from .startup import NotReady, require_ready

WRONG_PASSPHRASE = "wrong passphrase"  # noqa: S105 - the message, not a passphrase
# One unseal attempt at a time: each costs 64 MiB of Argon2id per key slot.
_attempts = threading.Lock()


class CannotUnseal(Exception):
    pass


def try_unseal(passphrase: str) -> bool:
    """True when the passphrase opened the instance. False for a wrong passphrase, and — with
    the same answer — for a duress passphrase, which shreds the key slots first."""
    require_ready()
    with _attempts:
        return KEYRING.unseal(settings.DATA_DIR, passphrase)


def unseal_for_command(*, optional: bool = False) -> bool:
    """Unseal this process for a command that needs the keys. With ``optional`` (serve), no
    passphrase source means: start sealed and wait for the web page."""
    try:
        require_ready()
        passphrase = read_passphrase(optional=optional)
        if passphrase is None:
            return False
        if not try_unseal(passphrase):
            raise CannotUnseal(WRONG_PASSPHRASE)
    except (NotReady, NoPassphrase, keyslots.KeySlotError) as problem:
        raise CannotUnseal(str(problem)) from None
    return True


def pending_migrations() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
