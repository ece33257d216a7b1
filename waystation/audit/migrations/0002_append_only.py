from django.db import migrations

from waystation.audit.triggers import install_append_only_triggers, remove_append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: install_append_only_triggers(schema_editor.connection),
            lambda apps, schema_editor: remove_append_only_triggers(schema_editor.connection),
        )
    ]
