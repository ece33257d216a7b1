"""What a member or a visitor typed is not readable on PostgreSQL (issue 27): these fields become
``ServerSealedTextField`` (AES-256-GCM there, the rows already there sealed here; plain in the
SQLCipher file, encrypted whole, where nothing changes).
"""

import waystation.core.fields
from django.db import migrations

from waystation.core import fields

# (table, column) of every field sealed here.
SEALED = [
    ("pathways_casepathway", "note"),
]


def seal(apps, schema_editor):
    for table, column in SEALED:
        fields.seal_column(schema_editor, table, column)


def unseal(apps, schema_editor):
    for table, column in SEALED:
        fields.unseal_column(schema_editor, table, column)


class Migration(migrations.Migration):
    dependencies = [
        ('pathways', '0003_evidence_marks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(seal, unseal)],
            state_operations=[
                migrations.AlterField(
                    model_name='casepathway',
                    name='note',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, help_text="Why this pathway, in a few words. Never routes or helpers' names.", max_length=300, verbose_name='note'),
                ),
            ],
        ),
    ]
