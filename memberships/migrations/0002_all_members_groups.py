"""Every organization gets its system "All members" group when it is created
(organizations.hooks.organization_created); this gives one to those created before."""

from django.db import migrations


def create_missing_groups(apps, schema_editor):
    Organization = apps.get_model("organizations", "Organization")
    MembersGroup = apps.get_model("memberships", "MembersGroup")
    have = set(
        MembersGroup.objects.filter(system=True, name="All members").values_list(
            "organization_id", flat=True
        )
    )
    MembersGroup.objects.bulk_create(
        MembersGroup(
            organization_id=organization_id,
            name="All members",
            type="system",
            description="Every customer with an enrolled loyalty membership.",
            system=True,
        )
        for organization_id in Organization.objects.exclude(pk__in=have).values_list(
            "pk", flat=True
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("memberships", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_missing_groups, migrations.RunPython.noop)]
