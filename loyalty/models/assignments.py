"""Tier assignments (the tier each account holds) and the tier history."""

from django.db import models
from django.utils import timezone as dj_timezone

from organizations.models import TenantModel

from .ledger import PointsAccount
from .programs import LoyaltyProgram
from .tiers import Tier, TierStructure


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
            models.Index(fields=["account", "created_at", "id"], name="tierchange_account_idx"),
            # the dashboard's "tier changes in the last 7 days"
            models.Index(fields=["organization", "created_at"], name="tierchange_org_created_idx"),
        ]
