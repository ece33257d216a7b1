"""SQLite: the cities indexed again (``search.CITY_SQLITE``), so that a search reads the index of
the cities, not every case row; 0012 dropped the index on both databases as PostgreSQL's cities
are sealed. Nothing on PostgreSQL, where the city is searched by its blind index."""

from django.db import migrations

from waystation.cases.search import drop_city_index, ensure_city_index


def keep(apps, schema_editor):
    ensure_city_index(schema_editor)


def drop(apps, schema_editor):
    drop_city_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_detained_since"),
    ]

    operations = [migrations.RunPython(keep, drop)]
