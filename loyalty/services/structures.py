"""Tier structures and their tiers: create, change the ladder, move through the statuses.

A change to an ACTIVE structure's ladder, and its activation, queue a recompute of the
program's tiers after commit (`loyalty.tasks.recompute_program_tiers_task`, by name)."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from core.dispatch import enqueue
from core.errors import ConflictError
from loyalty.models import LoyaltyProgram, Tier, TierAssignment, TierStructure

from .fields import STRUCTURE_FIELDS, TIER_FIELDS, set_fields
from .validation import validate_metadata, validate_tier_structure, validate_tiers

Status = TierStructure.Status

# from -> allowed targets (DELETED is a soft delete and final)
STRUCTURE_TRANSITIONS = {
    Status.DRAFT: {Status.ACTIVE, Status.DELETED},
    Status.ACTIVE: {Status.INACTIVE},
    Status.INACTIVE: {Status.ACTIVE, Status.DELETED},
    Status.DELETED: set(),
}


def _build_tier(structure: TierStructure, data: Mapping, tier: Tier | None = None) -> Tier:
    tier = tier or Tier(organization_id=structure.organization_id, structure=structure)
    set_fields(tier, data, TIER_FIELDS)
    try:
        tier.full_clean(
            exclude=["organization", "structure"], validate_unique=False, validate_constraints=False
        )
        validate_metadata(tier.metadata)
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


def _locked(structure_id) -> TierStructure:
    return TierStructure.objects.select_for_update().get(pk=structure_id)


@transaction.atomic
def create_tier_structure(
    *,
    program: LoyaltyProgram,
    data: Mapping,
    tiers: Sequence[Mapping] = (),
    status: str = Status.DRAFT,
) -> TierStructure:
    structure = TierStructure(organization_id=program.organization_id, program=program)
    set_fields(structure, data, STRUCTURE_FIELDS)
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
    structure = _locked(structure.pk)
    _assert_editable(structure)
    set_fields(structure, data, STRUCTURE_FIELDS)
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
    structure = _locked(structure.pk)
    _assert_editable(structure)
    tier = _build_tier(structure, data)
    validate_tiers([*_other_tiers(structure), tier])
    _save_tiers(structure, [tier])
    _after_ladder_change(structure)
    return tier


@transaction.atomic
def update_tier(*, tier: Tier, data: Mapping) -> Tier:
    structure = _locked(tier.structure_id)
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
    structure = _locked(tier.structure_id)
    _assert_editable(structure)
    if structure.status == Status.ACTIVE and not structure.tiers.exclude(pk=tier.pk).exists():
        raise ValidationError(
            {"tiers": ["An active tier structure needs at least one tier; deactivate it first."]}
        )
    tier.delete()
    _after_ladder_change(structure)


def _recompute_program_tiers(structure: TierStructure) -> None:
    # everyone: a changed ladder or a new active structure can move customers who have no
    # ledger write due
    enqueue("loyalty.tasks.recompute_program_tiers_task", str(structure.program_id), True)


def _after_ladder_change(structure: TierStructure) -> None:
    if structure.status == Status.ACTIVE:
        _recompute_program_tiers(structure)


@transaction.atomic
def set_tier_structure_status(*, structure: TierStructure, status: str) -> TierStructure:
    """Move a structure along DRAFT → ACTIVE ⇄ INACTIVE → DELETED (DRAFT → DELETED too).

    Activating needs at least one tier and no other ACTIVE structure in the program (409
    naming it); it assigns every customer of the program the tier they qualify for.
    """
    structure = _locked(structure.pk)
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
        _recompute_program_tiers(structure)
    return structure


def delete_tier_structure(*, structure: TierStructure) -> TierStructure:
    """Soft delete: the structure stays for history with status DELETED."""
    return set_tier_structure_status(structure=structure, status=Status.DELETED)
