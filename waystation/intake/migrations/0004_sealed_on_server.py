"""What a member or a visitor typed is not readable on PostgreSQL (issue 27): these fields become
``ServerSealedTextField`` (AES-256-GCM there, the rows already there sealed here; plain in the
SQLCipher file, encrypted whole, where nothing changes).
"""

import waystation.core.fields
from django.db import migrations

from waystation.core import fields

# (table, column) of every field sealed here.
SEALED = [
    ("intake_attachment", "media_type"),
    ("intake_intakerequest", "city"),
    ("intake_intakerequest", "languages"),
]


class Migration(migrations.Migration):
    dependencies = [
        ('intake', '0003_attachment_consent'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name='attachment',
                    name='media_type',
                    field=waystation.core.fields.ServerSealedTextField(max_length=100),
                ),
                migrations.AlterField(
                    model_name='intakerequest',
                    name='city',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=120, verbose_name='city'),
                ),
                migrations.AlterField(
                    model_name='intakerequest',
                    name='languages',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=200, verbose_name='languages'),
                ),
            ],
        ),
    ]
