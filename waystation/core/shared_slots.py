"""PostgreSQL mode: the key slots and the instance's state in the database, shared by every
app server and worker of the instance (each with its own data directory, as on separate
machines).

One row of one table, ``waystation_instance``, made by `waystation init` with plain SQL (it is
needed before any key exists, so before the first migration): the key-slot document (the same
text as the embedded mode's ``keyslots.json``), a generation counted up at every change, and
whether an explicit panic happened. The slot column is stored inline and uncompressed
(``STORAGE PLAIN``), so an overwrite replaces the bytes of one heap row, not a TOAST chunk.

A panic or a duress passphrase overwrites the row with random slots of the same shape, sends
NOTIFY on ``waystation_panic``, and VACUUMs the table so the old row version is pruned; every
process LISTENs on a thread of its own (with a one-second poll of the generation as the
fallback) and drops its keys and ends its database connections at once. What PostgreSQL may
still hold (WAL, base backups, replicas) is in docs/security.md.
"""

import contextlib
import logging
import secrets
import threading
from dataclasses import dataclass

import psycopg
from django.conf import settings

logger = logging.getLogger(__name__)

TABLE = "waystation_instance"
CHANNEL = "waystation_panic"
# Every database connection of this process carries this name, so that at a panic the process
# can end all of them at once, whichever thread opened them.
PROCESS_TAG = f"waystation-{secrets.token_hex(6)}"
_SCRUB_ROUNDS = 3  # overwrite + VACUUM rounds: later versions land where the old ones were

_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id smallint PRIMARY KEY CHECK (id = 1),
    keyslots text NOT NULL,
    generation bigint NOT NULL DEFAULT 1,
    panicked boolean NOT NULL DEFAULT false
);
ALTER TABLE {TABLE} ALTER COLUMN keyslots SET STORAGE PLAIN;
"""


def enabled() -> bool:
    """Whether this process runs in PostgreSQL mode."""
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@dataclass(frozen=True)
class Place:
    """One database, as a set of libpq connection parameters."""

    params: tuple

    @property
    def dbname(self) -> str:
        return dict(self.params).get("dbname") or "(libpq default)"

    def connect(self, *, tag: str = PROCESS_TAG) -> psycopg.Connection:
        return psycopg.connect(
            **dict(self.params), autocommit=True, application_name=tag, connect_timeout=5
        )


_DJANGO_ONLY_OPTIONS = {"isolation_level", "server_side_binding", "assume_role", "pool"}


def current_place() -> Place:
    """The database Django is configured for right now."""
    db = settings.DATABASES["default"]
    params = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db.get("PORT") or ""),
    }
    for key, value in (db.get("OPTIONS") or {}).items():
        if key not in _DJANGO_ONLY_OPTIONS and key != "application_name":
            params[key] = value
    return Place(tuple(sorted((k, v) for k, v in params.items() if v)))


def tag_connections() -> None:
    """Name this process's Django connections (see PROCESS_TAG). Called at start-up."""
    if enabled():
        options = settings.DATABASES["default"].setdefault("OPTIONS", {})
        options["application_name"] = PROCESS_TAG


@dataclass(frozen=True)
class Row:
    text: str | None  # None: no instance in this database
    generation: int
    panicked: bool


