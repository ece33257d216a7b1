"""Nothing a member typed about an event or a testimony, and no item's hash, is readable on
PostgreSQL (issue 27): those fields become ``ServerSealedTextField`` (AES-256-GCM there, the
rows already there sealed here; plain in the SQLCipher file, encrypted whole, where nothing
changes). The item's SHA-256 loses its index: nothing looks items up by it. Custody details
(they name the hashes) and time-stamp statements are sealed too. The events are no longer
ordered by title in the database, which cannot sort sealed text.
"""

from django.db import migrations, models

import waystation.core.fields
import waystation.evidence.models
from waystation.core import fields

# (table, column) of every field sealed here.
SEALED = [
    ("evidence_event", "title"),
    ("evidence_event", "place"),
    ("evidence_event", "victims_kind"),
    ("evidence_event", "perpetrator_unit"),
    ("evidence_event", "perpetrator_rank"),
    ("evidence_testimony", "interpreter"),
    ("evidence_testimony", "language"),
    ("evidence_testimony", "consent_body"),
    ("evidence_item", "sha256"),
    ("evidence_item", "media_type"),
    ("evidence_custodyentry", "details"),
    ("evidence_timestamptoken", "statement"),
]
TYPES = {("evidence_custodyentry", "details"): "jsonb"}  # jsonb before: back to jsonb


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0007_timestamp_tokens"),
    ]

    operations = [
        # json has no btree: the index goes first (on both databases: nothing uses it).
        migrations.AlterField(
            model_name="item",
            name="sha256",
            field=models.CharField(max_length=64, verbose_name="SHA-256"),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[fields.sealing_operation(SEALED, types=TYPES)],
            state_operations=[
                migrations.AlterModelOptions(
                    name="event",
                    options={"ordering": ["-date_from", "recorded_at"]},
                ),
                migrations.AlterField(
                    model_name="custodyentry",
                    name="details",
                    field=waystation.evidence.models.SealedJSONField(blank=True, default=dict),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="perpetrator_rank",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True, max_length=100, verbose_name="perpetrator's rank"
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="perpetrator_unit",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True, max_length=200, verbose_name="perpetrator's unit"
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="place",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True, max_length=200, verbose_name="place"
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="title",
                    field=waystation.core.fields.ServerSealedTextField(
                        help_text="For the list, e.g. “Shelling of the market, Kherson”. No names of witnesses.",
                        max_length=160,
                        verbose_name="short title",
                    ),
                ),
                migrations.AlterField(
                    model_name="event",
                    name="victims_kind",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True,
                        help_text="e.g. prisoners of war, civilians",
                        max_length=200,
                        verbose_name="victims",
                    ),
                ),
                migrations.AlterField(
                    model_name="item",
                    name="media_type",
                    field=waystation.core.fields.ServerSealedTextField(
                        max_length=100, verbose_name="media type (from the content)"
                    ),
                ),
                migrations.AlterField(
                    model_name="item",
                    name="sha256",
                    field=waystation.core.fields.ServerSealedTextField(
                        max_length=64, verbose_name="SHA-256"
                    ),
                ),
                migrations.AlterField(
                    model_name="testimony",
                    name="consent_body",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True, max_length=200, verbose_name="named court or investigative body"
                    ),
                ),
                migrations.AlterField(
                    model_name="testimony",
                    name="interpreter",
                    field=waystation.core.fields.ServerSealedTextField(
                        blank=True, max_length=120, verbose_name="interpreter"
                    ),
                ),
                migrations.AlterField(
                    model_name="testimony",
                    name="language",
                    field=waystation.core.fields.ServerSealedTextField(
                        max_length=60, verbose_name="language of the statement"
                    ),
                ),
                migrations.AlterField(
                    model_name="timestamptoken",
                    name="statement",
                    field=waystation.core.fields.ServerSealedTextField(),
                ),
            ],
        ),
    ]
