"""What a member typed in the outreach log is not readable on PostgreSQL (issue 27): notes,
contacts (names, roles, addresses), approaches' subjects and texts, responses and import file
names become ``ServerSealedTextField`` (AES-256-GCM there, the rows already there sealed here;
plain in the SQLCipher file, encrypted whole, where nothing changes). A contact's name is found
by a keyed digest (``name_key``, HMAC under an instance key), filled here from the clear names,
and unique per organisation in place of the name; contacts are listed in the order added.
"""

from django.db import migrations, models

import waystation.core.fields
from waystation.core import fields
from waystation.core.keyring import Purpose
from waystation.core.keys import mac

# (table, column) of every field sealed here.
SEALED = [
    ("outreach_organisation", "notes"),
    ("outreach_contact", "name"),
    ("outreach_contact", "role"),
    ("outreach_contact", "addresses"),
    ("outreach_importbatch", "filename"),
    ("outreach_approach", "subject"),
    ("outreach_approach", "summary"),
    ("outreach_response", "text"),
    ("outreach_importjob", "filename"),
    ("outreach_importjob", "rejected_name"),
]


def _key(name: str) -> str:  # as outreach.models.contact_key, frozen here
    return mac(Purpose.OUTREACH_CONTACTS, " ".join((name or "").split()).encode()).hex()


def fill_keys(apps, schema_editor):
    """From the names still in the clear (before they are sealed below)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM outreach_contact")
        rows = [(_key(name), pk) for pk, name in cursor.fetchall()]
        cursor.executemany("UPDATE outreach_contact SET name_key = %s WHERE id = %s", rows)


def _sealed(name, **options):
    return waystation.core.fields.ServerSealedTextField(verbose_name=name, **options)


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0005_importjob_reading"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="contact", name="outreach_contact_unique"),
        migrations.AddField(
            model_name="contact",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(
                fields=("organisation", "name_key"), name="outreach_contact_unique_key"
            ),
        ),
        migrations.AlterModelOptions(name="contact", options={"ordering": ["pk"]}),
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name="approach",
                    name="subject",
                    field=_sealed("subject", blank=True, max_length=300),
                ),
                migrations.AlterField(
                    model_name="approach",
                    name="summary",
                    field=_sealed("text or summary", blank=True),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="addresses",
                    field=_sealed(
                        "addresses", blank=True, help_text="Email, phone, messenger — one per line."
                    ),
                ),
                migrations.AlterField(
                    model_name="contact", name="name", field=_sealed("name", max_length=200)
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="role",
                    field=_sealed("role", blank=True, max_length=200),
                ),
                migrations.AlterField(
                    model_name="importbatch",
                    name="filename",
                    field=waystation.core.fields.ServerSealedTextField(max_length=255),
                ),
                migrations.AlterField(
                    model_name="importjob",
                    name="filename",
                    field=waystation.core.fields.ServerSealedTextField(max_length=255),
                ),
                migrations.AlterField(
                    model_name="importjob",
                    name="rejected_name",
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=255),
                ),
                migrations.AlterField(
                    model_name="organisation",
                    name="notes",
                    field=_sealed("notes", blank=True),
                ),
                migrations.AlterField(
                    model_name="response",
                    name="text",
                    field=_sealed("text", blank=True),
                ),
            ],
        ),
    ]
