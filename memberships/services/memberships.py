"""Loyalty memberships: add, update and soft-delete up to 1,000 at once (all checked first,
all or nothing), the state transitions, one primary membership per customer. Enrolment
changes keep the "All members" group in step (all_members.py)."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.db import insert_rows, new_instances
from core.errors import BatchValidationError
from customers.models import CustomerProfile
from loyalty.models import LoyaltyProgram
from memberships.models import LoyaltyMembership
from organizations.models import Organization

from .all_members import join_all_members_group, sync_all_members_group

BATCH_LIMIT = 1000
State = LoyaltyMembership.State

# from -> allowed targets
TRANSITIONS = {
    State.NEW: {State.PENDING, State.ENROLLED, State.DECLINED, State.CANCELED},
    State.PENDING: {State.ENROLLED, State.DECLINED, State.CANCELED},
    State.ENROLLED: {State.CANCELED},
    State.DECLINED: {State.PENDING},
    State.CANCELED: {State.PENDING},
}
EDITABLE = ("code", "is_primary", "points", "expiration_date", "url", "state")
# a membership's tier is the tier engine's (loyalty.tiering: its points and rules)
TIER_IS_THE_ENGINES = (
    "The tier follows the program's tier engine (points and rules); it cannot be set."
)


def _limit(items: Sequence, what: str) -> None:
    if len(items) > BATCH_LIMIT:
        raise ValidationError(f"At most {BATCH_LIMIT} {what} per call.")


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
    integration_id, no tier (the tier engine's), one primary per profile, one
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
        if item.get("tier") is not None:
            error(index, "tier", TIER_IS_THE_ENGINES)
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
    join_all_members_group(
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
        if item.get("tier") is not None:
            error(index, "tier", TIER_IS_THE_ENGINES)
        if (
            state is not None
            and state != membership.state
            and State.ENROLLED in (state, membership.state)
        ):
            enrolment_changed.add(membership.profile_id)
        for field in EDITABLE:
            value = item.get(field)
            if value is not None:
                setattr(membership, field, value)
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
    # primaries that stop being primary first, so the unique index never sees two at once
    LoyaltyMembership.objects.filter(pk__any=[m.pk for m in changed if not m.is_primary]).update(
        is_primary=False
    )
    LoyaltyMembership.objects.bulk_update(changed, [*EDITABLE, "updated_at"])
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
