"""Member groups: create, update and delete manual groups; automatic groups follow an
audience (its members become theirs, set-based, after each refresh); members_count is kept by
the database (triggers). System groups are kept by the system (all_members.py)."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from audiences import services as audience_services
from audiences.models import Audience, AudienceMembership
from memberships.conditions import as_rules
from memberships.models import MembersGroup
from organizations.models import Organization

from ._sql import INSERT_MEMBERS, MEMBERS, db_uuid


def assert_editable(group: MembersGroup) -> None:
    if group.system:
        raise PermissionDenied("System groups are kept by the system and cannot be changed.")


def _check_group(group: MembersGroup) -> None:
    group.full_clean(exclude=["organization", "audience"], validate_constraints=False)


def _set_fields(group: MembersGroup, data: Mapping) -> None:
    for field in ("name", "type", "description"):
        if field in data:
            setattr(group, field, data[field])


@transaction.atomic
def create_group(
    *, organization: Organization, data: Mapping, audience=None, audience_conditions=None
) -> MembersGroup:
    """A manual group, or an automatic one following `audience` or `audience_conditions` (a
    backing audience is created from the conditions and refreshed)."""
    group = MembersGroup(organization=organization)
    _set_fields(group, data)
    if audience is not None and audience_conditions:
        raise ValidationError({"audience_conditions": "Give an audience or conditions, not both."})
    if audience is not None and audience.organization_id != organization.pk:
        raise ValidationError({"audience_id": "No such audience."})
    if audience is not None and not _lock_audience(audience):
        # deleted since the request was validated: without the lock, the group's foreign
        # key would fail at COMMIT (a 500)
        raise ValidationError({"audience_id": "No such audience."})
    if audience_conditions:
        audience = _backing_audience(organization, group.name, audience_conditions)
        group.audience_conditions = list(audience_conditions)
    group.audience = audience
    group.automatic = audience is not None
    _check_group(group)
    group.save()
    if audience is not None:
        if audience_conditions:
            audience_services.refresh_audience(audience_id=audience.pk)
        follow_audience(group=group)
    return group


def _backing_audience(organization, name: str, conditions) -> Audience:
    """The audience an automatic group made from conditions follows (refreshed on a
    schedule); `conditions` in our rule format or the seed's (memberships.conditions)."""
    return audience_services.create_audience(
        organization=organization,
        data={
            "name": f"Group: {name}"[:200],
            "refresh_interval_seconds": settings.AUDIENCE_DEFAULT_REFRESH_SECONDS,
        },
        rules=as_rules(conditions),
    )


@transaction.atomic
def change_group_source(*, group: MembersGroup, audience=None, audience_conditions=None):
    """Make the group follow another audience, or new conditions (its backing audience's
    rules change, or one is made); its members follow at once. A manual group becomes
    automatic."""
    assert_editable(group)
    if (audience is None) == (not audience_conditions):
        raise ValidationError({"audience_conditions": "Give an audience or conditions."})
    made_from_conditions = bool(group.audience_conditions) and group.audience_id is not None
    if audience is not None:
        if audience.organization_id != group.organization_id or not _lock_audience(audience):
            raise ValidationError({"audience_id": "No such audience."})
        own = group.audience if made_from_conditions and group.audience_id != audience.pk else None
        group.audience, group.audience_conditions = audience, []
        group.save()
        if own is not None:  # the audience made from its conditions was the group's own
            audience_services.delete_audience(audience=own)
    elif made_from_conditions:
        audience_services.update_audience(
            audience=group.audience, data={}, rules=as_rules(audience_conditions)
        )
        group.audience_conditions = list(audience_conditions)
        audience_services.refresh_audience(audience_id=group.audience_id)
    else:
        group.audience = _backing_audience(group.organization, group.name, audience_conditions)
        group.audience_conditions = list(audience_conditions)
        audience_services.refresh_audience(audience_id=group.audience_id)
    group.automatic = True
    group.save()
    follow_audience(group=group)
    return group


def _lock_audience(audience) -> bool:
    """Hold the audience row until this transaction ends (a concurrent delete waits), and
    tell whether it still exists."""
    return Audience.objects.select_for_update().filter(pk=audience.pk).exists()


@transaction.atomic
def update_group(*, group: MembersGroup, data: Mapping) -> MembersGroup:
    assert_editable(group)
    _set_fields(group, data)
    _check_group(group)
    group.save()
    return group


@transaction.atomic
def delete_group(*, group: MembersGroup) -> None:
    assert_editable(group)
    group.delete()


def follow_audience(*, group: MembersGroup) -> None:
    """An automatic group's members become its audience's members (set-based)."""
    if group.audience_id is None:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    source = AudienceMembership._meta.db_table
    group_id, audience_id = db_uuid(group.pk), db_uuid(group.audience_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {MEMBERS} WHERE group_id = %s AND NOT EXISTS (SELECT 1 FROM {source} a "  # noqa: S608
            f"WHERE a.audience_id = %s AND a.profile_id = {MEMBERS}.profile_id)",
            [group_id, audience_id],
        )
        cursor.execute(
            f"{INSERT_MEMBERS} SELECT %s, %s, a.profile_id, %s FROM {source} a "  # noqa: S608
            f"WHERE a.audience_id = %s AND NOT EXISTS (SELECT 1 FROM {MEMBERS} m "
            "WHERE m.group_id = %s AND m.profile_id = a.profile_id) ON CONFLICT DO NOTHING",
            [db_uuid(group.organization_id), group_id, now, audience_id, group_id],
        )


def follow_audience_groups(*, audience_id) -> int:
    """audiences' `audience_refreshed` hook: every automatic group on the audience follows.
    Returns how many."""
    groups = list(MembersGroup.objects.filter(audience_id=audience_id, automatic=True))
    for group in groups:
        follow_audience(group=group)
    return len(groups)
