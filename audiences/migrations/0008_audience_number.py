"""Audiences get a stable integer number (core.numbers), the id Talon.One's SDK expects."""

import django.db.models
from django.db import migrations

from core.numbers import numbered


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_numbers"),
        ("audiences", "0007_group_type_and_canceled_spelling"),
    ]

    operations = [
        *numbered("audience", "audiences_audience"),
        migrations.AddConstraint(
            model_name="audience",
            constraint=django.db.models.UniqueConstraint(
                fields=("organization", "number"),
                condition=django.db.models.Q(number__isnull=False),
                name="uniq_audience_number",
            ),
        ),
    ]
