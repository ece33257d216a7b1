"""PostgreSQL: each case's union of its standing notes' blind indexes (``NoteDigests``), kept
by triggers on ``cases_note`` (``search.NOTE_DIGESTS``) and filled here from the notes, so that
a one-word search reads one row per case instead of every matching note; and the codenames
searched from an index of their own (``search.CASE_SEARCH``). SQLite: the table stays empty
(FTS5 gives the cases there), nothing else changes."""

import django.db.models.deletion
from django.db import migrations, models

import waystation.core.fields
from waystation.cases.search import (
    CASE_SEARCH,
    CASE_SEARCH_REVERSE,
    NOTE_DIGESTS,
    NOTE_DIGESTS_FROM_NOTES,
    NOTE_DIGESTS_REVERSE,
)


def keep_note_digests(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in [*NOTE_DIGESTS, *CASE_SEARCH]:
        schema_editor.execute(sql)
    schema_editor.execute(
        f"INSERT INTO cases_notedigests (case_id, search) {NOTE_DIGESTS_FROM_NOTES}"
    )


def drop_note_digests(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in [*CASE_SEARCH_REVERSE, *NOTE_DIGESTS_REVERSE]:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_sealed_on_server"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoteDigests",
            fields=[
                (
                    "case",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="cases.case",
                    ),
                ),
                (
                    "search",
                    waystation.core.fields.BlindIndexField(
                        purpose="waystation/note-search/v1", source=""
                    ),
                ),
            ],
        ),
        migrations.RunPython(keep_note_digests, drop_note_digests),
    ]
