"""What a member or a visitor typed is not readable on PostgreSQL (issue 27): these fields become
``ServerSealedTextField`` (AES-256-GCM there, the rows already there sealed here; plain in the
SQLCipher file, encrypted whole, where nothing changes).
"""

import waystation.core.fields
from django.db import migrations

from waystation.core import fields

# (table, column) of every field sealed here.
SEALED = [
    ("api_token", "name"),
]


class Migration(migrations.Migration):
    dependencies = [
        ('api', '0002_upload'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name='token',
                    name='name',
                    field=waystation.core.fields.ServerSealedTextField(max_length=100, verbose_name='name'),
                ),
            ],
        ),
    ]
