"""What a received partner package lists is not readable on PostgreSQL (issue 27): the files
inside it (names, sizes, SHA-256) and each received item's custody chain as the sender kept it
(it names the hashes) are sealed there (AES-256-GCM, the rows already there sealed here; plain
in the SQLCipher file, encrypted whole, where nothing changes).
"""

from django.db import migrations

import waystation.evidence.models
from waystation.core import fields

SEALED = [("partners_inbound", "files"), ("partners_receiveditem", "sender_chain")]


def seal(apps, schema_editor):
    for table, column in SEALED:
        fields.seal_column(schema_editor, table, column)


def unseal(apps, schema_editor):
    for table, column in SEALED:
        fields.unseal_column(schema_editor, table, column)
        if schema_editor.connection.vendor == "postgresql":  # a jsonb column before
            quoted = schema_editor.quote_name(column)
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {quoted} TYPE jsonb USING {quoted}::jsonb"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_partners_and_inbox"),
        ("evidence", "0008_sealed_on_server"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(seal, unseal)],
            state_operations=[
                migrations.AlterField(
                    model_name="inbound",
                    name="files",
                    field=waystation.evidence.models.SealedJSONField(default=list),
                ),
                migrations.AlterField(
                    model_name="receiveditem",
                    name="sender_chain",
                    field=waystation.evidence.models.SealedJSONField(default=list),
                ),
            ],
        ),
    ]
