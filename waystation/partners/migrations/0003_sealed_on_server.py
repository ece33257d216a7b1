"""What a received partner package lists is not readable on PostgreSQL (issue 27): the files
inside it (names, sizes, SHA-256) and each received item's custody chain as the sender kept it
(it names the hashes) are sealed there (AES-256-GCM, the rows already there sealed here; plain
in the SQLCipher file, encrypted whole, where nothing changes).
"""

from django.db import migrations

import waystation.evidence.models
from waystation.core import fields

SEALED = [("partners_inbound", "files"), ("partners_receiveditem", "sender_chain")]
TYPES = dict.fromkeys(SEALED, "jsonb")  # jsonb columns before: back to jsonb


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0002_partners_and_inbox"),
        ("evidence", "0008_sealed_on_server"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED, types=TYPES)],
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
