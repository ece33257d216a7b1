"""What a member or a visitor typed is not readable on PostgreSQL (issue 27): these fields become
``ServerSealedTextField`` (AES-256-GCM there, the rows already there sealed here; plain in the
SQLCipher file, encrypted whole, where nothing changes).
"""

import waystation.core.fields
from django.db import migrations

from waystation.core import fields

# (table, column) of every field sealed here.
SEALED = [
    ("ledger_fund", "purpose"),
    ("ledger_receipt", "media_type"),
    ("ledger_receipt", "sha256"),
    ("ledger_transaction", "memo"),
    ("ledger_transaction", "reason"),
]


class Migration(migrations.Migration):
    dependencies = [
        ('ledger', '0004_kept_totals'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED)],
            state_operations=[
                migrations.AlterField(
                    model_name='fund',
                    name='purpose',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=300, verbose_name='purpose'),
                ),
                migrations.AlterField(
                    model_name='receipt',
                    name='media_type',
                    field=waystation.core.fields.ServerSealedTextField(max_length=100),
                ),
                migrations.AlterField(
                    model_name='receipt',
                    name='sha256',
                    field=waystation.core.fields.ServerSealedTextField(max_length=64),
                ),
                migrations.AlterField(
                    model_name='transaction',
                    name='memo',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=300, verbose_name='note'),
                ),
                migrations.AlterField(
                    model_name='transaction',
                    name='reason',
                    field=waystation.core.fields.ServerSealedTextField(blank=True, max_length=300, verbose_name='reason'),
                ),
            ],
        ),
    ]
