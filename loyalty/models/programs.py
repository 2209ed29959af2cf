"""Loyalty programs and their cards."""

import uuid

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from core.numbers import NumberField
from organizations.models import TenantModel

from .base import MAX_DAYS, listing_index, validate_timezone


class LoyaltyProgram(TenantModel):
    class Kind(models.TextChoices):
        PROFILE = "profile", "Profile-based"
        CARD = "card", "Card-based"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROFILE)
    points_validity_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DAYS)],
        help_text="Days earned points stay active. Empty: they never expire.",
    )
    pending_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_DAYS)],
        help_text="Days earned points stay pending before they can be spent. Empty: at once.",
    )
    allow_negative_balance = models.BooleanField(
        default=False, help_text="Allow spending more points than the active balance."
    )
    subledgers_allowed = models.BooleanField(
        default=False, help_text="Allow points in named subledgers besides the main ledger."
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "loyalty program"
        indexes = [listing_index("program_org_created_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"],
                condition=Q(number__isnull=False),  # a partial index: no SQLite table rebuild
                name="uniq_program_number",
            )
        ]

    def __str__(self) -> str:
        return self.name


class LoyaltyCard(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="cards")
    identifier = models.CharField(max_length=108)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    profiles = models.ManyToManyField(
        "customers.CustomerProfile", blank=True, related_name="loyalty_cards"
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "loyalty card"
        constraints = [
            models.UniqueConstraint(fields=["program", "identifier"], name="uniq_card_identifier")
        ]
        indexes = [listing_index("card_org_created_idx")]

    def __str__(self) -> str:
        return self.identifier
