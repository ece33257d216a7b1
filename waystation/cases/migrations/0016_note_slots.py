"""PostgreSQL: the standing notes' digests told apart by note (``NoteSlots``), kept by triggers
on ``cases_note`` (``search.NOTE_SLOTS``) and filled here from the notes, so that a search of
several words, which must meet in one note, reads one narrow row per case instead of every
matching note. SQLite: the table stays empty (FTS5 gives the cases there)."""

import django.db.models.deletion
from django.db import migrations, models

import waystation.core.fields
from waystation.cases.search import NOTE_SLOTS, NOTE_SLOTS_FROM_NOTES, NOTE_SLOTS_REVERSE


def keep_note_slots(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in NOTE_SLOTS:
        schema_editor.execute(sql)
    schema_editor.execute(
        f"INSERT INTO cases_noteslots (case_id, part, search) {NOTE_SLOTS_FROM_NOTES}"
    )


def drop_note_slots(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in NOTE_SLOTS_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_city_index_sqlite"),
    ]

    operations = [
        migrations.CreateModel(
            name="NoteSlots",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("part", models.IntegerField()),
                (
                    "search",
                    waystation.core.fields.BlindIndexField(
                        purpose="waystation/note-search/v1", source=""
                    ),
                ),
                (
                    "case",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="cases.case",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("case", "part"), name="cases_noteslots_case_part"
                    )
                ],
            },
        ),
        migrations.RunPython(keep_note_slots, drop_note_slots),
    ]
