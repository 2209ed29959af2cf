"""Audiences (Fanfare / Talon.One): rule-based or hand-made sets of customer profiles.

An audience's rules (`AudienceRule`) are compiled into one queryset over customer profiles
(`audiences.rules`); a refresh applies the difference to `AudienceMembership` set-based. Members
added by an import or the API are kept by refreshes; only `rule` members follow the rules.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.db import DatabaseKeptFields
from core.numbers import NumberField
from organizations.models import Organization, TenantModel


def _staff_user() -> models.ForeignKey:
    """Who created or last changed a row (kept, as null, when the user is deleted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


def _api_key() -> models.ForeignKey:
    """The API key that created or last changed a row, when no staff user did."""
    return models.ForeignKey(
        "organizations.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


def actor_name(user, api_key) -> str | None:
    """Who made a change, as the API shows it: the staff user's name or the API key's."""
    if user is not None:
        return user.get_username()
    return api_key.name if api_key is not None else None


class AudienceGroup(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(
        max_length=50, blank=True, help_text='What the group holds, e.g. "loyalty_tiers".'
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="uniq_audience_group")
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="group_org_created_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Audience(DatabaseKeptFields, TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = NumberField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    group = models.ForeignKey(
        AudienceGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="audiences"
    )
    icon_name = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    archived = models.BooleanField(default=False)
    refresh_interval_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Refresh the rule members this often. Empty: by hand."
    )
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    next_refresh_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the scheduler refreshes it next."
    )
    refresh_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    refresh_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # stamped by the running refresh while it works; a claim whose heartbeat is older than
    # WORK_STALE_AFTER_SECONDS is from a worker that stopped (audiences.recovery)
    refresh_heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    # kept by database triggers (migration 0006): every insert and delete of a membership
    member_count = models.PositiveIntegerField(default=0, editable=False)
    database_kept_fields = ("member_count",)
    # tier-range audiences (seed 000): members have start_value..end_value points in `program`
    order = models.PositiveIntegerField(null=True, blank=True)
    start_value = models.BigIntegerField(null=True, blank=True)
    end_value = models.BigIntegerField(null=True, blank=True, help_text="Empty: no upper limit.")
    program = models.ForeignKey(
        "loyalty.LoyaltyProgram",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tier_audiences",
    )
    created_by = _staff_user()
    created_by_key = _api_key()
    updated_by = _staff_user()
    updated_by_key = _api_key()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end_value__isnull=True)
                | Q(start_value__isnull=False, end_value__gte=models.F("start_value")),
                name="audience_range_ordered",
            ),
            models.UniqueConstraint(
                fields=["group", "order"],
                condition=Q(order__isnull=False),
                name="uniq_audience_order_in_group",
            ),
            models.UniqueConstraint(
                fields=["organization", "number"],
                condition=Q(number__isnull=False),  # a partial index: no SQLite table rebuild
                name="uniq_audience_number",
            ),
            # On PostgreSQL, tier ranges within a group are kept apart by an exclusion
            # constraint too (migration 0002, `audience_ranges_do_not_overlap`).
        ]
        indexes = [
            models.Index(
                fields=["organization", "created_at", "id"], name="audience_org_created_idx"
            ),
            models.Index(fields=["archived", "next_refresh_at"], name="audience_due_idx"),
            models.Index(
                fields=["refresh_started_at"],
                condition=Q(refresh_started_at__isnull=False),
                name="audience_refreshing_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AudienceRule(TenantModel):
    """One condition. Rules with the same `condition_group` are ANDed; groups are ORed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="rules")
    field = models.CharField(max_length=200)
    operator = models.CharField(max_length=12)
    values = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    condition_group = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("condition_group", "position", "id")

    def __str__(self) -> str:
        return f"{self.field} {self.operator} {self.values}"


class AudienceMembership(models.Model):
    """A profile in an audience. Scoped through the audience; `organization` is kept for
    tenancy checks but not indexed on its own (the table is the big one)."""

    class Source(models.TextChoices):
        RULE = "rule", "Rule"
        IMPORT = "import", "Import"
        API = "api", "API"

    id = models.BigAutoField(primary_key=True)
    # no index and no database-level check: the audience already names the organization, and
    # each would cost every bulk insert (imports, refreshes) a check per row
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # indexed by the (audience, profile) and (audience, added_at, id) indexes below
    audience = models.ForeignKey(
        Audience, on_delete=models.CASCADE, related_name="memberships", db_index=False
    )
    profile = models.ForeignKey(
        "customers.CustomerProfile", on_delete=models.CASCADE, related_name="audience_memberships"
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.RULE)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audience", "profile"], name="uniq_audience_member")
        ]
        indexes = [
            models.Index(fields=["audience", "added_at", "id"], name="member_audience_added_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.audience_id}"


class AudienceRefresh(models.Model):
    """The refresh log: what each refresh changed and how long it took."""

    class Status(models.TextChoices):
        COMPLETED = "completed", "Completed"
        SKIPPED = "skipped", "Skipped (another refresh was running)"
        FAILED = "failed", "Failed"

    id = models.BigAutoField(primary_key=True)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="refreshes")
    status = models.CharField(max_length=10, choices=Status.choices)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["audience", "started_at"], name="refresh_audience_idx")]

    def __str__(self) -> str:
        return f"+{self.added} -{self.removed} ({self.status})"


class SyncSource(TenantModel):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SYNCING = "SYNCING", "Syncing"
        SYNCED = "SYNCED", "Synced"
        FAILED = "FAILED", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="sync_sources")
    vendor = models.CharField(max_length=100)
    external_id = models.CharField(max_length=255)
    source_data = models.JSONField(default=dict, blank=True)
    sync_status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    is_primary = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    created_by = _staff_user()
    created_by_key = _api_key()
    updated_by = _staff_user()
    updated_by_key = _api_key()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["audience"],
                condition=Q(is_primary=True),
                name="one_primary_sync_source",
                violation_error_message="An audience has at most one primary sync source.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.external_id}"


def import_upload_path(instance, filename: str) -> str:
    return f"imports/{instance.organization_id}/{instance.id}.csv"


class AudienceImport(TenantModel):
    """A CSV of customers imported into an audience by a Celery task, chunk by chunk.

    Progress is committed per chunk (`chunks_done`), so a re-run after a crash continues from
    the last committed chunk; `AudienceImportSeen` remembers the integration ids already taken
    from the file (duplicates, replace mode) without keeping them in memory. The run holding
    `run_token` stamps `heartbeat_at` as it goes; beat resumes a running import whose heartbeat
    stopped (`audiences.recovery`) and counts it in `resumed_count`.
    """

    class Mode(models.TextChoices):
        ADD = "add", "Add to the audience"
        REPLACE = "replace", "Replace the audience's imported members"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    MAX_ERRORS_KEPT = 1000

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="imports")
    file = models.FileField(upload_to=import_upload_path, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ADD)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Data rows in the file.")
    processed = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="The first 1,000 bad rows.")
    error_message = models.TextField(blank=True, help_text="Why the whole file failed.")
    chunks_done = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    archived = models.BooleanField(
        default=False, help_text="Put away by a person: a finished import kept for the record."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last sign of life of its worker."
    )
    run_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="Which queued run may work on it."
    )
    resumed_count = models.PositiveIntegerField(
        default=0, editable=False, help_text="Times it was resumed after a worker stopped."
    )
    resumed_at = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = _staff_user()
    created_by_key = _api_key()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "created_at", "id"], name="import_org_created_idx"
            ),
            models.Index(
                fields=["heartbeat_at"],
                condition=Q(status="running"),
                name="import_running_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name or self.pk} → {self.audience_id}"

    @property
    def progress(self) -> int:
        if self.status == self.Status.COMPLETED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.processed * 100 / self.total))


class AudienceImportSeen(models.Model):
    """An integration id already taken from an import's file."""

    id = models.BigAutoField(primary_key=True)
    audience_import = models.ForeignKey(
        AudienceImport,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (import, integration_id) index serves it
        db_constraint=False,  # rows live only while their import runs
    )
    integration_id = models.CharField(max_length=255)
    row_number = models.PositiveIntegerField(help_text="Where the id first appears.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["audience_import", "integration_id"], name="uniq_import_seen"
            )
        ]

    def __str__(self) -> str:
        return f"{self.integration_id} (row {self.row_number})"
