"""Every write to customer profiles."""

import json
from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.errors import BatchValidationError
from organizations.models import Organization

from .hooks import customer_data_exported, personal_data_erased, profiles_created
from .models import CustomerProfile
from .validators import is_valid_attribute_key

PERSONAL_FIELDS = ("email", "msisdn", "first_name", "last_name")
BULK_UPSERT_LIMIT = 1000


def merge_attributes(current: Mapping, changes: Mapping) -> dict:
    """Keys sent are set; keys sent as null are removed; other keys stay. (A top-level merge:
    an object sent replaces the object there. merge_attributes_sql is the same for SQL.)"""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def merge_attributes_sql(column: str, changes: Mapping | str) -> tuple[str, list]:
    """merge_attributes for set-based writes: (SQL expression, params) of `column` (a JSON
    object column, such as a profile's attributes) with `changes` merged in, on the current
    database. `changes` is either a mapping, sent as parameters (keys sent as null are
    removed; keys must be attribute names, they go into SQLite's JSON paths), or the SQL of a
    JSON object whose values are neither null nor objects, such as the text values of a CSV
    import's `excluded.attributes` (for those, `||` and json_patch merge at the top level)."""
    postgres = connection.vendor == "postgresql"
    if isinstance(changes, str):
        return (f"{column} || {changes}" if postgres else f"json_patch({column}, {changes})"), []
    bad = [key for key in changes if not is_valid_attribute_key(key)]
    if bad:
        raise ValueError(f"Not attribute names: {bad[:5]!r}")
    removed = [key for key, value in changes.items() if value is None]
    kept = {key: value for key, value in changes.items() if value is not None}
    if postgres:
        return f"({column} || %s::jsonb) - %s::text[]", [json.dumps(kept), removed]
    # json_patch would merge nested objects too: set and remove the top-level keys instead
    expression, params = column, []
    if removed:
        paths = ", ".join(f"'$.\"{key}\"'" for key in removed)
        expression = f"json_remove({expression}, {paths})"
    if kept:
        pairs = ", ".join(f"'$.\"{key}\"', json(%s)" for key in kept)
        expression = f"json_set({expression}, {pairs})"
        params = [json.dumps(value) for value in kept.values()]
    return expression, params


def _apply(profile: CustomerProfile, data: Mapping, *, replace_attributes: bool = False) -> None:
    if "integration_id" in data and data["integration_id"] != profile.integration_id:
        raise ValidationError(
            {"integration_id": "integration_id cannot be changed once set."},
        )
    for field in PERSONAL_FIELDS:
        if field in data:
            value = (data[field] or "").strip()
            setattr(profile, field, value.lower() if field == "email" else value)
    if "attributes" in data:
        changes = data["attributes"] or {}
        profile.attributes = (
            {k: v for k, v in changes.items() if v is not None}
            if replace_attributes
            else merge_attributes(profile.attributes, changes)
        )


