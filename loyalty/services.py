"""Writes to programs, cards, tier structures and tiers.

Points live in `loyalty.ledger`, tier assignment in `loyalty.tiering`.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.dispatch import enqueue
from core.errors import ConflictError
from core.ranges import Rung, ladder_errors
from core.validators import is_clean_text, unstorable_json_reason
from customers.models import CustomerProfile
from organizations.models import Organization

from .models import LoyaltyCard, LoyaltyProgram, Tier, TierAssignment, TierStructure

Status = TierStructure.Status

# from -> allowed targets (DELETED is a soft delete and final)
STRUCTURE_TRANSITIONS = {
    Status.DRAFT: {Status.ACTIVE, Status.DELETED},
    Status.ACTIVE: {Status.INACTIVE},
    Status.INACTIVE: {Status.ACTIVE, Status.DELETED},
    Status.DELETED: set(),
}

PROGRAM_FIELDS = (
    "name",
    "description",
    "kind",
    "points_validity_days",
    "pending_days",
    "allow_negative_balance",
    "subledgers_allowed",
    "timezone",
    "status",
)
STRUCTURE_FIELDS = (
    "name",
    "type",
    "point_earned_period_value",
    "point_earned_period_unit",
    "point_earned_type",
    "expiration_type",
    "expiration_period_value",
    "expiration_period_unit",
    "calendar_dates",
    "sliding_earning_activity",
    "sliding_spending_activity",
    "sliding_custom_activity",
    "sliding_custom_activity_types",
    "downgrade_type",
    "grace_period_value",
    "grace_period_unit",
    "grace_period_round_up",
    "metadata",
)
TIER_FIELDS = ("name", "order", "min_points", "max_points", "icon_name", "benefits", "metadata")


def _set(obj, data: Mapping, fields: Iterable[str]) -> None:
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])


def _validate_metadata(value) -> None:
    if not isinstance(value, dict):
        raise ValidationError({"metadata": "Metadata must be a JSON object."})
    if reason := unstorable_json_reason(value):
        raise ValidationError({"metadata": reason})


# -- programs and cards ---------------------------------------------------------------------


@transaction.atomic
def create_loyalty_program(*, organization: Organization, data: Mapping) -> LoyaltyProgram:
    program = LoyaltyProgram(organization=organization)
    _set(program, data, PROGRAM_FIELDS)
    program.full_clean(exclude=["organization"])
    program.save()
    return program


@transaction.atomic
def delete_loyalty_program(*, program: LoyaltyProgram) -> None:
    """Only a program that never held points can be deleted; one with a ledger is archived
    instead (status "archived"), so its history stays."""
    if program.accounts.exists():
        raise ConflictError(
            "This program has points; archive it (status “archived”) instead.", code="has_points"
        )
    program.delete()


@transaction.atomic
def update_loyalty_program(*, program: LoyaltyProgram, data: Mapping) -> LoyaltyProgram:
    if "kind" in data and data["kind"] != program.kind and program.accounts.exists():
        raise ValidationError(
            {"kind": "The kind of a program that already has points cannot change."}
        )
    _set(program, data, PROGRAM_FIELDS)
    program.full_clean(exclude=["organization"])
    program.save()
    return program


@transaction.atomic
def create_loyalty_card(
    *, program: LoyaltyProgram, identifier: str, status: str = LoyaltyCard.Status.ACTIVE
) -> LoyaltyCard:
    if program.kind != LoyaltyProgram.Kind.CARD:
        raise ConflictError(
            "Cards belong to card-based programs only; this one is profile-based.",
            code="not_a_card_program",
        )
    card = LoyaltyCard(
        organization_id=program.organization_id,
        program=program,
        identifier=identifier,
        status=status,
    )
    card.full_clean(exclude=["organization", "program"], validate_unique=False)
    if "/" in identifier or not is_clean_text(identifier) or identifier != identifier.strip():
        raise ValidationError(
            {"identifier": "Use printable text without “/” or surrounding spaces."}
        )
    duplicate = ConflictError(
        "This program already has a card with this identifier.", code="identifier_taken"
    )
    if LoyaltyCard.objects.filter(program=program, identifier=identifier).exists():
        raise duplicate
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:  # created concurrently
        raise duplicate from None
    return card


@transaction.atomic
def update_loyalty_card(*, card: LoyaltyCard, status: str) -> LoyaltyCard:
    card.status = status
    card.full_clean(exclude=["organization", "program"], validate_unique=False)
    card.save(update_fields=["status", "updated_at"])
    return card


@transaction.atomic
def link_card_profile(*, card: LoyaltyCard, profile: CustomerProfile) -> bool:
    """Link a customer profile to a card; linking twice changes nothing. True if linked now."""
    if profile.organization_id != card.organization_id:
        raise ValidationError({"integration_id": "No such customer profile."})
    if card.profiles.filter(pk=profile.pk).exists():
        return False
    card.profiles.add(profile)
    return True


# -- tier structures and tiers ----------------------------------------------------------------


# the longest period accepted per unit: a hundred years
MAX_PERIOD = {"HOUR": 876_000, "DAY": 36_500, "MONTH": 1_200, "YEAR": 100}


def _period_errors(value, unit, value_field: str, unit_field: str, what: str) -> dict:
    errors = {}
    if value is None:
        errors[value_field] = f"{what} needs a period value."
    elif value < 1:
        errors[value_field] = f"{what} period must be at least 1."
    elif unit in MAX_PERIOD and value > MAX_PERIOD[unit]:
        errors[value_field] = f"{what} period is at most {MAX_PERIOD[unit]:,} {unit}s."
    if not unit:
        errors[unit_field] = f"{what} needs a period unit (HOUR, DAY, MONTH or YEAR)."
    return errors


def _validate_calendar_dates(dates) -> None:
    if not isinstance(dates, list) or not dates:
        raise ValidationError({"calendar_dates": "Calendar expiration needs at least one date."})
    seen = set()
    for index, item in enumerate(dates):
        label = f"Date {index + 1}"
        if not isinstance(item, dict) or set(item) != {"day", "month"}:
            raise ValidationError({"calendar_dates": f"{label}: use {{'day': D, 'month': M}}."})
        day, month = item["day"], item["month"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (day, month)):
            raise ValidationError({"calendar_dates": f"{label}: day and month are whole numbers."})
        try:
            dt.date(2024, month, day)  # a leap year, so 29 February is a real date
        except ValueError:
            raise ValidationError(
                {"calendar_dates": f"{label}: {day}/{month} is not a real date (day/month)."}
            ) from None
        if (day, month) in seen:
            raise ValidationError({"calendar_dates": f"{label}: {day}/{month} is listed twice."})
        seen.add((day, month))


def validate_tier_structure(structure: TierStructure) -> None:
    """Cross-field rules of a tier structure's settings (Voucherify semantics)."""
    errors: dict[str, str] = {}
    T, E, D = TierStructure.Type, TierStructure.ExpirationType, TierStructure.DowngradeType
    name = (structure.name or "").strip()
    if not name:
        errors["name"] = "Give the tier structure a name (1 to 200 characters)."
    elif len(name) > 200:
        errors["name"] = "Use at most 200 characters."

    earned = (
        structure.point_earned_period_value,
        structure.point_earned_period_unit,
        structure.point_earned_type,
    )
    if structure.type == T.POINT_EARNED:
        errors.update(
            _period_errors(
                earned[0],
                earned[1],
                "point_earned_period_value",
                "point_earned_period_unit",
                "POINT_EARNED",
            )
        )
        if not structure.point_earned_type:
            structure.point_earned_type = TierStructure.PointEarnedType.IMMEDIATELY
    elif any(earned):
        errors["point_earned"] = "point_earned must be empty when type is POINT_BALANCE."

    kind = structure.expiration_type
    period = (structure.expiration_period_value, structure.expiration_period_unit)
    if kind in (E.ROLLING, E.SLIDING):
        errors.update(
            _period_errors(
                *period, "expiration_period_value", "expiration_period_unit", f"{kind} expiration"
            )
        )
    elif any(v is not None and v != "" for v in period):
        errors["expiration_period_value"] = f"{kind} expiration takes no period."
    if kind == E.CALENDAR:
        try:
            _validate_calendar_dates(structure.calendar_dates)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    elif structure.calendar_dates:
        errors["calendar_dates"] = "Calendar dates are used by CALENDAR expiration only."
    sliding_flags = (
        structure.sliding_earning_activity,
        structure.sliding_spending_activity,
        structure.sliding_custom_activity,
    )
    types = structure.sliding_custom_activity_types
    if kind == E.SLIDING:
        if not any(sliding_flags):
            errors["sliding_earning_activity"] = (
                "SLIDING expiration needs at least one kind of activity that extends the tier."
            )
        if not isinstance(types, list) or not all(
            isinstance(t, str) and 0 < len(t.strip()) <= 100 for t in types
        ):
            errors["sliding_custom_activity_types"] = (
                "Custom activity types are a list of names (1 to 100 characters)."
            )
        elif structure.sliding_custom_activity and not types:
            errors["sliding_custom_activity_types"] = (
                "Name the custom activity types that count as activity."
            )
        elif types and not structure.sliding_custom_activity:
            errors["sliding_custom_activity_types"] = (
                "Custom activity types need custom activity turned on."
            )
    elif any(sliding_flags) or types:
        errors["sliding_earning_activity"] = (
            "Activity settings are used by SLIDING expiration only."
        )

    grace = (structure.grace_period_value, structure.grace_period_unit)
    if structure.downgrade_type == D.NO_DOWNGRADE and (any(v for v in grace)):
        errors["grace_period_value"] = (
            "A grace period needs a downgrade type other than NO_DOWNGRADE."
        )
    elif grace[0] is not None or grace[1]:
        errors.update(
            _period_errors(*grace, "grace_period_value", "grace_period_unit", "The grace period")
        )
    if (
        structure.downgrade_type == D.ONE_LEVEL
        and kind == E.NO_EXPIRATION
        and grace[0] is None
        and "grace_period_value" not in errors
    ):
        errors["downgrade_type"] = (
            "ONE_LEVEL needs an expiration rule or a grace period to pace the steps; without "
            "one it is the same as MULTI_LEVEL."
        )
    try:
        _validate_metadata(structure.metadata)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


