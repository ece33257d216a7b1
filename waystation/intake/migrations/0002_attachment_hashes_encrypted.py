# The SHA-256 values of intake attachments, encrypted like their names (issue 18, finding 10).
# Existing rows are encrypted in place; `waystation migrate` runs with the keys.

from django.db import migrations

import waystation.core.fields


def encrypt(apps, schema_editor):
    Attachment = apps.get_model("intake", "Attachment")
    for attachment in Attachment.objects.all().iterator():
        attachment.sha256 = attachment.sha256_clear
        attachment.original_sha256 = attachment.original_sha256_clear
        attachment.save(update_fields=["sha256", "original_sha256"])


def decrypt(apps, schema_editor):
    Attachment = apps.get_model("intake", "Attachment")
    for attachment in Attachment.objects.all().iterator():
        attachment.sha256_clear = attachment.sha256
        attachment.original_sha256_clear = attachment.original_sha256
        attachment.save(update_fields=["sha256_clear", "original_sha256_clear"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_initial")]

    operations = [
        migrations.RenameField("attachment", "sha256", "sha256_clear"),
        migrations.RenameField("attachment", "original_sha256", "original_sha256_clear"),
        migrations.AddField(
            model_name="attachment",
            name="sha256",
            field=waystation.core.fields.EncryptedTextField(blank=True, default=b"", editable=True),
        ),
        migrations.AddField(
            model_name="attachment",
            name="original_sha256",
            field=waystation.core.fields.EncryptedTextField(blank=True, default=b"", editable=True),
        ),
        migrations.RunPython(encrypt, decrypt),
        migrations.RemoveField("attachment", "sha256_clear"),
        migrations.RemoveField("attachment", "original_sha256_clear"),
    ]
