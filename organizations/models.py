import hashlib
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from core.numbers import NumberedQuerySetMixin, NumberField


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


# Roles that may change rows, from most to least powerful.
WRITE_ROLES = frozenset({Role.OWNER, Role.EDITOR})


class OrganizationMember(models.Model):
    """A staff user's role in one organization."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_roles"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_org_member"),
        ]
        indexes = [models.Index(fields=["user", "organization"], name="org_member_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} of {self.organization}"


class TenantQuerySet(NumberedQuerySetMixin, models.QuerySet):
    def for_organization(self, organization):
        """Rows of one organization; no organization means no rows (fail closed)."""
        if organization is None:
            return self.none()
        return self.filter(organization=organization)


class TenantModel(models.Model):
    """Base of every tenant-owned row: an indexed organization and a scoped queryset."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True


class ApiScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


def hash_api_key(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=16, unique=True, help_text="The start of the key, to recognise it."
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list, help_text='Any of "read", "write".')
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A portfolio key acts for several organizations (chains): its own and these. It is fixed
    # when the key is made, so what a key can reach never grows behind its holder's back.
    portfolio = models.ManyToManyField(
        Organization,
        blank=True,
        related_name="portfolio_api_keys",
        help_text="The other organizations this key acts for (a portfolio key).",
    )
    is_portfolio = models.BooleanField(
        default=False, editable=False, help_text="Set when the key is made with a portfolio."
    )

    class Meta:
        verbose_name = "API key"
        ordering = ("-created_at",)
        indexes = [
            models.Index(fields=["organization", "created_at"], name="apikey_org_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def can_read(self) -> bool:
        # A write key may read what it writes.
        return bool({ApiScope.READ, ApiScope.WRITE} & set(self.scopes))

    @property
    def can_write(self) -> bool:
        return ApiScope.WRITE in self.scopes


class IdempotencyKey(TenantModel):
    """The first response to a creating request sent with an `Idempotency-Key` header."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "core_idempotencykey"  # made by core's first migration, before it moved here
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="uniq_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