def validate_tiers(tiers: Sequence[Tier]) -> None:
    """Orders unique, ranges well-formed and not overlapping; errors name the other tier.

    Raises ValidationError {"tiers": [...]} where each message starts with the tier's position
    ("Tier 2 (“Silver”): …") so callers can point at the row.
    """
    rungs = [Rung(t.name, t.order, t.min_points, t.max_points) for t in tiers]
    if errors := ladder_errors(rungs):
        raise ValidationError({"tiers": errors})


def _build_tier(structure: TierStructure, data: Mapping, tier: Tier | None = None) -> Tier:
    tier = tier or Tier(organization_id=structure.organization_id, structure=structure)
    _set(tier, data, TIER_FIELDS)
    try:
        tier.full_clean(
            exclude=["organization", "structure"], validate_unique=False, validate_constraints=False
        )
        _validate_metadata(tier.metadata)
    except ValidationError as exc:
        raise ValidationError(
            {
                "tiers": [
                    f"Tier “{tier.name}”: {field}: {' '.join(msgs)}"
                    for field, msgs in exc.message_dict.items()
                ]
            }
        ) from None
    return tier


def _save_tiers(structure: TierStructure, tiers: list[Tier]) -> None:
    """Write tiers that passed validate_tiers; orders are moved out of the way first so a
    reordering never trips the unique constraint halfway (the PostgreSQL exclusion constraint
    is deferred to commit for the same reason)."""
    existing = [t.pk for t in tiers if not t._state.adding]
    if existing:
        Tier.objects.filter(pk__in=existing).update(order=F("order") + 1_000_000)
    for tier in tiers:
        try:
            with transaction.atomic():
                tier.save()
        except IntegrityError as exc:  # a concurrent writer got there first
            raise ConflictError(f"Tier “{tier.name}” conflicts with another change: {exc}") from exc


