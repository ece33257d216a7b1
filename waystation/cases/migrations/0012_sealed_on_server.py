"""Nothing a member typed in a case is readable on PostgreSQL (issue 27): the cases' free-text
fields become ``ServerSealedTextField`` (AES-256-GCM on PostgreSQL, sealed here row by row;
plain on SQLCipher, whose file is encrypted whole: nothing changes there), and the notes' search
and the cities' moves from ``to_tsvector`` over clear text to blind indexes (keyed digests of
words and their beginnings, GIN), filled here from the clear text before it is sealed.
"""

from django.db import migrations

from waystation.cases.search import FTS_POSTGRESQL, FTS_POSTGRESQL_REVERSE, ensure_full_text
from waystation.core import fields
from waystation.core.fields import BlindIndex
from waystation.core.keyring import Purpose

# (table, column) of every field sealed here.
SEALED = [
    ("cases_case", "languages"),
    ("cases_case", "city"),
    ("cases_case", "summary"),
    ("cases_statuschange", "note"),
    ("cases_riskevent", "place"),
    ("cases_riskevent", "visits"),
    ("cases_riskevent", "outcome"),
    ("cases_familymember", "relation"),
    ("cases_familymember", "note"),
    ("cases_document", "note"),
    ("cases_need", "note"),
    ("cases_service", "note"),
    ("cases_task", "title"),
    ("cases_note", "text"),
]
# (table, column read, blind index written, purpose)
INDEXED = [
    ("cases_note", "text", "search", Purpose.NOTE_SEARCH),
    ("cases_case", "city", "city_search", Purpose.CITY_SEARCH),
]
BLIND_INDEXES = [
    "CREATE INDEX cases_note_search ON cases_note USING gin (search) WHERE withdrawn_at IS NULL",
    "CREATE INDEX cases_case_city_search ON cases_case USING gin (city_search)",
]
BLIND_INDEXES_REVERSE = [
    "DROP INDEX IF EXISTS cases_note_search",
    "DROP INDEX IF EXISTS cases_case_city_search",
]


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def drop_text_index(apps, schema_editor):
    if _postgresql(schema_editor):
        for sql in FTS_POSTGRESQL_REVERSE:
            schema_editor.execute(sql)


def restore_text_index(apps, schema_editor):
    if _postgresql(schema_editor):
        for sql in FTS_POSTGRESQL:
            schema_editor.execute(sql)


def fill_blind_indexes(apps, schema_editor):
    """From the clear text, before it is sealed (PostgreSQL only)."""
    if not _postgresql(schema_editor):
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table, source, target, purpose in INDEXED:
            index, last = BlindIndex(purpose), 0
            while True:
                cursor.execute(
                    f"SELECT id, {quote(source)} FROM {quote(table)} WHERE id > %s "  # noqa: S608
                    "ORDER BY id LIMIT 2000",
                    [last],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                values = [(pk, index.of_text(text)) for pk, text in rows]
                cursor.execute(
                    f"UPDATE {quote(table)} SET {quote(target)} = v.found "  # noqa: S608
                    "FROM (VALUES " + ", ".join(["(%s, %s::bigint[])"] * len(values)) + ") "
                    f"AS v(id, found) WHERE {quote(table)}.id = v.id",
                    [value for row in values for value in row],
                )


def create_blind_indexes(apps, schema_editor):
    if _postgresql(schema_editor):
        for sql in BLIND_INDEXES:
            schema_editor.execute(sql)
    else:  # SQLite: the FTS5 triggers, should anything here have rebuilt cases_note
        ensure_full_text(schema_editor)


def drop_blind_indexes(apps, schema_editor):
    if _postgresql(schema_editor):
        for sql in BLIND_INDEXES_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_case_list_indexes")]

    operations = [
        migrations.RemoveIndex(
            model_name="case",
            name="cases_case_city",
        ),
        migrations.RunPython(drop_text_index, restore_text_index),
        migrations.AddField(
            model_name="case",
            name="city_search",
            field=fields.BlindIndexField(purpose="waystation/city-search/v1", source="city"),
        ),
        migrations.AddField(
            model_name="note",
            name="search",
            field=fields.BlindIndexField(purpose="waystation/note-search/v1", source="text"),
        ),
        migrations.RunPython(fill_blind_indexes, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            # SQLite keeps its columns as they are; PostgreSQL's become json, sealed.
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name="case",
                    name="city",
                    field=fields.ServerSealedTextField(
                        blank=True,
                        help_text="The city only — never a street or an address.",
                        max_length=120,
                        verbose_name="city of stay",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="languages",
                    field=fields.ServerSealedTextField(
                        blank=True,
                        help_text="For example: Russian, English",
                        max_length=200,
                        verbose_name="languages spoken",
                    ),
                ),
                migrations.AlterField(
                    model_name="case",
                    name="summary",
                    field=fields.ServerSealedTextField(
                        blank=True,
                        help_text="What helps the team help. Never routes, crossing plans or helpers' names.",
                        verbose_name="situation in short",
                    ),
                ),
                migrations.AlterField(
                    model_name="document",
                    name="note",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="familymember",
                    name="note",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="familymember",
                    name="relation",
                    field=fields.ServerSealedTextField(max_length=60, verbose_name="relation"),
                ),
                migrations.AlterField(
                    model_name="need",
                    name="note",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="note",
                    name="text",
                    field=fields.ServerSealedTextField(verbose_name="note"),
                ),
                migrations.AlterField(
                    model_name="riskevent",
                    name="outcome",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="outcome"
                    ),
                ),
                migrations.AlterField(
                    model_name="riskevent",
                    name="place",
                    field=fields.ServerSealedTextField(
                        blank=True,
                        help_text="Court, detention centre, authority.",
                        max_length=200,
                        verbose_name="where",
                    ),
                ),
                migrations.AlterField(
                    model_name="riskevent",
                    name="visits",
                    field=fields.ServerSealedTextField(
                        blank=True,
                        help_text="Who may visit, when, what can be brought.",
                        verbose_name="visits",
                    ),
                ),
                migrations.AlterField(
                    model_name="service",
                    name="note",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="what was given"
                    ),
                ),
                migrations.AlterField(
                    model_name="statuschange",
                    name="note",
                    field=fields.ServerSealedTextField(
                        blank=True, max_length=300, verbose_name="note"
                    ),
                ),
                migrations.AlterField(
                    model_name="task",
                    name="title",
                    field=fields.ServerSealedTextField(max_length=200, verbose_name="task"),
                ),
            ],
        ),
        migrations.RunPython(create_blind_indexes, drop_blind_indexes),
    ]
