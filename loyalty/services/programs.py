"""Writes to loyalty programs and their cards."""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ConflictError
from core.validators import is_clean_text
from customers.models import CustomerProfile
from loyalty.models import LoyaltyCard, LoyaltyProgram
from organizations.models import Organization

from .fields import PROGRAM_FIELDS, set_fields


@transaction.atomic
def create_loyalty_program(*, organization: Organization, data: Mapping) -> LoyaltyProgram:
    program = LoyaltyProgram(organization=organization)
    set_fields(program, data, PROGRAM_FIELDS)
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
    set_fields(program, data, PROGRAM_FIELDS)
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


def unlink_card_profile(*, card: LoyaltyCard, profile: CustomerProfile) -> bool:
    """Unlink a customer profile from a card (its points stay on the card); unlinking one
    that is not linked changes nothing. True if unlinked now."""
    if not card.profiles.filter(pk=profile.pk).exists():
        return False
    card.profiles.remove(profile)
    return True
