"""Organizations get a stable integer number (core.numbers): Talon.One's `accountId`."""

from django.db import migrations

from core.numbers import numbered


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_numbers"),
        ("organizations", "0002_idempotencykey"),
    ]

    operations = numbered("organization", "organizations_organization")
