"""Members: add and remove them (by integration id, by hand or in bulk), set attributes on all
of an audience's members, and keep member counts up to date."""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.errors import BatchValidationError
from customers.models import CustomerProfile
from customers.services import merge_attributes_sql
from customers.validators import is_valid_attribute_key, validate_attributes
from organizations.models import Organization

from ..models import Audience, AudienceMembership
from ..sql import db_datetime, db_uuid

MEMBERS_LIMIT = 1000
Source = AudienceMembership.Source


def _profiles_by_integration_id(organization, integration_ids: Sequence[str]) -> dict:
    return dict(
        CustomerProfile.objects.filter(
            organization=organization, integration_id__in=set(integration_ids)
        ).values_list("integration_id", "pk")
    )


def _unknown_errors(integration_ids, known: dict, field="integration_ids") -> None:
    errors = {
        index: {field: [f"No customer profile with integration_id “{value}”."]}
        for index, value in enumerate(integration_ids)
        if value not in known
    }
    if errors:
        raise BatchValidationError(errors)


def _create_memberships(*, organization_id, pairs: Iterable[tuple], source: str, now) -> None:
    """A membership per (audience id, profile id) pair; a pair already there stays as it is."""
    AudienceMembership.objects.bulk_create(
        [
            AudienceMembership(
                organization_id=organization_id,
                audience_id=audience_id,
                profile_id=profile_id,
                source=source,
                added_at=now,
            )
            for audience_id, profile_id in pairs
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def add_members(
    *, audience: Audience, integration_ids: Sequence[str], source: str = Source.API, now=None
) -> int:
    """Add profiles (all must exist; nothing is written otherwise). Members already there
    stay; a `rule` member added by hand becomes `api`, so refreshes keep it. Returns how many
    were added."""
    if len(integration_ids) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} profiles per call.")
    now = now or timezone.now()
    known = _profiles_by_integration_id(audience.organization, integration_ids)
    _unknown_errors(integration_ids, known)
    profile_ids = list(dict.fromkeys(known[i] for i in integration_ids))
    existing = set(
        audience.memberships.filter(profile_id__in=profile_ids).values_list("profile_id", flat=True)
    )
    audience.memberships.filter(profile_id__in=existing, source=Source.RULE).update(source=source)
    new = [p for p in profile_ids if p not in existing]
    _create_memberships(
        organization_id=audience.organization_id,
        pairs=[(audience.pk, profile_id) for profile_id in new],
        source=source,
        now=now,
    )
    return len(new)


@transaction.atomic
def remove_members(*, audience: Audience, integration_ids: Sequence[str]) -> int:
    if len(integration_ids) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} profiles per call.")
    known = _profiles_by_integration_id(audience.organization, integration_ids)
    _unknown_errors(integration_ids, known)
    removed, _ = audience.memberships.filter(profile_id__in=list(known.values())).delete()
    return removed


@transaction.atomic
def clear_members(*, audience: Audience) -> int:
    """Remove every member (rule members come back at the next refresh if rules match)."""
    removed, _ = audience.memberships.all().delete()
    return removed


@transaction.atomic
def update_customer_audiences(*, organization: Organization, items: Sequence[Mapping]) -> dict:
    """Talon.One's bulk update: items {profile_integration_id, audience_id, action add|delete}.
    Every item is checked first; any bad item → BatchValidationError and nothing changes."""
    if len(items) > MEMBERS_LIMIT:
        raise ValidationError(f"At most {MEMBERS_LIMIT} items per call.")
    known = _profiles_by_integration_id(
        organization, [item["profile_integration_id"] for item in items]
    )
    audiences = {
        a.pk: a
        for a in Audience.objects.filter(
            organization=organization, pk__in={item["audience_id"] for item in items}
        )
    }
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        if item["profile_integration_id"] not in known:
            errors.setdefault(index, {})["profile_integration_id"] = [
                "No customer profile with this integration_id."
            ]
        audience = audiences.get(item["audience_id"])
        if audience is None:
            errors.setdefault(index, {})["audience_id"] = ["No such audience."]
        elif audience.archived:
            errors.setdefault(index, {})["audience_id"] = ["This audience is archived."]
    if errors:
        raise BatchValidationError(errors)
    now = timezone.now()
    added = removed = 0
    to_add: dict = {}
    to_remove: dict = {}
    for item in items:  # the last action for a (profile, audience) pair wins
        key = (known[item["profile_integration_id"]], item["audience_id"])
        (to_add if item["action"] == "add" else to_remove)[key] = True
        (to_remove if item["action"] == "add" else to_add).pop(key, None)
    pairs = set(to_add) | set(to_remove)
    current = {
        (m.profile_id, m.audience_id): m
        for m in AudienceMembership.objects.filter(
            profile_id__in={p for p, _ in pairs}, audience_id__in={a for _, a in pairs}
        ).only("id", "profile_id", "audience_id", "source")
    }  # one query for a superset of the pairs; the exact pairs are picked here
    doomed = [current[key].pk for key in to_remove if key in current]
    if doomed:
        removed, _ = AudienceMembership.objects.filter(pk__in=doomed).delete()
    by_hand = [current[k].pk for k in to_add if k in current and current[k].source == Source.RULE]
    if by_hand:
        AudienceMembership.objects.filter(pk__in=by_hand).update(source=Source.API)
    new = [key for key in to_add if key not in current]
    _create_memberships(
        organization_id=organization.pk,
        pairs=[(audience_id, profile_id) for profile_id, audience_id in new],
        source=Source.API,
        now=now,
    )
    added = len(new)
    return {"added": added, "removed": removed}


@transaction.atomic
def set_member_attributes(*, audience: Audience, attributes: Mapping) -> int:
    """Merge `attributes` into every member's attributes in one UPDATE (a key sent as null is
    removed), as customers' merge_attributes does for one profile. Returns how many profiles
    changed."""
    if not isinstance(attributes, Mapping) or not attributes:
        raise ValidationError({"attributes": "Send an object with at least one attribute."})
    bad = [key for key in attributes if not is_valid_attribute_key(key)]
    if bad:
        raise ValidationError({"attributes": f"Invalid attribute name(s): {bad[:5]!r}."})
    validate_attributes({k: v for k, v in attributes.items() if v is not None})
    table = CustomerProfile._meta.db_table
    members = AudienceMembership._meta.db_table
    expression, params = merge_attributes_sql("attributes", attributes)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET attributes = {expression}, updated_at = %s "  # noqa: S608
            f"WHERE id IN (SELECT profile_id FROM {members} WHERE audience_id = %s)",
            [*params, db_datetime(timezone.now()), db_uuid(audience.pk)],
        )
        return cursor.rowcount


@transaction.atomic
def delete_audience_memberships(*, memberships) -> int:
    """Remove these memberships (a queryset, already scoped); the audiences' member_count
    follows by itself (database triggers)."""
    deleted, _ = memberships.delete()
    return deleted
