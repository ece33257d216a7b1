from django.db import migrations, models


def copy_grants(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    RoleGrant = apps.get_model("accounts", "RoleGrant")
    for user in User.objects.all():
        codes = sorted(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        user.role_codes = f" {' '.join(codes)} " if codes else ""
        user.save(update_fields=["role_codes"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_alter_user_totp_secret")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="role_codes",
            field=models.CharField(blank=True, default="", editable=False, max_length=255),
        ),
        migrations.RunPython(copy_grants, migrations.RunPython.noop),
        migrations.DeleteModel(name="RoleGrant"),
    ]
