"""The SQLCipher backend's kept conversion of query texts gives what Django's gives."""

from django.db.backends.sqlite3.base import SQLiteCursorWrapper

from waystation.core.db import base

QUERIES = [
    "SELECT 1",
    "SELECT * FROM t WHERE a = %s AND b IN (%s, %s)",
    "SELECT * FROM t WHERE name LIKE '%%s' ESCAPE '\\' AND x = %s",
    "UPDATE t SET pct = '100%%' WHERE id = %s",
]


def test_the_conversion_is_djangos_and_the_second_comes_from_what_was_kept():
    for query in QUERIES:
        expected = SQLiteCursorWrapper.convert_query(None, query)
        assert base._qmark(query) == expected
        assert base._qmark(query) == expected
        assert base._QMARK[query] == expected


def test_long_texts_are_converted_but_not_kept():
    bulk = "INSERT INTO t (a, b) VALUES " + ", ".join(["(%s, %s)"] * 2000)  # noqa: S608
    assert base._qmark(bulk) == SQLiteCursorWrapper.convert_query(None, bulk)
    assert bulk not in base._QMARK
