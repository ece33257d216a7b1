from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0004_indexes_in_use"),
    ]

    operations = [
        migrations.RenameField(model_name="importjob", old_name="columns", new_name="reading"),
        migrations.AddField(
            model_name="importjob",
            name="rejected_blob",
            field=models.CharField(blank=True, max_length=128),
        ),
        migrations.AddField(
            model_name="importjob",
            name="rejected_name",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="importjob",
            name="rejected_rows",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
