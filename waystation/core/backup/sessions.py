"""A restore ends every sign-in and portal session: the restored database holds the sessions
of the day of the backup, and a cookie stolen or left in a browser since must not open the
restored instance. Members sign in again; an old cookie meets the sign-in page."""

from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from django.db import connection

_TABLE = "django_session"


def end_sessions_sqlite(database: Path, key: bytes) -> None:
    """In the staged (not yet installed) copy of the embedded database."""
    copy = sqlcipher.connect(str(database))
    try:
        copy.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        copy.execute(f"DELETE FROM {_TABLE}")  # noqa: S608 - a constant table name
        copy.commit()
    finally:
        copy.close()


def end_sessions_postgresql() -> None:
    """In the database pg_restore has just filled."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_TABLE}")  # noqa: S608 - a constant table name
