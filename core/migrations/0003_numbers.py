"""What every numbered table shares (core.numbers): PostgreSQL's trigger function, SQLite's
counters table."""

from django.db import migrations

from core.numbers import install_shared, remove_shared


class Migration(migrations.Migration):
    dependencies = [("core", "0002_idempotencykey_moved")]

    operations = [migrations.RunPython(install_shared, remove_shared)]
