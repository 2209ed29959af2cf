"""Audience.member_count is kept by database triggers on the membership table (core.db), so no
writer recounts by hand; every count is set right once first."""

from django.db import migrations

from core.db import count_kept_by_database


class Migration(migrations.Migration):
    dependencies = [("audiences", "0005_work_heartbeats")]

    operations = [
        count_kept_by_database(
            name="audiences_member_count",
            child="audiences_audiencemembership",
            fk="audience_id",
            parent="audiences_audience",
            column="member_count",
        )
    ]
