"""GIN index on profile attributes for `attributes__<key>=` filters (PostgreSQL only).

The filter uses jsonb containment (@>) on PostgreSQL, which this index serves; SQLite has no
GIN indexes and falls back to a scan of the organization's rows.
"""

from django.db import migrations

INDEX = "profile_attributes_gin_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON customers_customerprofile "
            "USING gin (attributes jsonb_path_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
