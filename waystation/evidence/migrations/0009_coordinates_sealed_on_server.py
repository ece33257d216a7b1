"""Where an event happened is not readable on PostgreSQL: its latitude and longitude become
``ServerSealedDecimalField`` (AES-256-GCM there, as its place; the rows already there sealed
here, and back to ``numeric(9, 6)`` migrating backwards). The SQLCipher file, encrypted whole,
keeps its ``decimal`` columns: nothing changes there.
"""

from django.db import migrations

from waystation.core import fields

SEALED = [("evidence_event", "latitude"), ("evidence_event", "longitude")]
TYPES = dict.fromkeys(SEALED, "numeric(9, 6)")  # numeric before: back to numeric


def _sealed_coordinate(name):
    return fields.ServerSealedDecimalField(
        blank=True, decimal_places=6, max_digits=9, null=True, verbose_name=name
    )


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0008_sealed_on_server"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED, types=TYPES)],
            state_operations=[
                migrations.AlterField(
                    model_name="event", name=name, field=_sealed_coordinate(name)
                )
                for name in ("latitude", "longitude")
            ],
        ),
    ]
