"""Tier structures (Voucherify's nested payload) and their tiers, ladders and previews."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import ModelSerializer, OptionalFieldsMixin, Serializer
from loyalty.ledger import MAX_AMOUNT
from loyalty.models import LoyaltyProgram, PeriodUnit, Tier, TierStructure
from loyalty.services import DOWNGRADE_FIELDS, EXPIRATION_FIELDS, POINT_EARNED_FIELDS

from .fields import ScopedPrimaryKeyField

S = TierStructure


class PeriodSerializer(Serializer):
    value = serializers.IntegerField(min_value=1, max_value=100_000)
    unit = serializers.ChoiceField(choices=PeriodUnit.choices)


class PointEarnedSerializer(Serializer):
    period = PeriodSerializer()
    type = serializers.ChoiceField(
        choices=S.PointEarnedType.choices, default=S.PointEarnedType.IMMEDIATELY
    )


class RollingExpirationSerializer(Serializer):
    period = PeriodSerializer()


class CalendarDateSerializer(Serializer):
    day = serializers.IntegerField(min_value=1, max_value=31)
    month = serializers.IntegerField(min_value=1, max_value=12)


class CalendarExpirationSerializer(Serializer):
    calendar_dates = CalendarDateSerializer(many=True, max_length=366)


class SlidingExpirationSerializer(Serializer):
    period = PeriodSerializer()
    earning_activity = serializers.BooleanField(default=False)
    spending_activity = serializers.BooleanField(default=False)
    custom_activity = serializers.BooleanField(default=False)
    custom_activity_types = serializers.ListField(
        child=serializers.CharField(max_length=100), default=list, max_length=100
    )


class ExpirationSerializer(Serializer):
    """Only the settings object matching `type` is used; the others may be sent and are
    ignored (as in Voucherify's examples)."""

    type = serializers.ChoiceField(
        choices=S.ExpirationType.choices, default=S.ExpirationType.NO_EXPIRATION
    )
    rolling_expiration = RollingExpirationSerializer(required=False, allow_null=True)
    calendar_expiration = CalendarExpirationSerializer(required=False, allow_null=True)
    sliding_expiration = SlidingExpirationSerializer(required=False, allow_null=True)

    def validate(self, attrs):
        needed = {
            S.ExpirationType.ROLLING: "rolling_expiration",
            S.ExpirationType.CALENDAR: "calendar_expiration",
            S.ExpirationType.SLIDING: "sliding_expiration",
        }.get(attrs["type"])
        if needed and not attrs.get(needed):
            raise serializers.ValidationError({needed: f"Required when type is {attrs['type']}."})
        return attrs


class GracePeriodSerializer(PeriodSerializer):
    round_up = serializers.BooleanField(default=False)


class DowngradeSerializer(Serializer):
    type = serializers.ChoiceField(
        choices=S.DowngradeType.choices, default=S.DowngradeType.NO_DOWNGRADE
    )
    grace_period = GracePeriodSerializer(required=False, allow_null=True)


class TierInputSerializer(Serializer):
    id = serializers.UUIDField(required=False)
    name = serializers.CharField(max_length=200)
    order = serializers.IntegerField(min_value=1, max_value=1000)
    min_points = serializers.IntegerField(min_value=0, max_value=MAX_AMOUNT)
    max_points = serializers.IntegerField(
        min_value=0, max_value=MAX_AMOUNT, allow_null=True, required=False, default=None
    )
    icon_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    benefits = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    metadata = serializers.DictField(required=False)


class TierPatchSerializer(OptionalFieldsMixin, TierInputSerializer):
    pass


class TierSerializer(ModelSerializer):
    class Meta:
        model = Tier
        fields = (
            "id",
            "number",
            "structure",
            "name",
            "order",
            "min_points",
            "max_points",
            "icon_name",
            "benefits",
            "metadata",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class TierCreateSerializer(TierInputSerializer):
    structure = ScopedPrimaryKeyField(queryset=TierStructure.objects.all())


class TierStructureWriteSerializer(Serializer):
    """Voucherify's tier structure payload, plus the `program` and its `tiers`."""

    program = ScopedPrimaryKeyField(queryset=LoyaltyProgram.objects.all())
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=S.Type.choices, default=S.Type.POINT_BALANCE)
    point_earned = PointEarnedSerializer(required=False, allow_null=True)
    expiration = ExpirationSerializer(required=False)
    downgrade = DowngradeSerializer(required=False)
    metadata = serializers.DictField(required=False)
    status = serializers.ChoiceField(
        choices=[(S.Status.DRAFT, "Draft"), (S.Status.ACTIVE, "Active")], default=S.Status.DRAFT
    )
    tiers = TierInputSerializer(many=True, required=False, max_length=100)


class TierStructureUpdateSerializer(OptionalFieldsMixin, TierStructureWriteSerializer):
    """Every field optional; `tiers`, when sent, is the whole new ladder (items with an `id`
    update that tier)."""

    program = None
    status = None


def structure_fields(data: dict) -> dict:
    """The API's nested settings as the model's columns (only for the keys sent)."""
    fields: dict = {}
    for key in ("name", "type", "metadata"):
        if key in data:
            fields[key] = data[key]
    if "point_earned" in data or data.get("type") == S.Type.POINT_BALANCE:
        earned = data.get("point_earned")
        fields["point_earned_period_value"] = earned["period"]["value"] if earned else None
        fields["point_earned_period_unit"] = earned["period"]["unit"] if earned else ""
        # a PATCH skips the serializer's defaults: the type defaults here too
        fields["point_earned_type"] = (
            earned.get("type", S.PointEarnedType.IMMEDIATELY) if earned else ""
        )
    if "expiration" in data:
        exp = data["expiration"]
        kind = exp["type"]
        period = None
        if kind == S.ExpirationType.ROLLING:
            period = exp["rolling_expiration"]["period"]
        sliding = exp.get("sliding_expiration") if kind == S.ExpirationType.SLIDING else None
        if sliding:
            period = sliding["period"]
        fields.update(
            expiration_type=kind,
            expiration_period_value=period["value"] if period else None,
            expiration_period_unit=period["unit"] if period else "",
            calendar_dates=(
                [dict(d) for d in exp["calendar_expiration"]["calendar_dates"]]
                if kind == S.ExpirationType.CALENDAR
                else []
            ),
            sliding_earning_activity=bool(sliding and sliding["earning_activity"]),
            sliding_spending_activity=bool(sliding and sliding["spending_activity"]),
            sliding_custom_activity=bool(sliding and sliding["custom_activity"]),
            sliding_custom_activity_types=list(sliding["custom_activity_types"]) if sliding else [],
        )
    if "downgrade" in data:
        down = data["downgrade"]
        grace = down.get("grace_period")
        fields.update(
            downgrade_type=down["type"],
            grace_period_value=grace["value"] if grace else None,
            grace_period_unit=grace["unit"] if grace else "",
            grace_period_round_up=bool(grace and grace["round_up"]),
        )
    return fields


# model column -> the API field that carries it
STRUCTURE_ERROR_FIELDS = {
    **dict.fromkeys(POINT_EARNED_FIELDS, "point_earned"),
    **dict.fromkeys(EXPIRATION_FIELDS, "expiration"),
    **dict.fromkeys(DOWNGRADE_FIELDS, "downgrade"),
}


def _period(value, unit):
    return {"value": value, "unit": unit} if value is not None else None


class TierStructureSerializer(ModelSerializer):
    object = serializers.SerializerMethodField()
    point_earned = serializers.SerializerMethodField()
    expiration = serializers.SerializerMethodField()
    downgrade = serializers.SerializerMethodField()
    tiers = serializers.SerializerMethodField()

    class Meta:
        model = TierStructure
        fields = (
            "id",
            "object",
            "program",
            "name",
            "type",
            "point_earned",
            "expiration",
            "downgrade",
            "metadata",
            "status",
            "tiers",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_object(self, obj) -> str:
        return "tier_structure"

    @extend_schema_field(PointEarnedSerializer(allow_null=True))
    def get_point_earned(self, obj):
        if obj.type != S.Type.POINT_EARNED:
            return None
        return {
            "period": _period(obj.point_earned_period_value, obj.point_earned_period_unit),
            "type": obj.point_earned_type or S.PointEarnedType.IMMEDIATELY,
        }

    @extend_schema_field(ExpirationSerializer)
    def get_expiration(self, obj):
        kind = obj.expiration_type
        period = _period(obj.expiration_period_value, obj.expiration_period_unit)
        return {
            "type": kind,
            "rolling_expiration": {"period": period} if kind == S.ExpirationType.ROLLING else None,
            "calendar_expiration": (
                {"calendar_dates": obj.calendar_dates}
                if kind == S.ExpirationType.CALENDAR
                else None
            ),
            "sliding_expiration": (
                {
                    "period": period,
                    "earning_activity": obj.sliding_earning_activity,
                    "spending_activity": obj.sliding_spending_activity,
                    "custom_activity": obj.sliding_custom_activity,
                    "custom_activity_types": obj.sliding_custom_activity_types,
                }
                if kind == S.ExpirationType.SLIDING
                else None
            ),
        }

    @extend_schema_field(DowngradeSerializer)
    def get_downgrade(self, obj):
        grace = _period(obj.grace_period_value, obj.grace_period_unit)
        if grace is not None:
            grace["round_up"] = obj.grace_period_round_up
        return {"type": obj.downgrade_type, "grace_period": grace}

    @extend_schema_field(TierSerializer(many=True))
    def get_tiers(self, obj):
        tiers = sorted(obj.tiers.all(), key=lambda t: t.order)
        return TierSerializer(tiers, many=True).data


class PreviewRowSerializer(Serializer):
    tier = serializers.UUIDField(allow_null=True, source="tier.id", default=None)
    order = serializers.IntegerField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class LadderRowSerializer(Serializer):
    tier = TierSerializer()
    range = serializers.CharField()
    members = serializers.IntegerField()
