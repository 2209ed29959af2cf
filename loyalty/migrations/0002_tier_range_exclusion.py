"""PostgreSQL only: tier ranges of one structure never overlap (exclusion constraint).

`int8range(min_points, max_points, '[]')` is the inclusive range (an empty max is unbounded);
btree_gist lets the structure id take part in the GiST index. The constraint is deferred to
commit so a service can reorder a ladder inside one transaction. SQLite relies on the service
check (`loyalty.services.validate_tiers`), which runs on both.
"""

from django.db import migrations

CONSTRAINT = "tier_ranges_do_not_overlap"


def create_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE loyalty_tier ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(structure_id WITH =, int8range(min_points, max_points, '[]') WITH &&) "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE loyalty_tier DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0001_initial")]

    operations = [migrations.RunPython(create_constraint, drop_constraint, elidable=False)]
