from rest_framework import serializers

from audiences.api.serializers import RuleSerializer
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
    tier = serializers.UUIDField(required=False, allow_null=True)
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
    tier = serializers.UUIDField(required=False, allow_null=True)
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


class MembersGroupWriteSerializer(Serializer):
    name = serializers.CharField(max_length=200)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    audience_id = ScopedPrimaryKeyField(
        queryset=Audience.objects.all(), required=False, allow_null=True
    )
    audience_conditions = RuleSerializer(many=True, required=False, max_length=100)


class MembersGroupUpdateSerializer(Serializer):
    name = serializers.CharField(max_length=200, required=False)
    type = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


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
