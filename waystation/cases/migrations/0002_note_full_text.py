"""Full-text search over notes: FTS5 inside the encrypted SQLite file, or a GIN index on
PostgreSQL (see waystation/cases/search.py). Django's schema editor does not know these
objects: a later migration that rebuilds cases_note on SQLite must recreate them.

The SQLite statements are this migration's own, as first written (an index reading the text
from cases_note); migration 0003 replaces that index with the one search.py describes now."""

from django.db import migrations

from waystation.cases.search import FTS_POSTGRESQL, FTS_POSTGRESQL_REVERSE, FTS_SQLITE_REVERSE

FTS_SQLITE_V1 = [
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


def forwards(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for sql in FTS_POSTGRESQL if postgresql else FTS_SQLITE_V1:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for sql in FTS_POSTGRESQL_REVERSE if postgresql else FTS_SQLITE_REVERSE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