def _assert_editable(structure: TierStructure) -> None:
    if structure.status == Status.DELETED:
        raise ConflictError("This tier structure is deleted and can no longer be changed.")


@transaction.atomic
def create_tier_structure(
    *,
    program: LoyaltyProgram,
    data: Mapping,
    tiers: Sequence[Mapping] = (),
    status: str = Status.DRAFT,
) -> TierStructure:
    structure = TierStructure(organization_id=program.organization_id, program=program)
    _set(structure, data, STRUCTURE_FIELDS)
    structure.full_clean(exclude=["organization", "program", "status"], validate_constraints=False)
    validate_tier_structure(structure)
    tier_objects = [_build_tier(structure, item) for item in tiers]
    validate_tiers(tier_objects)
    structure.save()
    _save_tiers(structure, tier_objects)
    if status != Status.DRAFT:
        set_tier_structure_status(structure=structure, status=status)
    return structure


@transaction.atomic
def update_tier_structure(
    *, structure: TierStructure, data: Mapping, tiers: Sequence[Mapping] | None = None
) -> TierStructure:
    """Change the settings present in `data`. `tiers`, when given, is the full new ladder:
    items with an `id` update that tier, items without one are added, tiers left out are
    removed (their customers get the tier they qualify for on the next recompute)."""
    structure = TierStructure.objects.select_for_update().get(pk=structure.pk)
    _assert_editable(structure)
    _set(structure, data, STRUCTURE_FIELDS)
    structure.full_clean(exclude=["organization", "program", "status"], validate_constraints=False)
    validate_tier_structure(structure)
    structure.save()
    if tiers is not None:
        current = {t.pk: t for t in structure.tiers.all()}
        new_tiers = []
        for item in tiers:
            tier_id = item.get("id")
            if tier_id is not None and tier_id not in current:
                raise ValidationError({"tiers": [f"Tier id {tier_id} is not in this structure."]})
            new_tiers.append(_build_tier(structure, item, current.pop(tier_id, None)))
        validate_tiers(new_tiers)
        if not new_tiers and structure.status == Status.ACTIVE:
            raise ValidationError({"tiers": ["An active tier structure needs at least one tier."]})
        Tier.objects.filter(pk__in=list(current)).delete()
        _save_tiers(structure, new_tiers)
    _after_ladder_change(structure)
    return structure


