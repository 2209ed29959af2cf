"""One spelling per word across the API: an audience group's `kind` is its `type` (as member
groups say it), and an import's "cancelled" status is "canceled" (as loyalty memberships, after
seed 004, spell it)."""

from django.db import migrations, models


def respell(apps, schema_editor, old, new):
    AudienceImport = apps.get_model("audiences", "AudienceImport")
    AudienceImport.objects.filter(status=old).update(status=new)


class Migration(migrations.Migration):
    dependencies = [("audiences", "0006_member_count_kept_by_database")]

    operations = [
        migrations.RenameField(model_name="audiencegroup", old_name="kind", new_name="type"),
        migrations.AlterField(
            model_name="audienceimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("running", "Running"),
                    ("completed", "Completed"),
                    ("failed", "Failed"),
                    ("canceled", "Canceled"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.RunPython(
            lambda apps, editor: respell(apps, editor, "cancelled", "canceled"),
            lambda apps, editor: respell(apps, editor, "canceled", "cancelled"),
        ),
    ]
