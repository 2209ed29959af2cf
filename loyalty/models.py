"""Loyalty programs, cards, tier structures and tiers, the points ledger and tier assignments.

Ledger model (Talon.One semantics):
- every earn creates a `PointsTransaction` (positive amount) and a `PointsLot` that holds the
  points: pending before `activates_at`, active until `expires_at`, then expired;
- every spend creates a `PointsTransaction` (negative amount) and `PointsAllocation` rows naming
  the lots it consumed, soonest-expiring first; a spend the active lots cannot cover (overdraft,
  when the program allows it) stays partly unallocated and is covered by the next lot to become
  active;
- `PointsAccount` is the per profile/card and subledger balance row: it is what a write locks,
  and it caches the balances, updated in the same transaction (reconcilable from the ledger).
Transactions and allocations are never changed; a lot's `remaining` is the only moving number.
"""

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from core.ranges import range_label
from organizations.models import TenantModel

MAX_DAYS = 36_500  # a hundred years: further than any program plans, well inside datetime


def listing_index(name: str) -> models.Index:
    """The index that serves an organization's list, newest first: the API's cursor
    pagination orders by (created_at, id) within the organization."""
    return models.Index(fields=["organization", "created_at", "id"], name=name)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Paris, UTC).")


validate_timezone.openapi_enum = sorted(zoneinfo.available_timezones())  # for the API schema


class LoyaltyProgram(TenantModel):
    class Kind(models.TextChoices):
        PROFILE = "profile", "Profile-based"
        CARD = "card", "Card-based"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
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

    def __str__(self) -> str:
        return self.name


class LoyaltyCard(TenantModel):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
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


class PointsAccount(TenantModel):
    """Balance row of one profile or card in one subledger of a program ('' = main ledger).

    Writes lock this row; the counters are a cache of the ledger, kept current in the same
    transaction as every ledger write and by the activation/expiry tasks.
    """

    id = models.BigAutoField(primary_key=True)
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="accounts")
    profile = models.ForeignKey(
        "customers.CustomerProfile",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="points_accounts",
    )
    card = models.ForeignKey(
        LoyaltyCard, null=True, blank=True, on_delete=models.CASCADE, related_name="accounts"
    )
    subledger_id = models.CharField(max_length=64, blank=True, default="")
    active_points = models.BigIntegerField(default=0)
    pending_points = models.BigIntegerField(default=0)
    expired_points = models.BigIntegerField(default=0)
    spent_points = models.BigIntegerField(default=0)
    debt_points = models.BigIntegerField(
        default=0, help_text="Overdraft not yet covered by newly active points."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(profile__isnull=False, card__isnull=True)
                | Q(profile__isnull=True, card__isnull=False),
                name="account_profile_xor_card",
            ),
            models.UniqueConstraint(
                fields=["program", "profile", "subledger_id"],
                condition=Q(profile__isnull=False),
                name="uniq_profile_account",
            ),
            models.UniqueConstraint(
                fields=["program", "card", "subledger_id"],
                condition=Q(card__isnull=False),
                name="uniq_card_account",
            ),
        ]

    def __str__(self) -> str:
        owner = (self.profile_id and f"profile {self.profile_id}") or f"card {self.card_id}"
        return f"{owner} / {self.subledger_id or 'main'}"


class PointsTransaction(TenantModel):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        SESSION = "session", "Session"
        IMPORT = "import", "Import"
        EXPIRATION = "expiration", "Expiration"
        REDEEM = "redeem", "Redeem"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        PointsAccount, on_delete=models.CASCADE, related_name="transactions"
    )
    amount = models.BigIntegerField(help_text="Positive: earned. Negative: spent or expired.")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MANUAL)
    reason = models.CharField(max_length=500, blank=True)
    activates_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(
        max_length=255,
        blank=True,
        help_text="Caller's idempotency reference: a second write with it returns the first.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "organizations.ApiKey",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "reference"],
                condition=~Q(reference=""),
                name="uniq_transaction_reference",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="transaction_amount_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="txn_account_created_idx"),
            listing_index("txn_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+,} {self.kind}"


class PointsLot(TenantModel):
    """Points from one earn: pending before activates_at, active until expires_at."""

    id = models.BigAutoField(primary_key=True)
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(PointsAccount, on_delete=models.CASCADE, related_name="lots")
    transaction = models.OneToOneField(
        PointsTransaction, on_delete=models.CASCADE, related_name="lot"
    )
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField(help_text="Not yet spent or expired.")
    activates_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    # Which cached counter currently holds `remaining`: moves pending -> active -> expired.
    counted_as = models.CharField(max_length=8, default="pending")
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="lot_remaining_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "expires_at", "id"], name="lot_account_expiry_idx"),
            models.Index(fields=["counted_as", "activates_at"], name="lot_due_activation_idx"),
            models.Index(fields=["counted_as", "expires_at"], name="lot_due_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.remaining:,}/{self.amount:,} points"


class PointsAllocation(models.Model):
    """`amount` points of `lot` consumed by the spend `transaction` (at `created_at`)."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        PointsTransaction, on_delete=models.CASCADE, related_name="allocations"
    )
    lot = models.ForeignKey(PointsLot, on_delete=models.CASCADE, related_name="allocations")
    amount = models.BigIntegerField()
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.amount:,} points of lot {self.lot_id}"


class TierAssignment(TenantModel):
    """A profile's or card's current tier in a structure."""

    id = models.BigAutoField(primary_key=True)
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(
        TierStructure, on_delete=models.CASCADE, related_name="assignments"
    )
    account = models.OneToOneField(
        PointsAccount, on_delete=models.CASCADE, related_name="tier_assignment"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    since = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tier must be qualified for again."
    )
    downgrade_at = models.DateTimeField(
        null=True, blank=True, help_text="When a due downgrade applies (end of grace period)."
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["structure", "tier"], name="assignment_structure_tier_idx"),
            models.Index(fields=["structure", "expires_at"], name="assignment_expiry_idx"),
            models.Index(fields=["structure", "downgrade_at"], name="assignment_downgrade_idx"),
        ]


class TierChange(TenantModel):
    """Tier history: every change of a profile's or card's tier, with the reason."""

    class Reason(models.TextChoices):
        UPGRADE = "upgrade", "Upgrade"
        DOWNGRADE = "downgrade", "Downgrade"
        EXPIRATION = "expiration", "Tier expired"
        ACTIVATION = "activation", "Structure activated"

    id = models.BigAutoField(primary_key=True)
    program = models.ForeignKey(LoyaltyProgram, on_delete=models.CASCADE, related_name="+")
    structure = models.ForeignKey(TierStructure, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        PointsAccount, on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # names as they were, so the history reads right after a tier is renamed or removed
    from_tier_name = models.CharField(max_length=200, blank=True)
    to_tier_name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    points = models.BigIntegerField(help_text="The qualifying points at the time.")
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["account", "created_at", "id"], name="tierchange_account_idx")
        ]
