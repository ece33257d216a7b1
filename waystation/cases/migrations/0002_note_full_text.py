"""Full-text search over notes: FTS5 inside the encrypted SQLite file, or a GIN index on
PostgreSQL (see waystation/cases/search.py). Django's schema editor does not know these
objects: a later migration that rebuilds cases_note on SQLite must recreate them."""

from django.db import migrations

from waystation.cases.search import install_full_text, remove_full_text


def forwards(apps, schema_editor):
    install_full_text(schema_editor)


def backwards(apps, schema_editor):
    remove_full_text(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
