"""Raw-SQL pieces for the set-based writes to group members (all_members.py, groups.py)."""

from django.db import connection

from memberships.models import MembersGroup, MembersGroupMember

MEMBERS = MembersGroupMember._meta.db_table
# every writer fills organization_id: the row is a tenant row, scoped like any other
INSERT_MEMBERS = f"INSERT INTO {MEMBERS} (organization_id, group_id, profile_id, added_at)"


def db_uuid(value):
    """A uuid as the database stores it (raw SQL on SQLite needs its hex form)."""
    return MembersGroup._meta.pk.get_db_prep_value(value, connection)