def _other_tiers(structure: TierStructure, exclude: Tier | None = None) -> list[Tier]:
    tiers = list(structure.tiers.all())
    return [t for t in tiers if exclude is None or t.pk != exclude.pk]


@transaction.atomic
def create_tier(*, structure: TierStructure, data: Mapping) -> Tier:
    structure = TierStructure.objects.select_for_update().get(pk=structure.pk)
    _assert_editable(structure)
    tier = _build_tier(structure, data)
    validate_tiers([*_other_tiers(structure), tier])
    _save_tiers(structure, [tier])
    _after_ladder_change(structure)
    return tier


@transaction.atomic
def update_tier(*, tier: Tier, data: Mapping) -> Tier:
    structure = TierStructure.objects.select_for_update().get(pk=tier.structure_id)
    _assert_editable(structure)
    tier = _build_tier(structure, data, tier)
    validate_tiers([*_other_tiers(structure, exclude=tier), tier])
    try:
        with transaction.atomic():
            tier.save()
    except IntegrityError as exc:
        raise ConflictError(f"Tier “{tier.name}” conflicts with another change.") from exc
    _after_ladder_change(structure)
    return tier


@transaction.atomic
def delete_tier(*, tier: Tier) -> None:
    structure = TierStructure.objects.select_for_update().get(pk=tier.structure_id)
    _assert_editable(structure)
    if structure.status == Status.ACTIVE and not structure.tiers.exclude(pk=tier.pk).exists():
        raise ValidationError(
            {"tiers": ["An active tier structure needs at least one tier; deactivate it first."]}
        )
    tier.delete()
    _after_ladder_change(structure)


def _after_ladder_change(structure: TierStructure) -> None:
    if structure.status == Status.ACTIVE:
        program_id = str(structure.program_id)
        # everyone: a changed ladder can move customers who have no ledger write due
        enqueue("loyalty.tasks.recompute_program_tiers_task", program_id, True)


@transaction.atomic
def set_tier_structure_status(*, structure: TierStructure, status: str) -> TierStructure:
    """Move a structure along DRAFT → ACTIVE ⇄ INACTIVE → DELETED (DRAFT → DELETED too).

    Activating needs at least one tier and no other ACTIVE structure in the program (409
    naming it); it assigns every customer of the program the tier they qualify for.
    """
    structure = TierStructure.objects.select_for_update().get(pk=structure.pk)
    if status == structure.status:
        return structure
    if status not in Status.values:
        raise ValidationError({"status": f"Unknown status “{status}”."})
    if status not in STRUCTURE_TRANSITIONS[Status(structure.status)]:
        allowed = ", ".join(sorted(STRUCTURE_TRANSITIONS[Status(structure.status)])) or "none"
        raise ConflictError(
            f"A {structure.status} tier structure cannot become {status} (allowed: {allowed})."
        )
    if status == Status.ACTIVE:
        if not structure.tiers.exists():
            raise ValidationError({"status": "Add at least one tier before activating."})
        active = (
            TierStructure.objects.filter(program_id=structure.program_id, status=Status.ACTIVE)
            .exclude(pk=structure.pk)
            .first()
        )
        if active is not None:
            raise ConflictError(
                f"“{active.name}” is the program's active tier structure; deactivate it first."
            )
    structure.status = status
    try:
        with transaction.atomic():
            structure.save(update_fields=["status", "updated_at"])
    except IntegrityError as exc:  # another activation committed in between
        raise ConflictError("Another tier structure of this program was activated.") from exc
    if status == Status.INACTIVE:
        # nobody holds a tier of an inactive structure; a later re-activation starts afresh
        # (the tier history stays)
        TierAssignment.objects.filter(structure=structure).delete()
    if status == Status.ACTIVE:
        program_id = str(structure.program_id)
        enqueue("loyalty.tasks.recompute_program_tiers_task", program_id, True)
    return structure


def delete_tier_structure(*, structure: TierStructure) -> TierStructure:
    """Soft delete: the structure stays for history with status DELETED."""
    return set_tier_structure_status(structure=structure, status=Status.DELETED)
