"""MembersGroup.members_count is kept by database triggers on the group-member table (core.db),
so no writer recounts by hand; every count is set right once first."""

from django.db import migrations

from core.db import count_kept_by_database


class Migration(migrations.Migration):
    dependencies = [("memberships", "0003_membersgroupmember_organization")]

    operations = [
        count_kept_by_database(
            name="memberships_members_count",
            child="memberships_membersgroupmember",
            fk="group_id",
            parent="memberships_membersgroup",
            column="members_count",
        )
    ]
