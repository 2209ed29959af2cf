"""Earning rules, customer sessions (carts), events, and the effects rules applied to them."""

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from core.numbers import NumberField
from organizations.models import TenantModel


class EarningRule(TenantModel):
    """A rule of a loyalty program: when its trigger fires and its conditions hold, its
    effects move points. Rules run in `priority` order (1 first); `stop_here` ends the run."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    class Trigger(models.TextChoices):
        SESSION_CLOSED = "session_closed", "A session is closed"
        EVENT = "event", "An event of a given type"
        PROFILE_CREATED = "profile_created", "A customer profile is created"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    program = models.ForeignKey(
        "loyalty.LoyaltyProgram", on_delete=models.CASCADE, related_name="earning_rules"
    )
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    stop_here = models.BooleanField(
        default=False, help_text="When this rule applies, no later rule of the program runs."
    )
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    event_type = models.CharField(max_length=100, blank=True, help_text="For event rules.")
    conditions = models.JSONField(default=list, blank=True)
    effects = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("priority", "created_at")
        indexes = [
            models.Index(
                fields=["organization", "trigger", "status"], name="earning_rule_trigger_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CustomerSession(TenantModel):
    """A cart, keyed by the caller's session id (unique in the organization)."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        CANCELED = "canceled", "Canceled"  # one spelling across our API (Talon says cancelled)
        PARTIALLY_RETURNED = "partially_returned", "Partially returned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    session_id = models.CharField(max_length=255)
    profile = models.ForeignKey(
        "customers.CustomerProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    attributes = models.JSONField(default=dict, blank=True)
    loyalty_cards = models.JSONField(default=list, blank=True)
    store_id = models.CharField(max_length=255, blank=True)
    total = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    items_count = models.PositiveIntegerField(default=0)
    # what the last close was made of: a re-sent close with the same content changes nothing
    closed_fingerprint = models.CharField(max_length=64, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "session_id"], name="uniq_customer_session"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="session_org_idx"),
            models.Index(fields=["profile", "created_at"], name="session_profile_idx"),
        ]

    def __str__(self) -> str:
        return self.session_id


class SessionStateChange(models.Model):
    """A session's state history: every move from one state to another (a new session moves
    from nothing), in order."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        CustomerSession, on_delete=models.CASCADE, related_name="state_changes"
    )
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, choices=CustomerSession.State.choices)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"{self.from_state or 'new'} -> {self.to_state}"


class CartItem(models.Model):
    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(CustomerSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    sku = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    quantity = models.PositiveIntegerField()
    returned_quantity = models.PositiveIntegerField(default=0)
    price = models.DecimalField(max_digits=18, decimal_places=4)
    category = models.CharField(max_length=255, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("position",)
        constraints = [
            models.UniqueConstraint(fields=["session", "position"], name="uniq_cart_position")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class CustomerEvent(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    profile = models.ForeignKey(
        "customers.CustomerProfile", on_delete=models.CASCADE, related_name="events"
    )
    type = models.CharField(max_length=100)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["profile", "created_at"], name="event_profile_idx")]

    def __str__(self) -> str:
        return f"{self.type} ({self.profile_id})"


class AppliedEffect(TenantModel):
    """One effect a rule applied: one ledger transaction. `item_points` says how many of its
    points each cart position earned, so a return takes back exactly those."""

    class Type(models.TextChoices):
        ADD_POINTS = "add_points", "Add points"
        DEDUCT_POINTS = "deduct_points", "Deduct points"

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        CustomerSession, null=True, blank=True, on_delete=models.CASCADE, related_name="effects"
    )
    event = models.ForeignKey(
        CustomerEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="effects"
    )
    rule = models.ForeignKey(EarningRule, null=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=200)
    program = models.ForeignKey(
        "loyalty.LoyaltyProgram", on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=20, choices=Type.choices)
    subledger_id = models.CharField(max_length=100, blank=True)
    amount = models.BigIntegerField()
    shortfall = models.BigIntegerField(
        default=0, help_text="Points a deduction could not take (already spent)."
    )
    reason = models.CharField(max_length=255)
    item_points = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    transaction = models.ForeignKey(
        "loyalty.PointsTransaction", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # a deduction names the add it takes back (a return takes part of it, a cancel the rest)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="reversals"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=["session", "id"], name="effect_session_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} ({self.rule_name})"