def _validate(profile: CustomerProfile) -> None:
    # Uniqueness is the database's job (one statement for a batch, not a query per row).
    profile.full_clean(exclude=["organization"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def create_customer_profile(
    *, organization: Organization, integration_id: str, data: Mapping | None = None
) -> CustomerProfile:
    profile = CustomerProfile(organization=organization, integration_id=integration_id)
    _apply(profile, data or {}, replace_attributes=True)
    _validate(profile)
    if CustomerProfile.objects.filter(
        organization=organization, integration_id=integration_id
    ).exists():
        raise ValidationError(
            {"integration_id": "A customer profile with this integration_id already exists."}
        )
    profile.save()
    profiles_created(organization=organization, profile_ids=[profile.pk])
    return profile


@transaction.atomic
def update_customer_profile(
    *, profile: CustomerProfile, data: Mapping, replace_attributes: bool = False
) -> CustomerProfile:
    """Change the fields present in `data`; absent fields stay as they are."""
    _apply(profile, data, replace_attributes=replace_attributes)
    _validate(profile)
    profile.save()
    return profile


@transaction.atomic
def upsert_customer_profile(
    *, organization: Organization, integration_id: str, data: Mapping
) -> tuple[CustomerProfile, bool]:
    """Update the profile with this integration_id, or create it. Returns (profile, created)."""
    if data.get("integration_id", integration_id) != integration_id:
        raise ValidationError({"integration_id": "integration_id cannot be changed once set."})
    try:
        profiles = bulk_upsert_customer_profiles(
            organization=organization, items=[{**data, "integration_id": integration_id}]
        )
    except BatchValidationError as exc:
        raise ValidationError(exc.errors[0]) from exc
    return profiles[0]


@transaction.atomic
def bulk_upsert_customer_profiles(
    *, organization: Organization, items: Sequence[Mapping]
) -> list[tuple[CustomerProfile, bool]]:
    """Create or update many profiles in one statement, after validating every item.

    Any invalid item (or an integration_id repeated in the batch) raises BatchValidationError
    listing every bad item by index, and nothing is written. Existing rows are locked while
    they are merged, so concurrent batches cannot lose each other's changes; both the lock and
    the INSERT take rows in integration_id order, so overlapping batches never deadlock.
    """
    if len(items) > BULK_UPSERT_LIMIT:
        raise ValidationError(f"At most {BULK_UPSERT_LIMIT} profiles per call.")
    errors: dict[int, dict[str, list[str]]] = {}
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        integration_id = item["integration_id"]
        if integration_id in first_index:
            errors[index] = {
                "integration_id": [
                    f"Duplicate of item {first_index[integration_id]}: each integration_id "
                    "may appear once per call."
                ]
            }
        else:
            first_index[integration_id] = index

    existing = {
        profile.integration_id: profile
        for profile in CustomerProfile.objects.select_for_update()
        .filter(organization=organization, integration_id__in=list(first_index))
        .order_by("integration_id")  # the order the INSERT below takes its row locks in
    }
    now = timezone.now()
    results: list[tuple[CustomerProfile, bool]] = []
    for index, item in enumerate(items):
        if index in errors:
            continue
        profile = existing.get(item["integration_id"])
        created = profile is None
        if created:
            profile = CustomerProfile(
                organization=organization, integration_id=item["integration_id"], created_at=now
            )
        try:
            _apply(profile, item)
            _validate(profile)
        except ValidationError as exc:
            errors[index] = exc.message_dict
            continue
        profile.updated_at = now
        results.append((profile, created))
    if errors:
        raise BatchValidationError(errors)

    # Rows go in integration_id order, so overlapping batches lock them in the same order
    # and cannot deadlock on each other.
    CustomerProfile.objects.bulk_create(
        sorted((profile for profile, _ in results), key=lambda p: p.integration_id),
        update_conflicts=True,
        unique_fields=["organization", "integration_id"],
        update_fields=[*PERSONAL_FIELDS, "attributes", "updated_at"],
    )
    created = [profile.pk for profile, is_new in results if is_new]
    if created:
        profiles_created(organization=organization, profile_ids=created)
    return results


@transaction.atomic
def delete_customer_profile(*, profile: CustomerProfile) -> None:
    delete_customer_profiles(profiles=CustomerProfile.objects.filter(pk=profile.pk))


@transaction.atomic
def delete_customer_profiles(*, profiles) -> int:
    """Delete a set of profiles (already scoped by the caller). Counts of profiles kept by
    other apps (audience and group sizes) follow by database triggers."""
    deleted = profiles.count()
    profiles.delete()
    return deleted


@transaction.atomic
def delete_customer_personal_data(*, profile: CustomerProfile) -> CustomerProfile:
    """Erase what identifies the person, keep the row.

    Email, mobile number, names and attributes are blanked; the partner's opaque
    integration_id and the profile's id stay, so points ledgers, memberships and audience
    history remain consistent (balances still add up) but no longer point to a person.
    """
    identifiers = [v for v in (profile.integration_id, profile.email, profile.msisdn) if v]
    personal_data_erased(profile=profile, identifiers=identifiers)
    for field in PERSONAL_FIELDS:
        setattr(profile, field, "")
    profile.attributes = {}
    profile.personal_data_deleted_at = timezone.now()
    profile.save()
    return profile


def export_customer_data(*, profile: CustomerProfile) -> dict:
    """Everything we hold on a customer (GDPR access): the profile, then each app's sections."""
    data = {
        "profile": {
            "id": profile.pk,
            "number": profile.number,
            "integration_id": profile.integration_id,
            **{field: getattr(profile, field) for field in PERSONAL_FIELDS},
            "attributes": profile.attributes,
            "created_at": profile.created_at,
            "updated_at": profile.updated_at,
            "personal_data_deleted_at": profile.personal_data_deleted_at,
        }
    }
    for sections in customer_data_exported(profile=profile):
        data.update(sections)
    return data
