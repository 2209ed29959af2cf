"""Profiles get a stable integer number (core.numbers), the id Talon.One's SDK expects."""

from django.db import migrations

from core.numbers import numbered


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_numbers"),
        ("customers", "0003_alter_customerprofile_organization"),
    ]

    operations = numbered("customerprofile", "customers_customerprofile")
