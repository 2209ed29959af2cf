from rest_framework import serializers

from audiences.models import (
    Audience,
    AudienceGroup,
    AudienceImport,
    AudienceMembership,
    AudienceRefresh,
    AudienceRule,
    SyncSource,
    actor_name,
)
from audiences.rules import MAX_RULES, OPERATORS
from audiences.services import MEMBERS_LIMIT
from core.api.serializers import (
    ModelSerializer,
    NonEmptyDictField,
    OptionalFieldsMixin,
    Serializer,
    deprecated_alias,
)
from loyalty.api.serializers import ScopedPrimaryKeyField
from loyalty.models import LoyaltyProgram


class AudienceGroupSerializer(ModelSerializer):
    kind = deprecated_alias(
        serializers.CharField,
        of="type",
        source="type",
        max_length=50,
        required=False,
        allow_blank=True,
    )

    class Meta:
        model = AudienceGroup
        fields = ("id", "name", "type", "kind", "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")


class RuleSerializer(Serializer):
    field = serializers.CharField(max_length=200)
    operator = serializers.ChoiceField(choices=[(o, o) for o in OPERATORS])
    values = serializers.ListField(child=serializers.JSONField(), required=False, default=list)
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    condition_group = serializers.IntegerField(min_value=0, max_value=1000, default=0)


class AudienceRuleSerializer(ModelSerializer):
    class Meta:
        model = AudienceRule
        fields = ("id", "field", "operator", "values", "position", "condition_group")
        read_only_fields = fields


class SyncSourceSerializer(ModelSerializer):
    created_by = serializers.SerializerMethodField(help_text="The staff user or API key.")
    updated_by = serializers.SerializerMethodField(help_text="The staff user or API key.")

    class Meta:
        model = SyncSource
        fields = (
            "id",
            "vendor",
            "external_id",
            "source_data",
            "sync_status",
            "last_synced_at",
            "is_primary",
            "archived",
            "created_by",
            "updated_by",
        )
        read_only_fields = fields

    def get_created_by(self, source) -> str | None:
        return actor_name(source.created_by, source.created_by_key)

    def get_updated_by(self, source) -> str | None:
        return actor_name(source.updated_by, source.updated_by_key)


class AudienceSerializer(ModelSerializer):
    group_name = serializers.CharField(
        source="group.name", default=None, read_only=True, allow_null=True
    )
    rules = AudienceRuleSerializer(many=True, read_only=True)
    sync_sources = SyncSourceSerializer(many=True, read_only=True)
    created_by = serializers.SerializerMethodField(help_text="The staff user or API key.")
    updated_by = serializers.SerializerMethodField(help_text="The staff user or API key.")
    members_count = serializers.IntegerField(source="member_count", read_only=True)
    member_count = deprecated_alias(serializers.IntegerField, of="members_count", read_only=True)

    class Meta:
        model = Audience
        fields = (
            "id",
            "number",
            "name",
            "description",
            "group",
            "group_name",
            "icon_name",
            "metadata",
            "archived",
            "refresh_interval_seconds",
            "last_refreshed_at",
            "next_refresh_at",
            "members_count",
            "member_count",
            "order",
            "start_value",
            "end_value",
            "program",
            "rules",
            "sync_sources",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_created_by(self, audience) -> str | None:
        return actor_name(audience.created_by, audience.created_by_key)

    def get_updated_by(self, audience) -> str | None:
        return actor_name(audience.updated_by, audience.updated_by_key)


class AudienceWriteSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    group = ScopedPrimaryKeyField(
        queryset=AudienceGroup.objects.all(), required=False, allow_null=True
    )
    icon_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)
    archived = serializers.BooleanField(required=False)
    refresh_interval_seconds = serializers.IntegerField(
        min_value=30, max_value=366 * 24 * 3600, required=False, allow_null=True
    )
    rules = RuleSerializer(many=True, required=False, max_length=MAX_RULES)


class AudienceUpdateSerializer(OptionalFieldsMixin, AudienceWriteSerializer):
    program = ScopedPrimaryKeyField(
        queryset=LoyaltyProgram.objects.all(),
        allow_null=True,
        help_text="A loyalty tier audience: the program whose points decide its members "
        "(null: none; members then come from imports and the API).",
    )


class RulesPreviewSerializer(Serializer):
    rules = RuleSerializer(many=True, max_length=MAX_RULES)
    sample_size = serializers.IntegerField(min_value=0, max_value=100, default=10)


class PreviewSerializer(Serializer):
    count = serializers.IntegerField()
    sample = serializers.ListField(child=serializers.DictField())


class TierRangeSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    order = serializers.IntegerField(min_value=1, max_value=1000)
    start_value = serializers.IntegerField(min_value=0, max_value=10**12)
    end_value = serializers.IntegerField(
        min_value=0, max_value=10**12, required=False, allow_null=True, default=None
    )
    icon_name = serializers.CharField(max_length=100, required=False, allow_blank=True)


class LoyaltyTiersSerializer(Serializer):
    group_name = serializers.CharField(max_length=200)
    program = ScopedPrimaryKeyField(
        queryset=LoyaltyProgram.objects.all(), required=False, allow_null=True
    )
    tiers = TierRangeSerializer(many=True, allow_empty=False, max_length=100)


class LoyaltyTiersResultSerializer(Serializer):
    group = AudienceGroupSerializer()
    audiences = AudienceSerializer(many=True)


class MemberSerializer(ModelSerializer):
    integration_id = serializers.CharField(source="profile.integration_id")
    email = serializers.CharField(source="profile.email")

    class Meta:
        model = AudienceMembership
        fields = ("integration_id", "email", "source", "added_at")
        read_only_fields = fields


class MembersWriteSerializer(Serializer):
    integration_ids = serializers.ListField(
        child=serializers.CharField(max_length=255), allow_empty=False, max_length=MEMBERS_LIMIT
    )


class CustomerAudienceItemSerializer(Serializer):
    profile_integration_id = serializers.CharField(max_length=255)
    audience_id = serializers.UUIDField()
    action = serializers.ChoiceField(choices=[("add", "add"), ("delete", "delete")])


class CustomerAudiencesSerializer(Serializer):
    data = CustomerAudienceItemSerializer(many=True, allow_empty=False)


class MemberAttributesSerializer(Serializer):
    attributes = NonEmptyDictField()


class RefreshLogSerializer(ModelSerializer):
    members_count = serializers.IntegerField(source="member_count", read_only=True)
    member_count = deprecated_alias(serializers.IntegerField, of="members_count", read_only=True)

    class Meta:
        model = AudienceRefresh
        fields = (
            "id",
            "status",
            "added",
            "removed",
            "members_count",
            "member_count",
            "duration_ms",
            "error",
            "started_at",
        )
        read_only_fields = fields


class AudienceImportSerializer(ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    created_by = serializers.SerializerMethodField(help_text="The staff user or API key.")

    class Meta:
        model = AudienceImport
        fields = (
            "id",
            "audience",
            "original_name",
            "mode",
            "status",
            "total",
            "processed",
            "imported",
            "error_count",
            "progress",
            "errors",
            "error_message",
            "cancel_requested",
            "archived",
            "resumed_count",
            "resumed_at",
            "started_at",
            "finished_at",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_created_by(self, audience_import) -> str | None:
        return actor_name(audience_import.created_by, audience_import.created_by_key)


class ImportUploadSerializer(Serializer):
    file = serializers.FileField(allow_empty_file=True)
    mode = serializers.ChoiceField(choices=[("add", "add"), ("replace", "replace")], default="add")
