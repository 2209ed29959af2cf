"""PostgreSQL only: tier-range audiences of one group never overlap (exclusion constraint).

Only audiences with a range (`start_value` set) take part; an empty `end_value` is unbounded.
SQLite relies on the service check (`audiences.services.create_tier_audiences`).
"""

from django.db import migrations

CONSTRAINT = "audience_ranges_do_not_overlap"


def create_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE audiences_audience ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(group_id WITH =, int8range(start_value, end_value, '[]') WITH &&) "
        "WHERE (start_value IS NOT NULL AND group_id IS NOT NULL)"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE audiences_audience DROP CONSTRAINT IF EXISTS {CONSTRAINT}"
        )


class Migration(migrations.Migration):
    dependencies = [("audiences", "0001_initial")]

    operations = [migrations.RunPython(create_constraint, drop_constraint, elidable=False)]