def read(place: Place, conn: psycopg.Connection | None = None) -> Row:
    with contextlib.ExitStack() as stack:
        if conn is None:
            conn = stack.enter_context(place.connect())
        try:
            found = conn.execute(
                f"SELECT keyslots, generation, panicked FROM {TABLE} WHERE id = 1"  # noqa: S608
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return Row(None, 0, False)
    return Row(*found) if found else Row(None, 0, False)


def create(place: Place, text: str) -> bool:
    """Make the table if needed and store the first slots. False when the database already
    holds an instance (a shredded one too): nothing is changed then."""
    with place.connect() as conn, conn.transaction():
        conn.execute(_DDL)
        inserted = conn.execute(
            f"INSERT INTO {TABLE} (id, keyslots) VALUES (1, %s) ON CONFLICT (id) DO NOTHING",  # noqa: S608
            (text,),
        )
        return inserted.rowcount == 1


def write(place: Place, text: str, *, restored: bool = False) -> None:
    """Replace the slots (a passphrase added or removed), then prune the old row version. A
    restore (``restored``) also ends the panicked state: the backup's slots open again."""
    with place.connect() as conn:
        conn.execute(
            f"UPDATE {TABLE} SET keyslots = %s, generation = generation + 1, "  # noqa: S608
            "panicked = panicked AND NOT %s WHERE id = 1",
            (text, restored),
        )
        _vacuum(conn)


def shred(place: Place, random_text, *, panic: bool) -> bool:
    """Overwrite the slots with ``random_text()`` (random slots of the same shape), mark an
    explicit panic, tell every process (NOTIFY), then overwrite again and VACUUM a few times
    so that the old versions' bytes are pruned and written over. False when there is no
    instance here."""
    with place.connect() as conn:
        with conn.transaction():
            changed = conn.execute(
                f"UPDATE {TABLE} SET keyslots = %s, generation = generation + 1, "  # noqa: S608
                "panicked = panicked OR %s WHERE id = 1",
                (random_text(), panic),
            ).rowcount
            conn.execute(f"NOTIFY {CHANNEL}")
        if not changed:
            return False
        for _ in range(_SCRUB_ROUNDS):
            _vacuum(conn)
            conn.execute(
                f"UPDATE {TABLE} SET keyslots = %s WHERE id = 1",  # noqa: S608
                (random_text(),),
            )
        _vacuum(conn)
    return True


def _vacuum(conn: psycopg.Connection) -> None:
    try:
        conn.execute(f"VACUUM {TABLE}")
    except psycopg.Error as problem:  # not the table's owner: the row is overwritten anyway
        logger.warning("could not VACUUM %s: %s", TABLE, problem.diag.message_primary)


def end_connections_of_this_process(place: Place, conn: psycopg.Connection | None = None) -> int:
    """End every database connection this process holds (every thread's Django connection,
    the worker's) but ``conn`` (the panic listener's, already open: no time lost connecting),
    or a new one: the server side closes them at once. Returns how many were ended."""
    try:
        with contextlib.ExitStack() as stack:
            if conn is None:
                conn = stack.enter_context(place.connect(tag=f"{PROCESS_TAG}-ending"))
            ended = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name LIKE %s AND pid <> pg_backend_pid()",
                (PROCESS_TAG + "%",),
            ).fetchone()[0]
    except psycopg.Error as problem:
        logger.warning("could not end this process's database connections: %s", problem)
        return 0
    return ended


class Listener:
    """A thread with its own connection: LISTEN on the panic channel, and look at the row's
    generation at least once a second. ``changed(row, conn)`` is called (on this thread, with
    this connection, None if broken) when a NOTIFY came or the generation moved; it returns
    False to stop listening, as ``alive()`` does."""

    POLL_SECONDS = 1.0

    def __init__(self, place: Place, generation: int, changed, *, alive=lambda: True):
        self.place, self.generation, self.changed, self.alive = place, generation, changed, alive
        self._thread = threading.Thread(target=self._run, name="panic-listener", daemon=True)

    def start(self) -> "Listener":
        self._thread.start()
        return self

    def _run(self) -> None:
        conn = None
        while self.alive():
            heard = False
            try:
                if conn is None:
                    conn = self.place.connect(tag=f"{PROCESS_TAG}-listen")
                    conn.execute(f"LISTEN {CHANNEL}")
                heard = any(True for _ in conn.notifies(timeout=self.POLL_SECONDS, stop_after=1))
                row = read(self.place, conn)
            except psycopg.Error as problem:
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
                if not heard:  # the database is away: keep the keys, try again
                    logger.warning("panic listener: %s; trying again", problem)
                    threading.Event().wait(self.POLL_SECONDS)
                    continue
                row = None  # a panic was announced and cannot be checked: fail closed
            if row is None or heard or row.generation != self.generation:
                if row is not None:
                    self.generation = row.generation
                try:
                    keep_listening = self.changed(row, conn)
                except Exception:
                    logger.exception("panic listener: acting on a change failed")
                    keep_listening = False
                if not keep_listening:
                    break
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
