"""IdempotencyKey moves from core to organizations (the tenancy kernel); its table stays."""

import django.core.serializers.json
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=255)),
                        (
                            "fingerprint",
                            models.CharField(
                                help_text="SHA-256 of method, path and body.", max_length=64
                            ),
                        ),
                        ("method", models.CharField(max_length=10)),
                        ("path", models.CharField(max_length=2000)),
                        ("status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        (
                            "response_body",
                            models.JSONField(
                                blank=True,
                                encoder=django.core.serializers.json.DjangoJSONEncoder,
                                null=True,
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="organizations.organization",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "core_idempotencykey",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("organization", "key"), name="uniq_idempotency_key"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
