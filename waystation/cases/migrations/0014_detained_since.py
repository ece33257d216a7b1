"""Each case's ongoing detention and the day it began (``Case.ongoing_detention``,
``Case.detained_since``), kept by triggers on ``cases_riskevent`` on both databases
(``cases.detention``) and filled here from the events already recorded, so that the dashboard's
ongoing detentions come from one index."""

import django.db.models.deletion
from django.db import migrations, models

from waystation.cases.detention import drop_detained_since, keep_detained_since


def keep(apps, schema_editor):
    keep_detained_since(schema_editor)


def drop(apps, schema_editor):
    drop_detained_since(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_note_digests"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="ongoing_detention",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.riskevent",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="detained_since",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["status", "-urgency", "detained_since", "codename"],
                name="cases_case_detained",
            ),
        ),
        migrations.RunPython(keep, drop),
    ]
