# Items get a source and release terms; the person of a case gets a consent for his items.
# Items recorded before this migration came, as far as the group knows, from the person of
# the case: they become "from the person of the case", so his consent governs them (and until
# he gives it, they go nowhere). Items added later start as "not recorded".

import django.db.models.deletion
import django.utils.timezone
import waystation.core.fields
from django.conf import settings
from django.db import migrations, models

SOURCES = [
    ('not_recorded', 'Not recorded yet: goes nowhere'),
    ('person', 'From the person of the case (his consent governs it)'),
    ('witness', "From another witness (his testimony's consent governs it)"),
    ('open', 'From an open source (may go anywhere)'),
    ('organisation', 'From an organisation or partner, on named terms'),
]


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_alter_document_kind'),
        ('evidence', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The default fills the rows that exist; the next operation sets the one for new rows.
        migrations.AddField(
            model_name='item',
            name='origin',
            field=models.CharField(choices=SOURCES, default='person', max_length=20, verbose_name='came from'),
        ),
        migrations.AlterField(
            model_name='item',
            name='origin',
            field=models.CharField(choices=SOURCES, default='not_recorded', max_length=20, verbose_name='came from'),
        ),
        migrations.AddField(
            model_name='item',
            name='origin_organisation',
            field=waystation.core.fields.EncryptedTextField(blank=True, default=b'', editable=True, verbose_name='organisation or partner'),
        ),
        migrations.AddField(
            model_name='item',
            name='origin_testimony',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='items_given', to='evidence.testimony', verbose_name='testimony of the witness who gave it'),
        ),
        migrations.AddField(
            model_name='item',
            name='terms_courts',
            field=models.JSONField(blank=True, default=list, verbose_name='courts named in its terms'),
        ),
        migrations.AddField(
            model_name='item',
            name='terms_scope',
            field=models.JSONField(blank=True, default=list, verbose_name='its terms allow'),
        ),
        migrations.CreateModel(
            name='PersonConsent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.JSONField(blank=True, default=list, verbose_name='his items may go to')),
                ('courts', models.JSONField(default=list, verbose_name='courts or investigative bodies by name')),
                ('recorded_on', models.DateField(default=django.utils.timezone.localdate, verbose_name='consent recorded on')),
                ('withdrawn_on', models.DateField(blank=True, null=True, verbose_name='consent withdrawn on')),
                ('recorded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='item_consent', to='cases.case')),
                ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
    ]
