"""Group members become tenant rows: an indexed `organization`, the group's. Added nullable,
filled from each row's group in one UPDATE, then made NOT NULL. (On PostgreSQL, AlterField
makes the deferred foreign key IMMEDIATE before SET NOT NULL, so the UPDATE's pending checks
run first and the ALTER does not fail with "pending trigger events".)"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_group_organization(apps, schema_editor):
    MembersGroup = apps.get_model("memberships", "MembersGroup")
    MembersGroupMember = apps.get_model("memberships", "MembersGroupMember")
    # one statement: UPDATE … SET organization_id = (SELECT organization_id FROM the group)
    MembersGroupMember.objects.filter(organization__isnull=True).update(
        organization_id=Subquery(
            MembersGroup.objects.filter(pk=OuterRef("group_id")).values("organization_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("memberships", "0002_all_members_groups"),
        ("organizations", "0002_idempotencykey"),
    ]

    operations = [
        migrations.AddField(
            model_name="membersgroupmember",
            name="organization",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="organizations.organization",
            ),
        ),
        migrations.RunPython(copy_group_organization, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="membersgroupmember",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="organizations.organization",
            ),
        ),
    ]
