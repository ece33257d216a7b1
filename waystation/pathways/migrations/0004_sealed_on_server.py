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


class Migration(migrations.Migration):
    dependencies = [
        ('pathways', '0003_evidence_marks'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name='casepathway',
                    name='note',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, help_text="Why this pathway, in a few words. Never routes or helpers' names.", max_length=300, verbose_name='note'),
                ),
            ],
        ),
    ]
