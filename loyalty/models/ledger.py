"""Ledger model (Talon.One semantics):
- every earn creates a `PointsTransaction` (positive amount) and a `PointsLot` that holds the
  points: pending before `activates_at`, active until `expires_at`, then expired;
- every spend creates a `PointsTransaction` (negative amount) and `PointsAllocation` rows naming
  the lots it consumed, soonest-expiring first; a spend the active lots cannot cover (overdraft,
  when the program allows it) stays partly unallocated and is covered by the next lot to become
  active;
- `PointsAccount` is the per profile/card and subledger balance row: it is what a write locks,
  and it caches the balances, updated in the same transaction (reconcilable from the ledger).
Transactions and allocations are never changed; a lot's `remaining` is the only moving number."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from core.numbers import NumberField
from organizations.models import TenantModel

from .base import listing_index
from .programs import LoyaltyCard, LoyaltyProgram


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
        EVENT = "event", "Event"
        IMPORT = "import", "Import"
        EXPIRATION = "expiration", "Expiration"
        REDEEM = "redeem", "Redeem"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
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


class PointsDailyTotal(models.Model):
    """An organization's ledger summed per UTC day (loyalty.rollups): points issued (every
    positive transaction), redeemed and expired. Kept for closed days by a beat task, so a
    90-day chart reads 90 rows instead of every transaction."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    issued = models.BigIntegerField(default=0)
    redeemed = models.BigIntegerField(default=0)
    expired = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "day"], name="uniq_points_daily")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.issued:,} issued, {self.redeemed:,} redeemed"
