from django.db import migrations

import waystation.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_alter_document_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='identity',
            name='callsign',
            field=waystation.core.fields.EncryptedTextField(blank=True, default=b'', editable=True, verbose_name='callsign or nickname'),
        ),
    ]
