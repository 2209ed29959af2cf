"""Programs, cards, tiers and transactions get a stable integer number (core.numbers): the
ids Talon.One's SDK types as integers."""

import django.db.models
from django.db import migrations

from core.numbers import numbered


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_numbers"),
        ("loyalty", "0004_initial"),
    ]

    operations = [
        *numbered("loyaltyprogram", "loyalty_loyaltyprogram"),
        *numbered("loyaltycard", "loyalty_loyaltycard"),
        *numbered("tier", "loyalty_tier"),
        *numbered("pointstransaction", "loyalty_pointstransaction"),
        migrations.AddConstraint(
            model_name="loyaltyprogram",
            constraint=django.db.models.UniqueConstraint(
                fields=("organization", "number"),
                condition=django.db.models.Q(number__isnull=False),
                name="uniq_program_number",
            ),
        ),
    ]
