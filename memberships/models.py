"""Loyalty memberships (Mews-style, batch API) and member groups (manual, automatic, system)."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.db import DatabaseKeptFields
from organizations.models import TenantModel


class LoyaltyMembership(TenantModel):
    """A customer profile (the "account") in a loyalty program."""

    class State(models.TextChoices):
        NEW = "new", "New"
        PENDING = "pending", "Pending"
        ENROLLED = "enrolled", "Enrolled"
        CANCELED = "canceled", "Canceled"
        DECLINED = "declined", "Declined"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    program = models.ForeignKey(
        "loyalty.LoyaltyProgram", on_delete=models.CASCADE, related_name="memberships"
    )
    profile = models.ForeignKey(
        "customers.CustomerProfile", on_delete=models.CASCADE, related_name="loyalty_memberships"
    )
    code = models.CharField(max_length=100, blank=True)
    is_primary = models.BooleanField(default=False)
    points = models.BigIntegerField(
        null=True, blank=True, help_text="Used only when the profile has no ledger account."
    )
    expiration_date = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(is_primary=True, deleted_at__isnull=True),
                name="one_primary_membership_per_profile",
                violation_error_message="This customer already has a primary membership.",
            ),
            models.UniqueConstraint(
                fields=["program", "profile"],
                condition=Q(deleted_at__isnull=True),
                name="one_membership_per_program_and_profile",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "created_at", "id"], name="membership_org_created_idx"
            ),
            models.Index(fields=["organization", "updated_at"], name="membership_org_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.program_id} ({self.state})"

    @property
    def activity_state(self) -> str:
        return "deleted" if self.deleted_at else "active"


class MembersGroup(DatabaseKeptFields, TenantModel):
    """A group of customers: manual (members by hand), automatic (members follow an audience)
    or system (kept by the system, e.g. "All members"; read-only through the API)."""

    ALL_MEMBERS = "All members"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=100, blank=True, help_text="Free text, e.g. “vip”.")
    description = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    system = models.BooleanField(default=False, editable=False)
    audience = models.ForeignKey(
        "audiences.Audience",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_groups",
    )
    audience_conditions = models.JSONField(
        default=list, blank=True, help_text="Audience rules; a backing audience is created."
    )
    # kept by database triggers (migration 0004): every insert and delete of a group member
    members_count = models.PositiveIntegerField(default=0, editable=False)
    database_kept_fields = ("members_count",)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(system=True, name="All members"),
                name="one_all_members_group",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="mgroup_org_created_idx")
        ]

    def __str__(self) -> str:
        return self.name


class MembersGroupMember(TenantModel):
    """A profile in a group. `organization` is the group's (every writer copies it; save()
    fills it when left out), so the row is scoped like any tenant row."""

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(
        MembersGroup, on_delete=models.CASCADE, related_name="members", db_index=False
    )
    profile = models.ForeignKey(
        "customers.CustomerProfile", on_delete=models.CASCADE, related_name="member_groups"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "profile"], name="uniq_group_member")
        ]
        indexes = [models.Index(fields=["group", "added_at", "id"], name="gmember_added_idx")]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.group_id}"

    def save(self, *args, **kwargs):
        if self.organization_id is None and self.group_id is not None:
            self.organization_id = self.group.organization_id
        super().save(*args, **kwargs)
