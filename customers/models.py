import uuid

from django.db import models
from django.utils import timezone

from core.numbers import NumberField
from organizations.models import Organization, TenantModel

from .validators import validate_attributes, validate_msisdn


class CustomerProfile(TenantModel):
    """A customer as the partner knows them, keyed by the partner's own `integration_id`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    # the composite indexes below all start with the organization: no index of its own
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    integration_id = models.CharField(
        max_length=255, help_text="The partner's id for this customer; never changes."
    )
    email = models.EmailField(blank=True, help_text="Stored lower-cased.")
    msisdn = models.CharField(
        "mobile number",
        max_length=16,
        blank=True,
        validators=[validate_msisdn],
        help_text="E.164, e.g. +14155550123.",
    )
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    attributes = models.JSONField(default=dict, blank=True, validators=[validate_attributes])
    personal_data_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="When the customer's personal data was erased."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "customer profile"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "integration_id"], name="uniq_profile_integration_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization", "created_at", "id"], name="profile_org_created_idx"
            ),
            models.Index(fields=["organization", "email"], name="profile_org_email_idx"),
            models.Index(fields=["organization", "msisdn"], name="profile_org_msisdn_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{self.integration_id} ({name})" if name else self.integration_id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
