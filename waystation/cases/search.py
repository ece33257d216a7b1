"""Full-text search over case notes.

Embedded database: an FTS5 index (``cases_note_fts``, kept in step by triggers, see migration
0002) inside the encrypted SQLCipher file. PostgreSQL: ``to_tsvector('simple', text)`` with a
GIN index. Both match every word of the query as a prefix ("задерж" finds "задержан"), in any
script, without stemming; case and (embedded) accents are ignored.
"""

import re

from django.db import connection
from django.db.models.expressions import RawSQL

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def words(query: str) -> list[str]:
    return _WORD.findall(query.lower())[:MAX_WORDS]


def note_ids_matching(query: str) -> RawSQL | None:
    """A subquery of the ids of the notes containing every word of ``query`` (None: no words)."""
    found = words(query)
    if not found:
        return None
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{word}:*" for word in found)
        return RawSQL(
            "SELECT id FROM cases_note WHERE to_tsvector('simple', text) "
            "@@ to_tsquery('simple', %s)",
            [tsquery],
        )
    # FTS5 syntax: each word quoted (no operators smuggled in), * for a prefix match.
    match = " ".join('"' + word.replace('"', "") + '"*' for word in found)
    return RawSQL("SELECT rowid FROM cases_note_fts WHERE cases_note_fts MATCH %s", [match])


FTS_SQLITE = [
    "CREATE VIRTUAL TABLE cases_note_fts USING fts5(text, content='cases_note', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER cases_note_fts_insert AFTER INSERT ON cases_note BEGIN "
    "INSERT INTO cases_note_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER cases_note_fts_delete AFTER DELETE ON cases_note BEGIN "
    "INSERT INTO cases_note_fts(cases_note_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER cases_note_fts_update AFTER UPDATE OF text ON cases_note BEGIN "
    "INSERT INTO cases_note_fts(cases_note_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO cases_note_fts(rowid, text) VALUES (new.id, new.text); END",
]
FTS_SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_note_fts_update",
    "DROP TRIGGER IF EXISTS cases_note_fts_delete",
    "DROP TRIGGER IF EXISTS cases_note_fts_insert",
    "DROP TABLE IF EXISTS cases_note_fts",
]
FTS_POSTGRESQL = [
    "CREATE INDEX cases_note_text_fts ON cases_note USING gin (to_tsvector('simple', text))"
]
FTS_POSTGRESQL_REVERSE = ["DROP INDEX IF EXISTS cases_note_text_fts"]


def install_full_text(schema_editor) -> None:
    statements = FTS_POSTGRESQL if schema_editor.connection.vendor == "postgresql" else FTS_SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def remove_full_text(schema_editor) -> None:
    statements = (
        FTS_POSTGRESQL_REVERSE
        if schema_editor.connection.vendor == "postgresql"
        else FTS_SQLITE_REVERSE
    )
    for sql in statements:
        schema_editor.execute(sql)
