from rest_framework import serializers

from audiences.models import Audience
from core.api.serializers import ModelSerializer, QuerySerializer, Serializer, UniqueListField
from loyalty.api.serializers import ScopedPrimaryKeyField
from memberships.models import LoyaltyMembership, MembersGroup
from memberships.services import BATCH_LIMIT, IDENTIFIERS_LIMIT

STATES = LoyaltyMembership.State.choices


class LoyaltyMembershipSerializer(ModelSerializer):
    url = serializers.CharField(read_only=True, help_text="A URL, or empty.")  # "" is no URI
    profile = serializers.CharField(source="profile.integration_id")
    points = serializers.SerializerMethodField()
    tier = serializers.SerializerMethodField(help_text="The tier engine's tier of the customer.")
    activity_state = serializers.CharField()

    class Meta:
        model = LoyaltyMembership
        fields = (
            "id",
            "program",
            "profile",
            "code",
            "is_primary",
            "points",
            "expiration_date",
            "url",
            "tier",
            "state",
            "activity_state",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_tier(self, obj) -> str | None:
        tier = getattr(obj, "engine_tier", None)
        return str(tier) if tier else None

    def get_points(self, obj) -> int | None:
        """The ledger wins: the main-ledger active balance when the profile has one."""
        ledger = getattr(obj, "ledger_points", None)
        return ledger if ledger is not None else obj.points


class MembershipAddSerializer(Serializer):
    program = serializers.UUIDField()
    profile = serializers.CharField(max_length=255, help_text="The profile's integration_id.")
    code = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False, default=False)
    points = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10**12
    )
    expiration_date = serializers.DateTimeField(required=False, allow_null=True)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    tier = serializers.UUIDField(
        required=False, allow_null=True, help_text="Refused: the tier is the tier engine's."
    )
    state = serializers.ChoiceField(choices=STATES, required=False, default="new")


class MembershipUpdateSerializer(Serializer):
    """Every field optional; left out or null leaves the value unchanged."""

    id = serializers.UUIDField()
    code = serializers.CharField(max_length=100, required=False, allow_null=True, allow_blank=True)
    is_primary = serializers.BooleanField(required=False, allow_null=True)
    points = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=10**12
    )
    expiration_date = serializers.DateTimeField(required=False, allow_null=True)
    url = serializers.URLField(max_length=500, required=False, allow_null=True, allow_blank=True)
    tier = serializers.UUIDField(
        required=False, allow_null=True, help_text="Refused: the tier is the tier engine's."
    )
    state = serializers.ChoiceField(choices=STATES, required=False, allow_null=True)


class SingleUpdateSerializer(MembershipUpdateSerializer):
    id = None


class BatchAddSerializer(Serializer):
    memberships = MembershipAddSerializer(many=True, allow_empty=False, max_length=BATCH_LIMIT)


class BatchUpdateSerializer(Serializer):
    memberships = MembershipUpdateSerializer(many=True, allow_empty=False, max_length=BATCH_LIMIT)


class BatchDeleteSerializer(Serializer):
    ids = UniqueListField(child=serializers.UUIDField(), allow_empty=False, max_length=BATCH_LIMIT)


