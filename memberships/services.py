"""Writes to loyalty memberships and member groups."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audiences import services as audience_services
from audiences.models import Audience, AudienceMembership
from core.db import insert_rows, new_instances
from core.errors import BatchValidationError, ConflictError
from core.lookups import any_of_sql
from customers.models import CustomerProfile
from loyalty.models import LoyaltyProgram, Tier, TierStructure
from organizations.models import Organization

from .models import LoyaltyMembership, MembersGroup, MembersGroupMember

BATCH_LIMIT = 1000
IDENTIFIERS_LIMIT = 10_000
State = LoyaltyMembership.State

# from -> allowed targets
TRANSITIONS = {
    State.NEW: {State.PENDING, State.ENROLLED, State.DECLINED, State.CANCELED},
    State.PENDING: {State.ENROLLED, State.DECLINED, State.CANCELED},
    State.ENROLLED: {State.CANCELED},
    State.DECLINED: {State.PENDING},
    State.CANCELED: {State.PENDING},
}
EDITABLE = ("code", "is_primary", "points", "expiration_date", "url", "tier", "state")


def _limit(items: Sequence, what: str) -> None:
    if len(items) > BATCH_LIMIT:
        raise ValidationError(f"At most {BATCH_LIMIT} {what} per call.")


def _active_tiers(organization: Organization, program_ids) -> dict:
    """program id -> {tier id} of its ACTIVE structure."""
    tiers: dict = {}
    for tier_id, program_id in Tier.objects.filter(
        organization=organization,
        structure__program_id__any=set(program_ids),
        structure__status=TierStructure.Status.ACTIVE,
    ).values_list("id", "structure__program_id"):
        tiers.setdefault(program_id, set()).add(tier_id)
    return tiers


def _primary_conflicts(wanted: dict, exclude_ids=()) -> set:
    """Profiles (of `wanted`: profile id -> item index) that already have another active
    primary membership. The profile ids are the organization's already, so no organization
    filter: the planner then always takes the partial index behind the constraint."""
    return set(
        LoyaltyMembership.objects.filter(
            profile_id__any=list(wanted),
            is_primary=True,
            deleted_at__isnull=True,
        )
        .exclude(pk__any=list(exclude_ids))
        .values_list("profile_id", flat=True)
    )


@transaction.atomic
def add_memberships(
    *, organization: Organization, items: Sequence[Mapping]
) -> list[LoyaltyMembership]:
    """Create up to 1,000 memberships. Every item is checked first (program, profile by
    integration_id, tier of the program's active structure, one primary per profile, one
    membership per program and profile); any error → BatchValidationError, nothing written.
    A fixed number of queries whatever the batch size."""
    _limit(items, "memberships")
    errors: dict[int, dict[str, list[str]]] = {}

    def error(index, field, message):
        errors.setdefault(index, {}).setdefault(field, []).append(message)

    programs = {
        p.pk: p
        for p in LoyaltyProgram.objects.filter(
            organization=organization, pk__any={i["program"] for i in items}
        )
    }
    profiles = dict(
        CustomerProfile.objects.filter(
            organization=organization, integration_id__any={i["profile"] for i in items}
        ).values_list("integration_id", "pk")
    )
    tiers = _active_tiers(organization, programs)
    existing = set(  # programs and profiles are the organization's: see _primary_conflicts
        LoyaltyMembership.objects.filter(
            program_id__any=list(programs),
            profile_id__any=list(profiles.values()),
            deleted_at__isnull=True,
        ).values_list("program_id", "profile_id")
    )
    primaries: dict = {}
    pairs: dict = {}
    now = timezone.now()
    rows = []
    for index, item in enumerate(items):
        program = programs.get(item["program"])
        profile_id = profiles.get(item["profile"])
        if program is None:
            error(index, "program", "No such loyalty program.")
        if profile_id is None:
            error(index, "profile", f"No customer profile with integration_id “{item['profile']}”.")
        if program is None or profile_id is None:
            continue
        key = (program.pk, profile_id)
        if key in existing:
            error(index, "profile", "This customer already has a membership in this program.")
        elif key in pairs:
            error(index, "profile", f"Same program and customer as item {pairs[key]}.")
        pairs.setdefault(key, index)
        tier = item.get("tier")
        if tier is not None and tier not in tiers.get(program.pk, set()):
            error(index, "tier", "The tier must belong to the program's active tier structure.")
        if item.get("is_primary"):
            if profile_id in primaries:
                error(index, "is_primary", f"Item {primaries[profile_id]} is already primary.")
            primaries.setdefault(profile_id, index)
        rows.append(
            {
                "organization_id": organization.pk,
                "program_id": program.pk,
                "profile_id": profile_id,
                "code": item.get("code") or "",
                "is_primary": bool(item.get("is_primary")),
                "points": item.get("points"),
                "expiration_date": item.get("expiration_date"),
                "url": item.get("url") or "",
                "tier_id": tier,
                "state": item.get("state") or State.NEW,
                "created_at": now,
                "updated_at": now,
            }
        )
    for profile_id in _primary_conflicts(primaries):
        error(
            primaries[profile_id], "is_primary", "This customer already has a primary membership."
        )
    if errors:
        raise BatchValidationError(errors)
    memberships = new_instances(LoyaltyMembership, rows)
    insert_rows(LoyaltyMembership, memberships)
    _join_all_members_group(
        organization=organization,
        profile_ids={m.profile_id for m in memberships if m.state == State.ENROLLED},
    )
    return memberships


@transaction.atomic
def update_memberships(
    *, organization: Organization, items: Sequence[Mapping]
) -> list[LoyaltyMembership]:
    """Change up to 1,000 memberships by id. A field left out, or sent as null, stays as it
    is. States follow TRANSITIONS. All checked first, all or nothing."""
    _limit(items, "memberships")
    errors: dict[int, dict[str, list[str]]] = {}

    def error(index, field, message):
        errors.setdefault(index, {}).setdefault(field, []).append(message)

    ids = [item["id"] for item in items]
    seen: dict = {}
    for index, membership_id in enumerate(ids):
        if membership_id in seen:
            error(index, "id", f"Also in item {seen[membership_id]}: each id once per call.")
        seen.setdefault(membership_id, index)
    current = {
        m.pk: m
        for m in LoyaltyMembership.objects.select_for_update()
        .filter(organization=organization, pk__any=ids)
        .order_by("pk")
    }
    tiers = _active_tiers(organization, {m.program_id for m in current.values()})
    primaries: dict = {}
    changed = []
    enrolment_changed: set = set()  # profiles whose "All members" membership may change
    now = timezone.now()
    for index, item in enumerate(items):
        membership = current.get(item["id"])
        if membership is None or membership.deleted_at is not None:
            error(index, "id", "No such (active) membership.")
            continue
        state = item.get("state")
        allowed = TRANSITIONS[State(membership.state)]
        if state is not None and state != membership.state and state not in allowed:
            error(
                index,
                "state",
                f"From {membership.state} a membership can go to: {', '.join(sorted(allowed))}.",
            )
        tier = item.get("tier")
        if tier is not None and tier not in tiers.get(membership.program_id, set()):
            error(index, "tier", "The tier must belong to the program's active tier structure.")
        if (
            state is not None
            and state != membership.state
            and State.ENROLLED in (state, membership.state)
        ):
            enrolment_changed.add(membership.profile_id)
        for field in EDITABLE:
            value = item.get(field)
            if value is not None:
                setattr(membership, "tier_id" if field == "tier" else field, value)
        if membership.is_primary:
            if membership.profile_id in primaries and primaries[membership.profile_id] != index:
                error(index, "is_primary", f"Item {primaries[membership.profile_id]} is primary.")
            primaries.setdefault(membership.profile_id, index)
        membership.updated_at = now
        changed.append(membership)
    conflicts = _primary_conflicts(primaries, exclude_ids=ids)
    for profile_id in conflicts:
        error(
            primaries[profile_id], "is_primary", "This customer already has a primary membership."
        )
    if errors:
        raise BatchValidationError(errors)
    fields = ["code", "is_primary", "points", "expiration_date", "url", "tier", "state"]
    # primaries that stop being primary first, so the unique index never sees two at once
    LoyaltyMembership.objects.filter(pk__any=[m.pk for m in changed if not m.is_primary]).update(
        is_primary=False
    )
    LoyaltyMembership.objects.bulk_update(changed, [*fields, "updated_at"])
    sync_all_members_group(organization=organization, profile_ids=enrolment_changed)
    return changed


@transaction.atomic
def delete_memberships(*, organization: Organization, ids: Sequence) -> int:
    """Soft-delete up to 1,000 memberships (activity state "deleted"); unknown ids → error."""
    _limit(ids, "ids")
    errors: dict[int, dict[str, list[str]]] = {}
    seen: dict = {}
    for index, membership_id in enumerate(ids):
        if membership_id in seen:
            errors[index] = {"ids": [f"Also item {seen[membership_id]}: each id once per call."]}
        seen.setdefault(membership_id, index)
    found = {
        pk: (profile_id, state)
        for pk, profile_id, state in LoyaltyMembership.objects.filter(
            organization=organization, pk__any=list(ids), deleted_at__isnull=True
        ).values_list("pk", "profile_id", "state")
    }
    for index, membership_id in enumerate(ids):
        if membership_id not in found and index not in errors:
            errors[index] = {"ids": ["No such (active) membership."]}
    if errors:
        raise BatchValidationError(errors)
    now = timezone.now()
    deleted = LoyaltyMembership.objects.filter(pk__any=list(found)).update(
        deleted_at=now, is_primary=False, updated_at=now
    )
    sync_all_members_group(
        organization=organization,
        profile_ids={profile for profile, state in found.values() if state == State.ENROLLED},
    )
    return deleted


# -- member groups ----------------------------------------------------------------------------


def all_members_group(organization: Organization) -> MembersGroup:
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


def _recount(group: MembersGroup) -> None:
    MembersGroup.objects.filter(pk=group.pk).update(members_count=group.members.count())


def recount_after_profiles_deleted(*, profiles):
    """customers' `profiles_deleting` hook: the member groups these profiles were in are
    recounted once they are gone."""
    group_ids = set(
        MembersGroupMember.objects.filter(profile__in=profiles)
        .values_list("group_id", flat=True)
        .distinct()
    )
    return lambda: recount_groups(group_ids=group_ids)


def recount_groups(*, group_ids) -> None:
    """Bring members_count up to date after members left without the group's services (their
    profiles were deleted, for instance): the counts are otherwise only moved, not recounted."""
    for group in MembersGroup.objects.filter(pk__in=list(group_ids)):
        _recount(group)


def sync_all_members_group(*, organization: Organization, profile_ids) -> None:
    """Keep the system "All members" group equal to the profiles with an enrolled, active
    membership, for `profile_ids`: two set-based statements, and the count moves by what
    they changed (no recount of a group of a million members)."""
    if not profile_ids:
        return
    group = all_members_group(organization)
    members = MembersGroupMember._meta.db_table
    memberships = LoyaltyMembership._meta.db_table
    pk = MembersGroup._meta.pk
    group_id = pk.get_db_prep_value(group.pk, connection)
    org_id = pk.get_db_prep_value(organization.pk, connection)
    scope, scope_params = any_of_sql(
        "profile_id", [pk.get_db_prep_value(p, connection) for p in profile_ids]
    )
    scope = f" AND {scope}"
    enrolled = (
        f"SELECT 1 FROM {memberships} m WHERE m.organization_id = %s AND m.state = 'enrolled' "  # noqa: S608
        "AND m.deleted_at IS NULL AND m.profile_id = {target}.profile_id"
    )
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {members} WHERE group_id = %s{scope} "  # noqa: S608
            f"AND NOT EXISTS ({enrolled.format(target=members)})",
            [group_id, *scope_params, org_id],
        )
        removed = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {members} (group_id, profile_id, added_at) "  # noqa: S608
            f"SELECT DISTINCT %s, profile_id, %s FROM {memberships} src "
            "WHERE organization_id = %s AND state = 'enrolled' AND deleted_at IS NULL"
            f"{scope} AND NOT EXISTS (SELECT 1 FROM {members} gm WHERE gm.group_id = %s "
            "AND gm.profile_id = src.profile_id) ON CONFLICT DO NOTHING",
            [group_id, now, org_id, *scope_params, group_id],
        )
        added = cursor.rowcount
    if added or removed:
        MembersGroup.objects.filter(pk=group.pk).update(
            members_count=F("members_count") + added - removed
        )


def _join_all_members_group(*, organization: Organization, profile_ids) -> None:
    """Profiles that just got an enrolled membership are in "All members" (one insert; those
    already in stay as they are). Adding a membership never takes anyone out."""
    if not profile_ids:
        return
    group = all_members_group(organization)
    now = timezone.now()
    insert = f"INSERT INTO {MembersGroupMember._meta.db_table} (group_id, profile_id, added_at)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # unnest of one array parameter: no join with the profiles, no 1,000-value IN list
            cursor.execute(
                f"{insert} SELECT %s, unnest(%s::uuid[]), %s ON CONFLICT DO NOTHING",
                [group.pk, list(profile_ids), now],
            )
        else:
            db = MembersGroup._meta.pk.get_db_prep_value
            group_id = db(group.pk, connection)
            added_at = connection.ops.adapt_datetimefield_value(now)
            cursor.executemany(
                f"{insert} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(group_id, db(p, connection), added_at) for p in profile_ids],
            )
        added = cursor.rowcount  # rows inserted (summed over executemany on SQLite)
    if added:
        MembersGroup.objects.filter(pk=group.pk).update(members_count=F("members_count") + added)


def _check_group(group: MembersGroup) -> None:
    group.full_clean(exclude=["organization", "audience"], validate_constraints=False)


@transaction.atomic
def create_group(
    *, organization: Organization, data: Mapping, audience=None, audience_conditions=None
) -> MembersGroup:
    """A manual group, or an automatic one following `audience` or `audience_conditions` (a
    backing audience is created from the conditions and refreshed)."""
    group = MembersGroup(organization=organization)
    for field in ("name", "type", "description"):
        if field in data:
            setattr(group, field, data[field])
    if audience is not None and audience_conditions:
        raise ValidationError({"audience_conditions": "Give an audience or conditions, not both."})
    if audience is not None and audience.organization_id != organization.pk:
        raise ValidationError({"audience_id": "No such audience."})
    if audience is not None and not _lock_audience(audience):
        # deleted since the request was validated: without the lock, the group's foreign
        # key would fail at COMMIT (a 500)
        raise ValidationError({"audience_id": "No such audience."})
    if audience_conditions:
        audience = audience_services.create_audience(
            organization=organization,
            data={"name": f"Group: {group.name}"[:200]},
            rules=audience_conditions,
        )
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


def _lock_audience(audience) -> bool:
    """Hold the audience row until this transaction ends (a concurrent delete waits), and
    tell whether it still exists."""
    return Audience.objects.select_for_update().filter(pk=audience.pk).exists()


def _assert_editable(group: MembersGroup) -> None:
    if group.system:
        raise PermissionDenied("System groups are kept by the system and cannot be changed.")


@transaction.atomic
def update_group(*, group: MembersGroup, data: Mapping) -> MembersGroup:
    _assert_editable(group)
    for field in ("name", "type", "description"):
        if field in data:
            setattr(group, field, data[field])
    _check_group(group)
    group.save()
    return group


@transaction.atomic
def delete_group(*, group: MembersGroup) -> None:
    _assert_editable(group)
    group.delete()


def follow_audience(*, group: MembersGroup) -> None:
    """An automatic group's members become its audience's members (set-based)."""
    if group.audience_id is None:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table, source = MembersGroupMember._meta.db_table, AudienceMembership._meta.db_table
    group_id = MembersGroup._meta.pk.get_db_prep_value(group.pk, connection)
    audience_id = MembersGroup._meta.pk.get_db_prep_value(group.audience_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE group_id = %s AND NOT EXISTS (SELECT 1 FROM {source} a "  # noqa: S608
            f"WHERE a.audience_id = %s AND a.profile_id = {table}.profile_id)",
            [group_id, audience_id],
        )
        cursor.execute(
            f"INSERT INTO {table} (group_id, profile_id, added_at) SELECT %s, a.profile_id, %s "  # noqa: S608
            f"FROM {source} a WHERE a.audience_id = %s AND NOT EXISTS (SELECT 1 FROM {table} m "
            "WHERE m.group_id = %s AND m.profile_id = a.profile_id) ON CONFLICT DO NOTHING",
            [group_id, now, audience_id, group_id],
        )
    _recount(group)


def follow_audience_groups(*, audience_id) -> int:
    """After an audience refresh: every automatic group on it follows. Returns how many."""
    groups = list(MembersGroup.objects.filter(audience_id=audience_id, automatic=True))
    for group in groups:
        follow_audience(group=group)
    return len(groups)


def _profiles_for(organization, identifier_type: str, identifiers: Sequence[str]) -> dict:
    """identifier -> profile id (the first profile when an email is shared)."""
    field = {"email": "email", "msisdn": "msisdn", "id": "integration_id"}[identifier_type]
    values = [v.lower() for v in identifiers] if field == "email" else list(identifiers)
    found: dict = {}
    for value, profile_id in (
        CustomerProfile.objects.filter(organization=organization, **{f"{field}__any": set(values)})
        .order_by("created_at")
        .values_list(field, "pk")
    ):
        found.setdefault(value, profile_id)
    return found


def _bulk_members(group, identifier_type, identifiers):
    if group.system:
        raise PermissionDenied("System groups are kept by the system and cannot be changed.")
    if group.automatic:
        raise ConflictError("This group follows its audience; its members cannot be edited.")
    if len(identifiers) > IDENTIFIERS_LIMIT:
        raise ValidationError(f"At most {IDENTIFIERS_LIMIT:,} identifiers per call.")
    found = _profiles_for(group.organization, identifier_type, identifiers)
    key = (lambda v: v.lower()) if identifier_type == "email" else (lambda v: v)
    unknown = list(dict.fromkeys(v for v in identifiers if key(v) not in found))
    profile_ids = list(dict.fromkeys(found[key(v)] for v in identifiers if key(v) in found))
    return profile_ids, unknown


@transaction.atomic
def add_group_members(*, group: MembersGroup, identifier_type: str, identifiers) -> dict:
    """Add profiles by email, msisdn or integration id; unknown identifiers are reported back,
    duplicates (in the call or already members) are ignored."""
    profile_ids, unknown = _bulk_members(group, identifier_type, identifiers)
    existing = set(
        group.members.filter(profile_id__any=profile_ids).values_list("profile_id", flat=True)
    )
    new = [p for p in profile_ids if p not in existing]
    now = timezone.now()
    MembersGroupMember.objects.bulk_create(
        [MembersGroupMember(group=group, profile_id=p, added_at=now) for p in new],
        ignore_conflicts=True,
    )
    _recount(group)
    return {"added": len(new), "already_members": len(existing), "unknown": unknown}


@transaction.atomic
def remove_group_members(*, group: MembersGroup, identifier_type: str, identifiers) -> dict:
    profile_ids, unknown = _bulk_members(group, identifier_type, identifiers)
    removed, _ = group.members.filter(profile_id__any=profile_ids).delete()
    _recount(group)
    return {"removed": removed, "unknown": unknown}
