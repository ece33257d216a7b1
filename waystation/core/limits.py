"""Limits shared by every app server of one instance: token buckets in PostgreSQL.

In PostgreSQL mode several app servers answer one instance, so a limit counted in one
process's memory would give a visitor as many budgets as there are servers. The buckets live
in ``core.LimitBucket``, an UNLOGGED table (no write-ahead log: fast, on no replica and in no
WAL archive, emptied by a crash — every limit then starts afresh; left out of backups).

A bucket's key is a keyed digest (HMAC-SHA256 under an instance sub-key) of the limit's name
and whom it counts: the table holds no address and nothing a visitor sent, in the clear. A
bucket refills at ``per_hour`` tokens an hour up to ``per_hour``: a row untouched for an hour
is a full bucket, the same as no row, and is swept.

One statement takes a token (an upsert that updates only while a token is left), so two
servers taking from one bucket at the same moment cannot both take its last token.

The unseal page's growing pause after wrong passphrases is kept here too (``pause_*``), so
that guessing through several servers in turn meets one pause.
"""

import hashlib
import time

from django.db import connection as default_connection

from .keys import Purpose, keyed_digest

# The sign-in throttle's sub-key: its messages start with "pair", "name", "browser" or "all",
# these with "limit", so the two never meet.
_PURPOSE = Purpose.LOGIN_THROTTLE
_SWEEP_EVERY = 60.0  # seconds between sweeps by one process
_last_sweep = 0.0

_TAKE = """
INSERT INTO core_limitbucket (key, tokens, updated_at)
VALUES (%(key)s, %(per_hour)s - 1, clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST(
        %(per_hour)s,
        core_limitbucket.tokens
        + EXTRACT(EPOCH FROM clock_timestamp() - core_limitbucket.updated_at)
        * %(per_hour)s / 3600.0
    ) - 1,
    updated_at = clock_timestamp()
WHERE LEAST(
    %(per_hour)s,
    core_limitbucket.tokens
    + EXTRACT(EPOCH FROM clock_timestamp() - core_limitbucket.updated_at) * %(per_hour)s / 3600.0
) >= 1
RETURNING tokens
"""

_SWEEP = "DELETE FROM core_limitbucket WHERE updated_at < clock_timestamp() - interval '1 hour'"


def bucket_key(name: str, who: str) -> str:
    """The digest a bucket is stored under."""
    return keyed_digest(_PURPOSE, f"limit\0{name}\0{who}")


def take(name: str, who: str, per_hour: int, *, connection=None) -> bool:
    """Take one token from the bucket of ``name`` for ``who`` (``"*"``: everyone together);
    False when it is empty (nothing is taken then). Needs PostgreSQL and the keys.
    ``connection``: another database connection than Django's default (tests: a second
    server)."""
    if per_hour < 1:
        return False
    connection = connection or default_connection
    _sweep_now_and_then(connection)
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, {"key": bucket_key(name, who), "per_hour": float(per_hour)})
        return cursor.fetchone() is not None


def _sweep_now_and_then(connection) -> None:
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep < _SWEEP_EVERY:
        return
    _last_sweep = now
    with connection.cursor() as cursor:
        cursor.execute(_SWEEP)


# -- a pause shared by every server (the unseal page) -----------------------------------------
# Kept in the same table: ``tokens`` counts the failures, ``updated_at`` is the moment the
# pause ends. Its key is a plain SHA-256 of the pause's name: a sealed server holds no key to
# make a keyed one, and the name says nothing about anyone.

_FAILED = """
INSERT INTO core_limitbucket (key, tokens, updated_at)
VALUES (%(key)s, 1, to_timestamp(%(now)s + %(first)s))
ON CONFLICT (key) DO UPDATE SET
    tokens = core_limitbucket.tokens + 1,
    updated_at = to_timestamp(
        %(now)s + LEAST(%(longest)s, %(first)s * power(2, core_limitbucket.tokens))
    )
"""


def _pause_key(name: str) -> str:
    return hashlib.sha256(f"pause\0{name}".encode()).hexdigest()


def pause_left(name: str, now: float, *, connection=None) -> float:
    """Seconds left of the pause ``name`` at ``now`` (seconds since the epoch); 0 or less
    when there is none."""
    with (connection or default_connection).cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM updated_at) FROM core_limitbucket WHERE key = %s",
            [_pause_key(name)],
        )
        found = cursor.fetchone()
    return float(found[0]) - now if found else 0.0


def pause_after_failure(name: str, now: float, first: float, longest: float) -> None:
    """One more failure: the pause is ``first`` seconds, doubling with each failure since the
    last ``pause_end``, at most ``longest``."""
    values = {"key": _pause_key(name), "now": now, "first": first, "longest": longest}
    with default_connection.cursor() as cursor:
        cursor.execute(_FAILED, values)


def pause_end(name: str) -> None:
    with default_connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_limitbucket WHERE key = %s", [_pause_key(name)])