class MembersGroupSerializer(ModelSerializer):
    class Meta:
        model = MembersGroup
        fields = (
            "id",
            "name",
            "type",
            "description",
            "automatic",
            "system",
            "audience",
            "audience_conditions",
            "members_count",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ConditionSerializer(Serializer):
    """Our audience rule, or the loyalty-club seed's condition item (`type`, `value`, a named
    `condition_group`, `members_group_ids` with `any`): memberships.conditions translates."""

    field = serializers.CharField(max_length=200)
    operator = serializers.CharField(max_length=20)
    values = serializers.ListField(child=serializers.JSONField(), required=False)
    value = serializers.JSONField(required=False, help_text="The seed's form: one value or a list.")
    type = serializers.CharField(max_length=50, required=False, help_text="The seed's value type.")
    position = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    condition_group = serializers.JSONField(
        required=False, help_text="A number, or (the seed's form) a name."
    )

    def validate_condition_group(self, value):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise serializers.ValidationError("A number or a name.")
        if isinstance(value, int) and not 0 <= value <= 1000:
            raise serializers.ValidationError("Between 0 and 1000.")
        if isinstance(value, str) and not 0 < len(value) <= 100:
            raise serializers.ValidationError("A name of at most 100 characters.")
        return value


class MembersGroupWriteSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    audience_id = ScopedPrimaryKeyField(
        queryset=Audience.objects.all(), required=False, allow_null=True
    )
    audience_conditions = ConditionSerializer(many=True, required=False, max_length=100)
    system = serializers.BooleanField(
        required=False, help_text="The seed sends it; only false: system groups are the system's."
    )

    def validate_system(self, value):
        if value:
            raise serializers.ValidationError("System groups are made by the system, not the API.")
        return value


class MembersGroupUpdateSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    audience_id = ScopedPrimaryKeyField(
        queryset=Audience.objects.all(),
        required=False,
        help_text="Follow this audience from now on (members follow at once).",
    )
    audience_conditions = ConditionSerializer(
        many=True, required=False, min_length=1, max_length=100
    )


class GroupMembersSerializer(Serializer):
    identifier_type = serializers.ChoiceField(
        choices=[("email", "email"), ("msisdn", "msisdn"), ("id", "id")]
    )
    identifiers = serializers.ListField(
        child=serializers.CharField(max_length=255),
        allow_empty=False,
        max_length=IDENTIFIERS_LIMIT,
    )


class GroupMemberSerializer(Serializer):
    integration_id = serializers.CharField(source="profile.integration_id")
    email = serializers.CharField(source="profile.email")
    added_at = serializers.DateTimeField()


class StrictBooleanField(serializers.BooleanField):
    """A query flag: `true` or `false`, nothing else."""

    TRUE_VALUES = {"true", "True", True}
    FALSE_VALUES = {"false", "False", False}


class InventoryQuerySerializer(QuerySerializer):
    profile = StrictBooleanField(default=True, help_text="Include the profile (default true).")
    loyalty = StrictBooleanField(default=True, help_text="Include loyalty (default true).")
    audiences = StrictBooleanField(default=True, help_text="Include audiences (default true).")
    groups = StrictBooleanField(default=True, help_text="Include groups (default true).")
    memberships = StrictBooleanField(default=True, help_text="Include memberships (default true).")


class MembershipBatchResultSerializer(Serializer):
    memberships = LoyaltyMembershipSerializer(many=True)


class GroupMembersResultSerializer(Serializer):
    added = serializers.IntegerField(required=False, help_text="POST: customers added.")
    already_members = serializers.IntegerField(required=False, help_text="POST only.")
    removed = serializers.IntegerField(required=False, help_text="DELETE: customers removed.")
    unknown = serializers.ListField(
        child=serializers.CharField(), help_text="Identifiers that matched no customer."
    )


class MembershipSearchSerializer(Serializer):
    """The list's filters as a JSON body, for id lists too long for a URL (1,000 ids ≈ 37 KB)."""

    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000)
    profile = serializers.ListField(
        child=serializers.CharField(max_length=255),
        required=False,
        max_length=1000,
        help_text="Integration ids.",
    )
    program = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=1000)
    state = serializers.ListField(
        child=serializers.ChoiceField(choices=STATES), required=False, max_length=10
    )
    activity_state = serializers.ChoiceField(
        choices=["active", "deleted", "all"], required=False, default="active"
    )
    updated_after = serializers.DateTimeField(required=False)
    updated_before = serializers.DateTimeField(required=False)


class MembershipSearchPageSerializer(Serializer):
    """A page of the search, as the list pages (cursor pagination)."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LoyaltyMembershipSerializer(many=True)
