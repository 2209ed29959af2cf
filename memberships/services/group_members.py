"""A manual group's members, added or removed in bulk by email, msisdn or integration id (up
to 10,000 identifiers a call; unknown ones are reported back)."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.errors import ConflictError
from customers.models import CustomerProfile
from memberships.models import MembersGroup, MembersGroupMember

from .groups import assert_editable

IDENTIFIERS_LIMIT = 10_000


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
    assert_editable(group)
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
        [
            MembersGroupMember(
                organization_id=group.organization_id, group=group, profile_id=p, added_at=now
            )
            for p in new
        ],
        ignore_conflicts=True,
    )
    return {"added": len(new), "already_members": len(existing), "unknown": unknown}


@transaction.atomic
def remove_group_members(*, group: MembersGroup, identifier_type: str, identifiers) -> dict:
    profile_ids, unknown = _bulk_members(group, identifier_type, identifiers)
    removed, _ = group.members.filter(profile_id__any=profile_ids).delete()
    return {"removed": removed, "unknown": unknown}
