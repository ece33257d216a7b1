"""Django's SQLite backend on SQLCipher: the whole database file (and its WAL) is encrypted.

The raw 256-bit database sub-key of the unsealed master key is passed as ``PRAGMA key = "x'…'"``,
so no key derivation runs per connection. One read right after keying makes a wrong key fail
at once instead of at the first query.
"""

import contextlib
import threading
import weakref
from collections.abc import Mapping
from itertools import tee

import sqlcipher3.dbapi2 as Database
from django.db.backends.sqlite3 import base as sqlite_base
from django.db.backends.sqlite3._functions import register as register_functions

from waystation.core.keyring import KEYRING, Purpose, Sealed

# The adapters and converters Django registers on the stdlib sqlite3 module.
Database.register_converter("bool", b"1".__eq__)
Database.register_converter("date", sqlite_base.decoder(sqlite_base.parse_date))
Database.register_converter("time", sqlite_base.decoder(sqlite_base.parse_time))
Database.register_converter("datetime", sqlite_base.decoder(sqlite_base.parse_datetime))
Database.register_converter("timestamp", sqlite_base.decoder(sqlite_base.parse_datetime))
Database.register_adapter(sqlite_base.decimal.Decimal, str)
Database.register_adapter(sqlite_base.datetime.date, sqlite_base.adapt_date)
Database.register_adapter(sqlite_base.datetime.datetime, sqlite_base.adapt_datetime)


class _TrackedConnection(Database.Connection):
    """A connection that can be found again: at panic every thread's connection is closed,
    because each one holds the key and a cache of decrypted pages."""


_OPEN: "weakref.WeakKeyDictionary[_TrackedConnection, int]" = weakref.WeakKeyDictionary()
_OPEN_LOCK = threading.Lock()


def close_connections_of_other_threads() -> None:
    """Close the connections that other server threads hold (this thread closes its own the
    Django way). Called when the keys are destroyed; the instance never opens again."""
    me = threading.get_ident()
    with _OPEN_LOCK:
        others = [conn for conn, owner in list(_OPEN.items()) if owner != me]
    for conn in others:
        with contextlib.suppress(Database.Error):
            conn.close()


KEYRING.on_destroy(close_connections_of_other_threads)


# format → qmark style, per query text. The regular expression over a long query cost 10 –
# 20 µs a query, as much as SQLCipher answering it; the SQL compiled once (core/prepared.py)
# and the ORM's repeated shapes give the same texts again and again. Bounded: cleared when full,
# and long texts (a bulk INSERT's thousands of placeholders) are converted, not kept. Query
# texts hold no values: those travel as parameters.
_QMARK: dict[str, str] = {}
_QMARK_KEPT = 1024
_QMARK_LONGEST = 8192


def _qmark(query: str) -> str:
    converted = _QMARK.get(query)
    if converted is None:
        converted = sqlite_base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")
        if len(query) <= _QMARK_LONGEST:
            if len(_QMARK) >= _QMARK_KEPT:
                _QMARK.clear()
            _QMARK[query] = converted
    return converted


PAGE_CACHE_KIB = 32 * 1024


class SQLCipherCursorWrapper(Database.Cursor):
    """Django's query-style conversion (format/pyformat → qmark/named) on SQLCipher's cursor;
    Django's own wrapper subclasses the stdlib cursor and cannot wrap this connection."""

    convert_query = sqlite_base.SQLiteCursorWrapper.convert_query

    def execute(self, query, params=None):
        if params is None:
            return super().execute(query)
        if isinstance(params, Mapping):
            return super().execute(self.convert_query(query, param_names=list(params)), params)
        return super().execute(_qmark(query), params)

    def executemany(self, query, param_list):
        peekable, param_list = tee(iter(param_list))
        params = next(peekable, None)
        param_names = list(params) if params and isinstance(params, Mapping) else None
        return super().executemany(self.convert_query(query, param_names=param_names), param_list)


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    vendor = "sqlite"
    display_name = "SQLite (SQLCipher)"
    Database = Database

    def get_new_connection(self, conn_params):
        try:
            key = KEYRING.subkey(Purpose.DATABASE)
        except Sealed:
            raise Database.OperationalError(
                "the instance is sealed: unseal it with its passphrase first"
            ) from None
        conn = Database.connect(**conn_params, factory=_TrackedConnection)
        with _OPEN_LOCK:
            _OPEN[conn] = threading.get_ident()
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except Database.DatabaseError:
            conn.close()
            raise Database.DatabaseError(
                "cannot open the database with this key: wrong instance or damaged file"
            ) from None
        register_functions(conn)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA legacy_alter_table = OFF")
        # Decrypted pages kept per connection: 32 MiB, filled only as pages are read, against
        # SQLCipher's 8 MB. A search at 100,000 cases walks the case list's index, the codenames'
        # and cities' indexes and the full-text index (several MB each): past 8 MB, each search
        # decrypted them all again (CPU per search ~40 % lower with the larger cache).
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        for init_command in self.init_commands:
            if init_command := init_command.strip():
                conn.execute(init_command)
        return conn

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLCipherCursorWrapper)
