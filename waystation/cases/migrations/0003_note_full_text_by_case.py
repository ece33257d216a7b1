"""SQLite: the notes' FTS5 index rebuilt contentless, each note keyed by its case and its own id
(rowid = case id × 2³² + note id), so that a search reads the cases of its matches from the
index alone (see waystation/cases/search.py). Filled from the notes already written. Nothing
changes on PostgreSQL."""

from importlib import import_module

from django.db import migrations

from waystation.cases.search import FTS_SQLITE, FTS_SQLITE_REVERSE


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    for sql in [*FTS_SQLITE_REVERSE, *FTS_SQLITE]:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        return
    first = import_module("waystation.cases.migrations.0002_note_full_text")
    for sql in [*FTS_SQLITE_REVERSE, *first.FTS_SQLITE_V1]:
        schema_editor.execute(sql)
    schema_editor.execute("INSERT INTO cases_note_fts(cases_note_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_note_full_text")]

    operations = [migrations.RunPython(forwards, backwards)]
