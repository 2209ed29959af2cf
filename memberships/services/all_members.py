"""The system "All members" group of each organization: every profile with an enrolled,
active loyalty membership. Kept in step by the membership services with set-based SQL; its
members_count is kept by the database (triggers: memberships migration 0004)."""

from django.db import connection
from django.utils import timezone

from core.lookups import any_of_sql
from memberships.models import LoyaltyMembership, MembersGroup
from organizations.models import Organization

from ._sql import INSERT_MEMBERS, MEMBERS, db_uuid


def all_members_group(organization: Organization) -> MembersGroup:
    """The organization's "All members" group (made with the organization: the
    organization_created hook; made here if it is missing)."""
    group = MembersGroup.objects.filter(
        organization=organization, system=True, name=MembersGroup.ALL_MEMBERS
    ).first()
    if group is None:
        group = MembersGroup.objects.create(
            organization=organization,
            name=MembersGroup.ALL_MEMBERS,
            type="system",
            description="Every customer with an enrolled loyalty membership.",
            system=True,
        )
    return group


def sync_all_members_group(*, organization: Organization, profile_ids) -> None:
    """Keep the system "All members" group equal to the profiles with an enrolled, active
    membership, for `profile_ids`: two set-based statements."""
    if not profile_ids:
        return
    group = all_members_group(organization)
    memberships = LoyaltyMembership._meta.db_table
    group_id, org_id = db_uuid(group.pk), db_uuid(organization.pk)
    scope, scope_params = any_of_sql("profile_id", [db_uuid(p) for p in profile_ids])
    scope = f" AND {scope}"
    enrolled = (
        f"SELECT 1 FROM {memberships} m WHERE m.organization_id = %s AND m.state = 'enrolled' "  # noqa: S608
        "AND m.deleted_at IS NULL AND m.profile_id = {target}.profile_id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MEMBERS} WHERE group_id = %s{scope} "  # noqa: S608
            f"AND NOT EXISTS ({enrolled.format(target=MEMBERS)})",
            [group_id, *scope_params, org_id],
        )
        cursor.execute(
            f"{INSERT_MEMBERS} SELECT DISTINCT %s, %s, profile_id, %s FROM {memberships} src "  # noqa: S608
            "WHERE organization_id = %s AND state = 'enrolled' AND deleted_at IS NULL"
            f"{scope} AND NOT EXISTS (SELECT 1 FROM {MEMBERS} gm WHERE gm.group_id = %s "
            "AND gm.profile_id = src.profile_id) ON CONFLICT DO NOTHING",
            [org_id, group_id, now, org_id, *scope_params, group_id],
        )


def join_all_members_group(*, organization: Organization, profile_ids) -> None:
    """Profiles that just got an enrolled membership are in "All members" (one insert; those
    already in stay as they are). Adding a membership never takes anyone out."""
    if not profile_ids:
        return
    group = all_members_group(organization)
    now = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # unnest of one array parameter: no join with the profiles, no 1,000-value IN list
            cursor.execute(
                f"{INSERT_MEMBERS} SELECT %s, %s, unnest(%s::uuid[]), %s ON CONFLICT DO NOTHING",
                [organization.pk, group.pk, list(profile_ids), now],
            )
        else:
            org_id, group_id = db_uuid(organization.pk), db_uuid(group.pk)
            added_at = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                f"{INSERT_MEMBERS} VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(org_id, group_id, db_uuid(p), added_at) for p in profile_ids],
            )
