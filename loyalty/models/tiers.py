"""Tier structures (Voucherify-style settings, DRAFT → ACTIVE) and their tiers."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from core.numbers import NumberField
from core.ranges import range_label
from organizations.models import TenantModel

from .base import listing_index
from .programs import LoyaltyProgram


class PeriodUnit(models.TextChoices):
    HOUR = "HOUR", "hours"
    DAY = "DAY", "days"
    MONTH = "MONTH", "months"
    YEAR = "YEAR", "years"


class TierStructure(TenantModel):
    """How a program's customers are ranked into tiers (Voucherify's tier structure).

    The nested settings of the API payload (`point_earned`, `expiration`, `downgrade`) are
    flattened into typed columns; `loyalty.services.validate_tier_structure` checks that they
    fit together.
    """

    class Type(models.TextChoices):
        POINT_BALANCE = "POINT_BALANCE", "Point balance"
        POINT_EARNED = "POINT_EARNED", "Points earned in a period"

    class PointEarnedType(models.TextChoices):
        IMMEDIATELY = "IMMEDIATELY", "Immediately"

    class ExpirationType(models.TextChoices):
        NO_EXPIRATION = "NO_EXPIRATION", "No expiration"
        ROLLING = "ROLLING", "Rolling period after reaching the tier"
        CALENDAR = "CALENDAR", "On calendar dates"
        SLIDING = "SLIDING", "Sliding period after the last activity"

    class DowngradeType(models.TextChoices):
        NO_DOWNGRADE = "NO_DOWNGRADE", "Never downgrade"
        ONE_LEVEL = "ONE_LEVEL", "One level at a time"
        MULTI_LEVEL = "MULTI_LEVEL", "Straight to the tier the customer qualifies for"

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        ACTIVE = "ACTIVE", "Active"
        INACTIVE = "INACTIVE", "Inactive"
        DELETED = "DELETED", "Deleted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(
        LoyaltyProgram, on_delete=models.CASCADE, related_name="tier_structures"
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.POINT_BALANCE)

    point_earned_period_value = models.PositiveIntegerField(
        "points earned within (value)", null=True, blank=True
    )
    point_earned_period_unit = models.CharField(
        "points earned within (unit)", max_length=8, choices=PeriodUnit.choices, blank=True
    )
    point_earned_type = models.CharField(
        "points earned count", max_length=16, choices=PointEarnedType.choices, blank=True
    )

    expiration_type = models.CharField(
        max_length=16, choices=ExpirationType.choices, default=ExpirationType.NO_EXPIRATION
    )
    expiration_period_value = models.PositiveIntegerField(
        null=True, blank=True, help_text="Rolling or sliding period length."
    )
    expiration_period_unit = models.CharField(max_length=8, choices=PeriodUnit.choices, blank=True)
    calendar_dates = models.JSONField(
        default=list,
        blank=True,
        help_text='Calendar expiration dates, e.g. [{"day": 31, "month": 12}].',
    )
    sliding_earning_activity = models.BooleanField(
        default=False, help_text="Sliding expiration: earning points counts as activity."
    )
    sliding_spending_activity = models.BooleanField(
        default=False, help_text="Sliding expiration: spending points counts as activity."
    )
    sliding_custom_activity = models.BooleanField(
        default=False, help_text="Sliding expiration: custom activities count as activity."
    )
    sliding_custom_activity_types = models.JSONField(default=list, blank=True)

    downgrade_type = models.CharField(
        max_length=16, choices=DowngradeType.choices, default=DowngradeType.NO_DOWNGRADE
    )
    grace_period_value = models.PositiveIntegerField(null=True, blank=True)
    grace_period_unit = models.CharField(max_length=8, choices=PeriodUnit.choices, blank=True)
    grace_period_round_up = models.BooleanField(
        default=False, help_text="Round the end of the grace period up to the end of its unit."
    )

    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tier structure"
        constraints = [
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status="ACTIVE"),
                name="one_active_structure_per_program",
                violation_error_message="This program already has an active tier structure.",
            ),
            models.CheckConstraint(
                condition=Q(type="POINT_BALANCE", point_earned_period_value__isnull=True)
                | Q(type="POINT_EARNED", point_earned_period_value__isnull=False),
                name="point_earned_iff_type",
            ),
        ]
        indexes = [listing_index("structure_org_created_idx")]

    def __str__(self) -> str:
        return self.name


class Tier(TenantModel):
    """A rung of a tier structure: customers with min_points..max_points (inclusive)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    structure = models.ForeignKey(TierStructure, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=200)
    order = models.PositiveIntegerField(help_text="1 is the lowest tier.")
    min_points = models.BigIntegerField()
    max_points = models.BigIntegerField(
        null=True, blank=True, help_text="Inclusive. Empty: no upper limit (the top tier)."
    )
    icon_name = models.CharField(max_length=100, blank=True)
    benefits = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("structure", "order")
        constraints = [
            models.UniqueConstraint(fields=["structure", "order"], name="uniq_tier_order"),
            models.CheckConstraint(condition=Q(min_points__gte=0), name="tier_min_not_negative"),
            models.CheckConstraint(
                condition=Q(max_points__isnull=True) | Q(max_points__gte=models.F("min_points")),
                name="tier_max_not_below_min",
            ),
            # On PostgreSQL ranges are also kept apart by an exclusion constraint
            # (migration 0002, `tier_ranges_do_not_overlap`).
        ]
        indexes = [listing_index("tier_org_created_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def range_label(self) -> str:
        return range_label(self.min_points, self.max_points)
