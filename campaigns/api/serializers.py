from decimal import Decimal

from rest_framework import serializers

from campaigns.models import AppliedEffect, CartItem, CustomerSession, EarningRule
from campaigns.services import MAX_ITEMS
from campaigns.services.rules import FIELDS as RULE_FIELDS
from core.api.serializers import (
    JSONObjectField,
    ModelSerializer,
    OptionalFieldsMixin,
    QuerySerializer,
    Serializer,
    UniqueListField,
)
from customers.validators import validate_attributes
from loyalty.api.serializers import ScopedPrimaryKeyField
from loyalty.models import LoyaltyProgram

MAX_QUANTITY = 1_000_000
MAX_PRICE = 10**12
PRICE_PLACES = Decimal("0.0001")


class DryRunQuerySerializer(QuerySerializer):
    dry = serializers.BooleanField(
        required=False, default=False, help_text="Evaluate the rules and answer; save nothing."
    )


class CartItemWriteSerializer(Serializer):
    sku = serializers.CharField(max_length=255)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    price = serializers.DecimalField(
        max_digits=18, decimal_places=4, min_value=0, max_value=MAX_PRICE, coerce_to_string=False
    )
    category = serializers.CharField(max_length=255, required=False, allow_blank=True)
    attributes = JSONObjectField(required=False, validators=[validate_attributes])


class SessionWriteSerializer(OptionalFieldsMixin, Serializer):
    profile = serializers.CharField(
        max_length=255, allow_null=True, help_text="The customer's integration_id; null: anonymous."
    )
    state = serializers.ChoiceField(
        choices=[(s, s) for s in ("open", "closed", "canceled")],
        help_text="Closing runs the program's rules; canceling takes back what it earned.",
    )
    cart_items = CartItemWriteSerializer(many=True, max_length=MAX_ITEMS)
    attributes = JSONObjectField(validators=[validate_attributes])
    loyalty_cards = UniqueListField(child=serializers.CharField(max_length=255), max_length=100)
    store_id = serializers.CharField(max_length=255, allow_blank=True)

    def to_internal_value(self, data):
        # too many items names the field itself (not `cart_items.non_field_errors`), before
        # any item is validated
        items = data.get("cart_items") if isinstance(data, dict) else None
        if isinstance(items, list) and len(items) > MAX_ITEMS:
            raise serializers.ValidationError(
                {"cart_items": [f"At most {MAX_ITEMS:,} items per session ({len(items):,} sent)."]}
            )
        return super().to_internal_value(data)


class ReturnedItemSerializer(Serializer):
    position = serializers.IntegerField(min_value=0, max_value=MAX_ITEMS)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)


class ReturnSerializer(Serializer):
    returned_cart_items = ReturnedItemSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)


class CartItemSerializer(ModelSerializer):
    price = serializers.DecimalField(max_digits=18, decimal_places=4, coerce_to_string=False)

    class Meta:
        model = CartItem
        fields = (
            "position",
            "sku",
            "name",
            "quantity",
            "returned_quantity",
            "price",
            "category",
            "attributes",
        )
        read_only_fields = fields

    def to_representation(self, item) -> dict:
        """The fields above, read straight off the item: an answer carries up to 1,000 items,
        and DRF's field-by-field path was a tenth of a close's time. A test keeps the two
        equal."""
        return {
            "position": item.position,
            "sku": item.sku,
            "name": item.name,
            "quantity": item.quantity,
            "returned_quantity": item.returned_quantity,
            "price": Decimal(item.price).quantize(PRICE_PLACES),
            "category": item.category,
            "attributes": item.attributes,
        }


class EffectSerializer(ModelSerializer):
    rule = serializers.UUIDField(source="rule_id", allow_null=True)
    program = serializers.UUIDField(source="program_id")
    transaction = serializers.UUIDField(source="transaction_id", allow_null=True)

    class Meta:
        model = AppliedEffect
        fields = (
            "type",
            "program",
            "subledger_id",
            "amount",
            "shortfall",
            "rule",
            "rule_name",
            "reason",
            "transaction",
            "created_at",
        )
        read_only_fields = fields


class SessionSerializer(ModelSerializer):
    id = serializers.CharField(source="session_id")
    profile = serializers.CharField(source="profile.integration_id", default=None, allow_null=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=4, coerce_to_string=False)
    cart_items = serializers.SerializerMethodField()

    class Meta:
        model = CustomerSession
        fields = (
            "id",
            "number",
            "profile",
            "state",
            "cart_items",
            "total",
            "items_count",
            "attributes",
            "loyalty_cards",
            "store_id",
            "closed_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_cart_items(self, obj) -> list[dict]:
        items = self.context.get("items")
        if items is None:
            items = obj.items.all()
        return CartItemSerializer(items, many=True).data


class SessionResultSerializer(Serializer):
    """A session and the effects: of this request (PUT, returns) or all of them (GET)."""

    session = SessionSerializer()
    effects = EffectSerializer(many=True)


class EventWriteSerializer(Serializer):
    profile = serializers.CharField(max_length=255, help_text="The customer's integration_id.")
    type = serializers.CharField(max_length=100)
    attributes = JSONObjectField(required=False, validators=[validate_attributes])


class EventSerializer(Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField(help_text="A stable integer id, unique and never reused.")
    profile = serializers.CharField(source="profile.integration_id")
    type = serializers.CharField()
    attributes = serializers.JSONField()
    created_at = serializers.DateTimeField()


class EventResultSerializer(Serializer):
    event = EventSerializer()
    effects = EffectSerializer(many=True)


class EarningRuleSerializer(ModelSerializer):
    program = ScopedPrimaryKeyField(queryset=LoyaltyProgram.objects.all())
    conditions = serializers.JSONField(required=False, help_text="Audience-style rules.")
    effects = serializers.JSONField(help_text="add_points, points_per_amount or multiply.")

    class Meta:
        model = EarningRule
        fields = ("id", "number", "program", *RULE_FIELDS, "created_at", "updated_at")
        read_only_fields = ("id", "created_at", "updated_at")


class EarningRuleUpdateSerializer(OptionalFieldsMixin, EarningRuleSerializer):
    class Meta(EarningRuleSerializer.Meta):
        read_only_fields = ("id", "program", "created_at", "updated_at")
